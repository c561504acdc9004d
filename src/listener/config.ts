/** The listener's environment, validated once at start-up; secrets are checked, never echoed. */
import {
  checkNotifySecret,
  ConfigError,
  loadTemporalConfig,
  loadTemporalSecurity,
  type TemporalConfig,
  type TemporalConnectionSecurity,
} from '../platform/config.js';

export interface ListenerConfig {
  port: number;
  host: string;
  /** Current secret first, then the previous one during a rotation. */
  secrets: string[];
  temporal: TemporalConfig;
  /** TLS / API key for Temporal Cloud or a secured cluster, as the worker uses. */
  temporalSecurity: TemporalConnectionSecurity;
}

export const DEFAULT_LISTENER_PORT = 8788;
export const DEFAULT_LISTENER_HOST = '0.0.0.0';

type Env = Record<string, string | undefined>;

function readPort(value: string | undefined, problems: string[]): number {
  if (value === undefined) return DEFAULT_LISTENER_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    problems.push(`LISTENER_PORT must be a port number (0-65535), got "${value.slice(0, 40)}"`);
    return DEFAULT_LISTENER_PORT;
  }
  return port;
}

export function loadListenerConfig(env: Env = process.env): ListenerConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const port = readPort(read('LISTENER_PORT'), problems);
  const host = read('LISTENER_HOST') ?? DEFAULT_LISTENER_HOST;

  const secrets: string[] = [];
  const current = read('NOTIFY_SECRET');
  if (current === undefined) {
    problems.push('NOTIFY_SECRET is required (the secret the worker signs notification URLs with)');
  } else {
    checkNotifySecret('NOTIFY_SECRET', current, problems);
    secrets.push(current);
  }
  const previous = read('NOTIFY_SECRET_PREVIOUS');
  if (previous !== undefined) {
    checkNotifySecret('NOTIFY_SECRET_PREVIOUS', previous, problems);
    secrets.push(previous);
  }

  const collect = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const temporal = collect(() => loadTemporalConfig(env));
  const temporalSecurity = collect(() => loadTemporalSecurity(env));

  if (problems.length > 0 || temporal === undefined || temporalSecurity === undefined) {
    throw new ConfigError(problems);
  }
  return { port, host, secrets, temporal, temporalSecurity };
}
