/** The `npm run simulator` process's configuration from the environment, validated once with one-line messages. */
import type { SimulatorOptions } from './app.js';
import { DEFAULT_SCENARIO } from './app.js';
import { DurationFormatError, parseDuration } from '../platform/duration.js';
import type { Faults } from './faults.js';
import { MAX_BATCHES, MAX_DURATION_MS, parseOutcome } from './scenario.js';

export class SimulatorConfigError extends Error {
  override readonly name = 'SimulatorConfigError';
}

export interface SimulatorProcessConfig {
  options: SimulatorOptions;
  port: number;
  host: string;
}

export const DEFAULT_SIMULATOR_PORT = 8787;
export const DEFAULT_SIMULATOR_HOST = '127.0.0.1';

/** Every variable this process reads under the SIM_ prefix (anything else with the prefix is likely a typo). */
export const SIM_VARIABLES = [
  'SIM_API_KEY',
  'SIM_USERNAME',
  'SIM_PASSWORD',
  'SIM_STATIC_TOKEN',
  'SIM_RESTRICTED_API_KEYS',
  'SIM_API_VERSIONS',
  'SIM_TOKEN_FIELD',
  'SIM_TOKEN_TTL',
  'SIM_SEED',
  'SIM_DEFAULT_DURATION',
  'SIM_DEFAULT_BATCHES',
  'SIM_DEFAULT_OUTCOME',
  'SIM_ERROR_RATE',
  'SIM_RATE_LIMIT_RATE',
  'SIM_RETRY_AFTER_SECONDS',
  'SIM_LATENCY_MS',
  'SIM_LATENCY_JITTER_MS',
  'SIM_MALFORMED_RATE',
  'SIM_DROP_NOTIFICATION_RATE',
  'SIM_TRAILING_COMMA',
] as const;

type Env = Readonly<Record<string, string | undefined>>;

function fail(message: string): never {
  throw new SimulatorConfigError(message);
}

/** The first non-empty value among `names`, with the name it came from. */
function pick(env: Env, ...names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') return { name, value };
  }
  return undefined;
}

