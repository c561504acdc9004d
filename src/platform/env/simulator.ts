/**
 * The TDG simulator process (`SIM_*`, `SIMULATOR_*`). It accepts the same credentials the worker
 * sends (`TDG_API_KEY`, `TDG_USERNAME`/`TDG_PASSWORD`, `TDG_AUTH_TOKEN`, `TDG_API_VERSION`) unless
 * its own `SIM_*` counterparts are set. Unset scenario defaults and faults are left to the simulator.
 */
import { MAX_BATCHES, MAX_DURATION_MS, parseOutcome, type Outcome } from '../../simulator/scenario.js';
import { DEFAULT_NOTIFICATION_FIELDS } from '../../simulator/notifier.js';
import {
  NOTIFICATION_MODES,
  parseNotificationMode,
  type NotificationMode,
} from '../../simulator/settings.js';
import { ConfigError, section } from './core.js';
import { boolean, list, optionalDuration, rate, text, wholeNumber } from './fields.js';

/** The simulator logs one line per start-up problem set: its error message is a single line. */
export class SimulatorConfigError extends ConfigError {
  override name = 'SimulatorConfigError';
  constructor(problems: string[]) {
    super(problems, problems.join('; '));
  }
}

export const DEFAULT_SIMULATOR_PORT = 8787;
export const DEFAULT_SIMULATOR_HOST = '127.0.0.1';

export interface SimulatorEnvConfig {
  port: number;
  host: string;
  apiKey: string;
  username: string;
  password: string;
  staticTokens: string[];
  restrictedApiKeys: string[];
  versions: string[];
  tokenField?: string;
  tokenTtlMs?: number;
  seed?: number;
  defaults: { durationMs?: number; batches?: number; outcome?: Outcome };
  notificationMode?: NotificationMode;
  notificationFields: { jobId?: string; state?: string };
  faults: {
    errorRate?: number;
    rateLimitRate?: number;
    retryAfterSeconds?: number;
    latencyMs?: number;
    latencyJitterMs?: number;
    malformedRate?: number;
    dropNotificationRate?: number;
    trailingCommaBodies?: boolean;
    htmlRate?: number;
    redirectRate?: number;
    notFoundRate?: number;
    resetRate?: number;
    hangRate?: number;
    outage?: boolean;
  };
}

const latency = { min: 0, max: 600_000 };

