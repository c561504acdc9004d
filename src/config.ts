/**
 * Environment configuration, parsed and validated once at start-up. Every problem is
 * collected and reported together in one clear message; secrets are never echoed.
 */
import { DEFAULT_TASK_QUEUE } from './shared/definitions.js';
import { parseDuration } from './shared/duration.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
}

export type TdgAuthConfig =
  | { kind: 'static'; token: string }
  | { kind: 'password'; username: string; password: string; tokenField?: string; tokenTtlMs: number };

export interface TdgConfig {
  baseUrl: string;
  apiVersion: string;
  apiKey: string;
  auth: TdgAuthConfig;
  requestTimeoutMs: number;
}

export interface NotifyConfig {
  publicUrl: string;
  secret: string;
}

export interface WorkerLimits {
  maxConcurrentActivities: number;
  /** Across the whole task queue: keeps thousands of open jobs from hammering TDG. */
  maxTdgCallsPerSecond: number;
}

export interface WorkerConfig {
  temporal: TemporalConfig;
  tdg: TdgConfig;
  notify: NotifyConfig | null;
  limits: WorkerLimits;
}

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  required(name: string, hint: string): string {
    const value = this.optional(name);
    if (value === undefined) this.problems.push(`${name} is required (${hint})`);
    return value ?? '';
  }

  url(name: string, fallback?: string): string {
    const value = this.optional(name) ?? fallback;
    if (value === undefined) {
      this.problems.push(`${name} is required`);
      return '';
    }
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      return value.replace(/\/+$/, '');
    } catch {
      this.problems.push(`${name} must be an http(s) URL, got "${value}"`);
      return '';
    }
  }

  duration(name: string, fallback: string): number {
    const value = this.optional(name) ?? fallback;
    try {
      return parseDuration(value);
    } catch (err) {
      this.problems.push(`${name}: ${(err as Error).message}`);
      return 0;
    }
  }

  positiveNumber(name: string, fallback: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) {
      this.problems.push(`${name} must be a positive number, got "${value}"`);
      return fallback;
    }
    return parsed;
  }

  finish(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || hostname.startsWith('127.')
  );
}

function readTemporal(r: Reader): TemporalConfig {
  return {
    address: r.optional('TEMPORAL_ADDRESS') ?? 'localhost:7233',
    namespace: r.optional('TEMPORAL_NAMESPACE') ?? 'default',
    taskQueue: r.optional('TEMPORAL_TASK_QUEUE') ?? DEFAULT_TASK_QUEUE,
  };
}

function readTdg(r: Reader): TdgConfig {
  const apiKey = r.required('TDG_API_KEY', "TDG's x-api-key");
  const token = r.optional('TDG_AUTH_TOKEN');
  const username = r.optional('TDG_USERNAME');
  const password = r.optional('TDG_PASSWORD');
  let auth: TdgAuthConfig = { kind: 'static', token: '' };
  if (token !== undefined) {
    auth = { kind: 'static', token };
  } else if (username !== undefined && password !== undefined) {
    const tokenField = r.optional('TDG_TOKEN_FIELD');
    auth = {
      kind: 'password',
      username,
      password,
      tokenTtlMs: r.duration('TDG_TOKEN_TTL', '8h'),
      ...(tokenField ? { tokenField } : {}),
    };
  } else {
    r.problems.push('set TDG_AUTH_TOKEN, or both TDG_USERNAME and TDG_PASSWORD');
  }
  const apiVersion = r.optional('TDG_API_VERSION') ?? 'v3';
  if (!/^v\d+$/.test(apiVersion)) r.problems.push(`TDG_API_VERSION must look like v3, got "${apiVersion}"`);
  return {
    baseUrl: r.url('TDG_BASE_URL', 'https://api.thedatagroup.com'),
    apiVersion,
    apiKey,
    auth,
    requestTimeoutMs: r.duration('TDG_REQUEST_TIMEOUT', '15s'),
  };
}

export const MIN_NOTIFY_SECRET_BYTES = 32;

/** Validates the secret's length without ever putting the secret itself into a message. */
export function checkNotifySecret(name: string, secret: string, problems: string[]): void {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_NOTIFY_SECRET_BYTES) {
    problems.push(`${name} must be at least ${MIN_NOTIFY_SECRET_BYTES} bytes (it has ${bytes})`);
  }
}

function readNotify(r: Reader): NotifyConfig | null {
  const publicUrl = r.optional('NOTIFY_PUBLIC_URL');
  const secret = r.optional('NOTIFY_SECRET');
  if (publicUrl === undefined && secret === undefined) return null;
  if (publicUrl === undefined || secret === undefined) {
    r.problems.push('NOTIFY_PUBLIC_URL and NOTIFY_SECRET must be set together (or neither: polling only)');
    return null;
  }
  checkNotifySecret('NOTIFY_SECRET', secret, r.problems);
  const url = r.url('NOTIFY_PUBLIC_URL');
  if (url) {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && !isLoopbackHost(parsed.hostname)) {
      r.problems.push(`NOTIFY_PUBLIC_URL must use https (http only for loopback), got "${url}"`);
    }
    if (parsed.search || parsed.hash) r.problems.push('NOTIFY_PUBLIC_URL must not carry a query or fragment');
  }
  return { publicUrl: url, secret };
}

export function loadTemporalConfig(env: Env = process.env): TemporalConfig {
  const r = new Reader(env);
  const config = readTemporal(r);
  r.finish();
  return config;
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const r = new Reader(env);
  const config: WorkerConfig = {
    temporal: readTemporal(r),
    tdg: readTdg(r),
    notify: readNotify(r),
    limits: {
      maxConcurrentActivities: r.positiveNumber('WORKER_MAX_CONCURRENT_ACTIVITIES', 100),
      maxTdgCallsPerSecond: r.positiveNumber('TDG_MAX_CALLS_PER_SECOND', 20),
    },
  };
  r.finish();
  return config;
}