function integer(env: Env, name: string, min: number, max: number): number | undefined {
  const found = pick(env, name);
  if (found === undefined) return undefined;
  if (!/^\d+$/.test(found.value) || Number(found.value) < min || Number(found.value) > max) {
    fail(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(found.value)})`);
  }
  return Number(found.value);
}

function rate(env: Env, name: string): number | undefined {
  const found = pick(env, name);
  if (found === undefined) return undefined;
  const value = Number(found.value);
  if (!/^\d*\.?\d+$/.test(found.value) || value < 0 || value > 1) {
    fail(`${name} must be a number from 0 to 1 (got ${JSON.stringify(found.value)})`);
  }
  return value;
}

function duration(env: Env, name: string, min: number, max: number): number | undefined {
  const found = pick(env, name);
  if (found === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(found.value);
  } catch (error) {
    if (error instanceof DurationFormatError) fail(`${name}: ${error.message}`);
    throw error;
  }
  if (ms < min || ms > max)
    fail(`${name} must be between ${min}ms and ${max}ms (got ${JSON.stringify(found.value)})`);
  return ms;
}

function bool(env: Env, name: string): boolean | undefined {
  const found = pick(env, name);
  if (found === undefined) return undefined;
  const value = found.value.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  fail(`${name} must be true or false (got ${JSON.stringify(found.value)})`);
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** SIM_* names that this process does not read. */
export function unknownSimVariables(env: Env): string[] {
  const known: readonly string[] = SIM_VARIABLES;
  return Object.keys(env).filter((name) => name.startsWith('SIM_') && !known.includes(name));
}

export function simulatorConfigFromEnv(env: Env): SimulatorProcessConfig {
  const apiKey = pick(env, 'SIM_API_KEY', 'TDG_API_KEY');
  if (apiKey === undefined)
    fail('SIM_API_KEY (or TDG_API_KEY) is required: the x-api-key the simulator accepts');
  const username = pick(env, 'SIM_USERNAME', 'TDG_USERNAME');
  const password = pick(env, 'SIM_PASSWORD', 'TDG_PASSWORD');
  if ((username === undefined) !== (password === undefined)) {
    fail('set both SIM_USERNAME and SIM_PASSWORD (or TDG_USERNAME and TDG_PASSWORD), or neither');
  }
  const staticToken = pick(env, 'SIM_STATIC_TOKEN', 'TDG_AUTH_TOKEN');
  if (username === undefined && staticToken === undefined) {
    fail(
      'no way to authenticate: set SIM_USERNAME and SIM_PASSWORD, or SIM_STATIC_TOKEN (or their TDG_ equivalents)',
    );
  }

  const versions = list(pick(env, 'SIM_API_VERSIONS', 'TDG_API_VERSION')?.value ?? 'v3');
  for (const version of versions) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._~-]*$/.test(version))
      fail(`SIM_API_VERSIONS: invalid version ${JSON.stringify(version)}`);
  }
  const tokenField = pick(env, 'SIM_TOKEN_FIELD')?.value;
  if (tokenField === 'expires_in') fail('SIM_TOKEN_FIELD must not be expires_in');

  const outcomeText = pick(env, 'SIM_DEFAULT_OUTCOME')?.value;
  const outcome = outcomeText === undefined ? DEFAULT_SCENARIO.outcome : parseOutcome(outcomeText);
  if (outcome === null)
    fail(`SIM_DEFAULT_OUTCOME must be COMPLETED or FAILED (got ${JSON.stringify(outcomeText)})`);

  const faults: Partial<Faults> = {};
  const setFault = <K extends keyof Faults>(key: K, value: Faults[K] | undefined): void => {
    if (value !== undefined) faults[key] = value;
  };
  setFault('errorRate', rate(env, 'SIM_ERROR_RATE'));
  setFault('rateLimitRate', rate(env, 'SIM_RATE_LIMIT_RATE'));
  setFault('retryAfterSeconds', integer(env, 'SIM_RETRY_AFTER_SECONDS', 0, 86_400));
  setFault('latencyMs', duration(env, 'SIM_LATENCY_MS', 0, 600_000));
  setFault('latencyJitterMs', duration(env, 'SIM_LATENCY_JITTER_MS', 0, 600_000));
  setFault('malformedRate', rate(env, 'SIM_MALFORMED_RATE'));
  setFault('dropNotificationRate', rate(env, 'SIM_DROP_NOTIFICATION_RATE'));
  setFault('trailingCommaBodies', bool(env, 'SIM_TRAILING_COMMA'));

  const seed = integer(env, 'SIM_SEED', 0, 4_294_967_295);
  const tokenTtlMs = duration(env, 'SIM_TOKEN_TTL', 1, MAX_DURATION_MS);
  const options: SimulatorOptions = {
    apiKey: apiKey.value,
    username: username?.value ?? '',
    password: password?.value ?? '',
    staticTokens: staticToken === undefined ? [] : [staticToken.value],
    restrictedApiKeys: list(env['SIM_RESTRICTED_API_KEYS']),
    versions,
    defaults: {
      durationMs: duration(env, 'SIM_DEFAULT_DURATION', 0, MAX_DURATION_MS) ?? DEFAULT_SCENARIO.durationMs,
      batches: integer(env, 'SIM_DEFAULT_BATCHES', 0, MAX_BATCHES) ?? DEFAULT_SCENARIO.batches,
      outcome,
    },
    faults,
    ...(seed === undefined ? {} : { seed }),
    ...(tokenTtlMs === undefined ? {} : { tokenTtlMs }),
    ...(tokenField === undefined ? {} : { tokenField }),
  };

  const port = integer(env, 'SIMULATOR_PORT', 0, 65_535) ?? DEFAULT_SIMULATOR_PORT;
  const host = pick(env, 'SIMULATOR_HOST')?.value ?? DEFAULT_SIMULATOR_HOST;
  return { options, port, host };
}