export const simulatorSection = section(
  {
    SIM_API_KEY: text(),
    TDG_API_KEY: text(),
    SIM_USERNAME: text(),
    TDG_USERNAME: text(),
    SIM_PASSWORD: text(),
    TDG_PASSWORD: text(),
    SIM_STATIC_TOKEN: text(),
    TDG_AUTH_TOKEN: text(),
    SIM_API_VERSIONS: list(),
    TDG_API_VERSION: text(),
    SIM_RESTRICTED_API_KEYS: list(),
    SIM_TOKEN_FIELD: text(),
    SIM_TOKEN_TTL: optionalDuration({ min: 1, max: MAX_DURATION_MS }),
    SIM_SEED: wholeNumber(0, 4_294_967_295),
    SIM_DEFAULT_DURATION: optionalDuration({ min: 0, max: MAX_DURATION_MS }),
    SIM_DEFAULT_BATCHES: wholeNumber(0, MAX_BATCHES),
    SIM_DEFAULT_OUTCOME: text(),
    SIM_NOTIFICATION_MODE: text(),
    SIM_NOTIFICATION_JOB_ID_FIELD: text(),
    SIM_NOTIFICATION_STATE_FIELD: text(),
    SIM_ERROR_RATE: rate(),
    SIM_RATE_LIMIT_RATE: rate(),
    SIM_RETRY_AFTER_SECONDS: wholeNumber(0, 86_400),
    SIM_LATENCY_MS: optionalDuration(latency),
    SIM_LATENCY_JITTER_MS: optionalDuration(latency),
    SIM_MALFORMED_RATE: rate(),
    SIM_DROP_NOTIFICATION_RATE: rate(),
    SIM_TRAILING_COMMA: boolean(),
    SIM_HTML_RATE: rate(),
    SIM_REDIRECT_RATE: rate(),
    SIM_NOT_FOUND_RATE: rate(),
    SIM_RESET_RATE: rate(),
    SIM_HANG_RATE: rate(),
    SIM_OUTAGE: boolean(),
    SIMULATOR_PORT: wholeNumber(0, 65_535, DEFAULT_SIMULATOR_PORT),
    SIMULATOR_HOST: text(DEFAULT_SIMULATOR_HOST),
  },
  (env, problems): SimulatorEnvConfig => {
    const apiKey = env.SIM_API_KEY ?? env.TDG_API_KEY;
    if (apiKey === undefined) {
      problems.push('SIM_API_KEY (or TDG_API_KEY) is required: the x-api-key the simulator accepts');
    }
    const username = env.SIM_USERNAME ?? env.TDG_USERNAME;
    const password = env.SIM_PASSWORD ?? env.TDG_PASSWORD;
    if ((username === undefined) !== (password === undefined)) {
      problems.push('set both SIM_USERNAME and SIM_PASSWORD (or TDG_USERNAME and TDG_PASSWORD), or neither');
    }
    const staticToken = env.SIM_STATIC_TOKEN ?? env.TDG_AUTH_TOKEN;
    if (username === undefined && staticToken === undefined) {
      problems.push(
        'no way to authenticate: set SIM_USERNAME and SIM_PASSWORD, or SIM_STATIC_TOKEN (or their TDG_ equivalents)',
      );
    }
    const versions =
      env.SIM_API_VERSIONS ?? (env.TDG_API_VERSION ?? 'v3').split(',').flatMap((v) => v.trim() || []);
    for (const version of versions) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._~-]*$/.test(version))
        problems.push(`SIM_API_VERSIONS: invalid version ${JSON.stringify(version)}`);
    }
    if (env.SIM_TOKEN_FIELD === 'expires_in') problems.push('SIM_TOKEN_FIELD must not be expires_in');
    let outcome: Outcome | undefined;
    if (env.SIM_DEFAULT_OUTCOME !== undefined) {
      outcome = parseOutcome(env.SIM_DEFAULT_OUTCOME) ?? undefined;
      if (outcome === undefined) {
        problems.push(
          `SIM_DEFAULT_OUTCOME must be COMPLETED or FAILED (got ${JSON.stringify(env.SIM_DEFAULT_OUTCOME.slice(0, 40))})`,
        );
      }
    }
    let notificationMode: NotificationMode | undefined;
    if (env.SIM_NOTIFICATION_MODE !== undefined) {
      notificationMode = parseNotificationMode(env.SIM_NOTIFICATION_MODE) ?? undefined;
      if (notificationMode === undefined) {
        problems.push(
          `SIM_NOTIFICATION_MODE must be ${NOTIFICATION_MODES.join(' or ')} (got ${JSON.stringify(env.SIM_NOTIFICATION_MODE.slice(0, 40))})`,
        );
      }
    }
    const jobIdField = env.SIM_NOTIFICATION_JOB_ID_FIELD ?? DEFAULT_NOTIFICATION_FIELDS.jobId;
    if (jobIdField === (env.SIM_NOTIFICATION_STATE_FIELD ?? DEFAULT_NOTIFICATION_FIELDS.state)) {
      problems.push('SIM_NOTIFICATION_JOB_ID_FIELD and SIM_NOTIFICATION_STATE_FIELD must differ');
    }
    const defined = <T extends object>(record: T): T =>
      Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
    return {
      port: env.SIMULATOR_PORT,
      host: env.SIMULATOR_HOST,
      apiKey: apiKey ?? '',
      username: username ?? '',
      password: password ?? '',
      staticTokens: staticToken === undefined ? [] : [staticToken],
      restrictedApiKeys: env.SIM_RESTRICTED_API_KEYS ?? [],
      versions,
      ...defined({ tokenField: env.SIM_TOKEN_FIELD, tokenTtlMs: env.SIM_TOKEN_TTL, seed: env.SIM_SEED }),
      defaults: defined({
        durationMs: env.SIM_DEFAULT_DURATION,
        batches: env.SIM_DEFAULT_BATCHES,
        outcome,
      }),
      ...defined({ notificationMode }),
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
  },
);
