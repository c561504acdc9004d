/**
 * The `npm run simulator` process's environment (`SIM_*`, `SIMULATOR_*`). It accepts the same
 * credentials the worker sends (`TDG_API_KEY`, `TDG_USERNAME`/`TDG_PASSWORD`, `TDG_AUTH_TOKEN`,
 * `TDG_API_VERSION`) unless its own `SIM_*` counterparts are set. Unset scenario defaults and
 * faults are left to the simulator.
 */
import { z } from 'zod';
import {
  ConfigError,
  duration,
  flag,
  list,
  loadSections,
  rate,
  needs,
  problems,
  text,
  variableNames,
  wholeNumber,
  type Env,
} from '../../src/platform/env/schema.js';
import { DEFAULT_SCENARIO, type SimulatorOptions } from './app.js';
import { DEFAULT_NOTIFICATION_FIELDS } from './notifier.js';
import { MAX_BATCHES, MAX_DURATION_MS, parseOutcome } from './scenario.js';
import { NOTIFICATION_MODES, parseNotificationMode } from './settings.js';

/** The simulator logs one line per start-up problem set: its error message is a single line. */
export class SimulatorConfigError extends ConfigError {
  override name = 'SimulatorConfigError';
  constructor(problems: string[]) {
    super(problems, problems.join('; '));
  }
}

export const DEFAULT_SIMULATOR_PORT = 8787;
export const DEFAULT_SIMULATOR_HOST = '127.0.0.1';

const latency = duration({ min: 0, max: 600_000 }).optional();
const oneOf = <T>(parse: (text: string) => T | null, choices: string) =>
  text.transform((value, ctx) => {
    const parsed = parse(value);
    if (parsed !== null) return parsed;
    ctx.addIssue({
      code: 'custom',
      message: `must be ${choices} (got ${JSON.stringify(value.slice(0, 40))})`,
    });
    return z.NEVER;
  });
const defined = <T extends object>(record: T) =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };

export const simulatorSection = z
  .object({
    SIM_API_KEY: text.optional(),
    TDG_API_KEY: text.optional(),
    SIM_USERNAME: text.optional(),
    TDG_USERNAME: text.optional(),
    SIM_PASSWORD: text.optional(),
    TDG_PASSWORD: text.optional(),
    SIM_STATIC_TOKEN: text.optional(),
    TDG_AUTH_TOKEN: text.optional(),
    SIM_API_VERSIONS: list.optional(),
    TDG_API_VERSION: list.prefault('v3'),
    SIM_RESTRICTED_API_KEYS: list.prefault(''),
    SIM_TOKEN_FIELD: text
      .refine((field) => field !== 'expires_in', { error: 'must not be expires_in' })
      .optional(),
    SIM_TOKEN_TTL: duration({ min: 1, max: MAX_DURATION_MS }).optional(),
    SIM_SEED: wholeNumber(0, 4_294_967_295).optional(),
    SIM_DEFAULT_DURATION: duration({ min: 0, max: MAX_DURATION_MS }).optional(),
    SIM_DEFAULT_BATCHES: wholeNumber(0, MAX_BATCHES).optional(),
    SIM_DEFAULT_OUTCOME: oneOf(parseOutcome, 'COMPLETED or FAILED').optional(),
    SIM_NOTIFICATION_MODE: oneOf(parseNotificationMode, NOTIFICATION_MODES.join(' or ')).optional(),
    SIM_NOTIFICATION_JOB_ID_FIELD: text.optional(),
    SIM_NOTIFICATION_STATE_FIELD: text.optional(),
    SIM_ERROR_RATE: rate.optional(),
    SIM_RATE_LIMIT_RATE: rate.optional(),
    SIM_RETRY_AFTER_SECONDS: wholeNumber(0, 86_400).optional(),
    SIM_LATENCY_MS: latency,
    SIM_LATENCY_JITTER_MS: latency,
    SIM_MALFORMED_RATE: rate.optional(),
    SIM_DROP_NOTIFICATION_RATE: rate.optional(),
    SIM_TRAILING_COMMA: flag.optional(),
    SIM_HTML_RATE: rate.optional(),
    SIM_REDIRECT_RATE: rate.optional(),
    SIM_NOT_FOUND_RATE: rate.optional(),
    SIM_RESET_RATE: rate.optional(),
    SIM_HANG_RATE: rate.optional(),
    SIM_OUTAGE: flag.optional(),
    SIMULATOR_PORT: wholeNumber(0, 65_535).prefault(String(DEFAULT_SIMULATOR_PORT)),
    SIMULATOR_HOST: text.prefault(DEFAULT_SIMULATOR_HOST),
  })
  .superRefine(
    problems((env) => {
      const found: string[] = [];
      if ((env.SIM_API_KEY ?? env.TDG_API_KEY) === undefined) {
        found.push('SIM_API_KEY (or TDG_API_KEY) is required: the x-api-key the simulator accepts');
      }
      const username = env.SIM_USERNAME ?? env.TDG_USERNAME;
      if ((username === undefined) !== ((env.SIM_PASSWORD ?? env.TDG_PASSWORD) === undefined)) {
        found.push('set both SIM_USERNAME and SIM_PASSWORD (or TDG_USERNAME and TDG_PASSWORD), or neither');
      }
      if (username === undefined && (env.SIM_STATIC_TOKEN ?? env.TDG_AUTH_TOKEN) === undefined) {
        found.push(
          'no way to authenticate: set SIM_USERNAME and SIM_PASSWORD, or SIM_STATIC_TOKEN (or their TDG_ equivalents)',
        );
      }
      for (const version of env.SIM_API_VERSIONS ?? env.TDG_API_VERSION) {
        if (!/^[A-Za-z0-9][A-Za-z0-9._~-]*$/.test(version))
          found.push(`SIM_API_VERSIONS: invalid version ${JSON.stringify(version)}`);
      }
      const fields = { ...DEFAULT_NOTIFICATION_FIELDS };
      if (
        (env.SIM_NOTIFICATION_JOB_ID_FIELD ?? fields.jobId) ===
        (env.SIM_NOTIFICATION_STATE_FIELD ?? fields.state)
      ) {
        found.push('SIM_NOTIFICATION_JOB_ID_FIELD and SIM_NOTIFICATION_STATE_FIELD must differ');
      }
      return found;
    }),
    needs(),
  )
  .transform((env) => {
    const staticToken = env.SIM_STATIC_TOKEN ?? env.TDG_AUTH_TOKEN;
    return {
      port: env.SIMULATOR_PORT,
      host: env.SIMULATOR_HOST,
      apiKey: env.SIM_API_KEY ?? env.TDG_API_KEY ?? '',
      username: env.SIM_USERNAME ?? env.TDG_USERNAME ?? '',
      password: env.SIM_PASSWORD ?? env.TDG_PASSWORD ?? '',
      staticTokens: staticToken === undefined ? [] : [staticToken],
      restrictedApiKeys: env.SIM_RESTRICTED_API_KEYS,
      versions: env.SIM_API_VERSIONS ?? env.TDG_API_VERSION,
      ...defined({ tokenField: env.SIM_TOKEN_FIELD, tokenTtlMs: env.SIM_TOKEN_TTL, seed: env.SIM_SEED }),
      defaults: defined({
        durationMs: env.SIM_DEFAULT_DURATION,
        batches: env.SIM_DEFAULT_BATCHES,
        outcome: env.SIM_DEFAULT_OUTCOME,
      }),
      ...defined({ notificationMode: env.SIM_NOTIFICATION_MODE }),
      notificationFields: defined({
        jobId: env.SIM_NOTIFICATION_JOB_ID_FIELD,
        state: env.SIM_NOTIFICATION_STATE_FIELD,
      }),
      faults: defined({
        errorRate: env.SIM_ERROR_RATE,
        rateLimitRate: env.SIM_RATE_LIMIT_RATE,
        retryAfterSeconds: env.SIM_RETRY_AFTER_SECONDS,
        latencyMs: env.SIM_LATENCY_MS,
        latencyJitterMs: env.SIM_LATENCY_JITTER_MS,
        malformedRate: env.SIM_MALFORMED_RATE,
        dropNotificationRate: env.SIM_DROP_NOTIFICATION_RATE,
        trailingCommaBodies: env.SIM_TRAILING_COMMA,
        htmlRate: env.SIM_HTML_RATE,
        redirectRate: env.SIM_REDIRECT_RATE,
        notFoundRate: env.SIM_NOT_FOUND_RATE,
        resetRate: env.SIM_RESET_RATE,
        hangRate: env.SIM_HANG_RATE,
        outage: env.SIM_OUTAGE,
      }),
    };
  });
export type SimulatorEnvConfig = z.output<typeof simulatorSection>;

/** `npm run simulator`: one-line SimulatorConfigError. */
export function loadSimulatorConfig(env: Env = process.env): SimulatorEnvConfig {
  return loadSections({ simulator: simulatorSection }, env, (problems) => new SimulatorConfigError(problems))
    .simulator;
}

/** The simulator's SIM_* names (anything else with the prefix is likely a typo). */
export const SIM_VARIABLE_NAMES: readonly string[] = variableNames(simulatorSection).filter((name) =>
  name.startsWith('SIM_'),
);

export interface SimulatorProcessConfig {
  options: SimulatorOptions;
  port: number;
  host: string;
}

/** SIM_* names that this process does not read. */
export function unknownSimVariables(env: Env): string[] {
  return Object.keys(env).filter((name) => name.startsWith('SIM_') && !SIM_VARIABLE_NAMES.includes(name));
}

/** Throws SimulatorConfigError (one line, every problem). */
export function simulatorConfigFromEnv(env: Env): SimulatorProcessConfig {
  const { port, host, defaults, ...options } = loadSimulatorConfig(env);
  return { port, host, options: { ...options, defaults: { ...DEFAULT_SCENARIO, ...defaults } } };
}
