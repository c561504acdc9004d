/**
 * Environment configuration, parsed and validated once at start-up. Every problem is
 * collected and reported together in one clear message; secrets are never echoed.
 */
import { accessSync, constants } from 'node:fs';
import { DEFAULT_TASK_QUEUE } from '../contract/definitions.js';
import { parseDuration } from './duration.js';

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

/**
 * How to reach a secured Temporal (Temporal Cloud, or a self-hosted cluster with TLS), read from
 * the same `TEMPORAL_*` variables as the Temporal CLI and the SDKs' envconfig.
 */
export interface TemporalConnectionSecurity {
  /** `TEMPORAL_API_KEY`: a secret, never logged. Turns TLS on unless `TEMPORAL_TLS=false`. */
  apiKey?: string;
  /** null: plain connection (or the SDK's default with an API key: TLS). */
  tls: TemporalTlsFiles | null;
  /** `TEMPORAL_TLS=false` with an API key: send the key without TLS (a local proxy that adds TLS). */
  tlsDisabled: boolean;
}

export interface TemporalTlsFiles {
  /** mTLS client certificate and key (PEM files); both or neither. */
  clientCertPath?: string;
  clientKeyPath?: string;
  /** CA that signed the server's certificate, when the system's trust store does not know it. */
  serverCaCertPath?: string;
  serverName?: string;
}

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
export const LOG_LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** The worker process's own endpoints and lifecycle. */
export interface WorkerOperationsConfig {
  /** Prometheus exporter of the SDK's runtime metrics (`host:port`, path /metrics); null: off. */
  metricsBindAddress: string | null;
  /** The worker's `/healthz` endpoint; null: off. */
  health: { host: string; port: number } | null;
  /** On SIGTERM/SIGINT: how long in-flight activities may run before they are cancelled. */
  shutdownGraceMs: number;
  logLevel: LogLevel;
}

export interface WorkerConfig {
  temporal: TemporalConfig;
  tdg: TdgConfig;
  notify: NotifyConfig | null;
  limits: WorkerLimits;
  temporalSecurity: TemporalConnectionSecurity;
  operations: WorkerOperationsConfig;
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

function readableFile(r: Reader, name: string): string | undefined {
  const path = r.optional(name);
  if (path === undefined) return undefined;
  try {
    accessSync(path, constants.R_OK);
  } catch {
    r.problems.push(`${name}: cannot read the file "${path}"`);
  }
  return path;
}

function readBoolean(r: Reader, name: string): boolean | undefined {
  const value = r.optional(name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  r.problems.push(`${name} must be true or false, got "${value.slice(0, 40)}"`);
  return undefined;
}

function readTemporalSecurity(r: Reader): TemporalConnectionSecurity {
  const apiKey = r.optional('TEMPORAL_API_KEY');
  const tlsFlag = readBoolean(r, 'TEMPORAL_TLS');
  const files: TemporalTlsFiles = {};
  const clientCertPath = readableFile(r, 'TEMPORAL_TLS_CLIENT_CERT_PATH');
  const clientKeyPath = readableFile(r, 'TEMPORAL_TLS_CLIENT_KEY_PATH');
  const serverCaCertPath = readableFile(r, 'TEMPORAL_TLS_SERVER_CA_CERT_PATH');
  const serverName = r.optional('TEMPORAL_TLS_SERVER_NAME');
  if ((clientCertPath === undefined) !== (clientKeyPath === undefined)) {
    r.problems.push(
      'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH must be set together (mTLS)',
    );
  }
  if (clientCertPath !== undefined) files.clientCertPath = clientCertPath;
  if (clientKeyPath !== undefined) files.clientKeyPath = clientKeyPath;
  if (serverCaCertPath !== undefined) files.serverCaCertPath = serverCaCertPath;
  if (serverName !== undefined) files.serverName = serverName;
  const hasFiles = Object.keys(files).length > 0;
  if (tlsFlag === false && hasFiles) {
    r.problems.push('TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* certificate settings');
  }
  return {
    ...(apiKey !== undefined ? { apiKey } : {}),
    tls: hasFiles || tlsFlag === true ? files : null,
    tlsDisabled: tlsFlag === false,
  };
}

/** `WORKER_*_PORT`: a port number (1-65535) or `off`. */
function portOrOff(r: Reader, name: string, fallback: number): number | null {
  const value = r.optional(name);
  if (value === undefined) return fallback;
  if (['off', 'false', 'none', 'disabled'].includes(value.toLowerCase())) return null;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65_535) {
    r.problems.push(`${name} must be a port number (1-65535) or "off", got "${value.slice(0, 40)}"`);
    return fallback;
  }
  return port;
}

export const DEFAULT_WORKER_METRICS_PORT = 9464;
export const DEFAULT_WORKER_HEALTH_PORT = 8081;

function readOperations(r: Reader): WorkerOperationsConfig {
  const host = r.optional('WORKER_HTTP_HOST') ?? '0.0.0.0';
  if (!/^[A-Za-z0-9.:_-]+$/.test(host) || host.startsWith('[')) {
    r.problems.push(`WORKER_HTTP_HOST must be a host name or IP address, got "${host.slice(0, 60)}"`);
  }
  const metricsPort = portOrOff(r, 'WORKER_METRICS_PORT', DEFAULT_WORKER_METRICS_PORT);
  const healthPort = portOrOff(r, 'WORKER_HEALTH_PORT', DEFAULT_WORKER_HEALTH_PORT);
  if (metricsPort !== null && metricsPort === healthPort) {
    r.problems.push('WORKER_METRICS_PORT and WORKER_HEALTH_PORT must differ');
  }
  const shutdownGraceMs = r.duration('WORKER_SHUTDOWN_GRACE', '20s');
  const logLevel = (r.optional('LOG_LEVEL') ?? 'INFO').toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    r.problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel.slice(0, 40)}"`);
  }
  const bindHost = host.includes(':') ? `[${host}]` : host;
  return {
    metricsBindAddress: metricsPort === null ? null : `${bindHost}:${metricsPort}`,
    health: healthPort === null ? null : { host, port: healthPort },
    shutdownGraceMs,
    logLevel: (LOG_LEVELS as readonly string[]).includes(logLevel) ? (logLevel as LogLevel) : 'INFO',
  };
}

export function loadTemporalConfig(env: Env = process.env): TemporalConfig {
  const r = new Reader(env);
  const config = readTemporal(r);
  r.finish();
  return config;
}

/** The `TEMPORAL_API_KEY` / `TEMPORAL_TLS*` settings alone (for any process that connects to Temporal). */
export function loadTemporalSecurity(env: Env = process.env): TemporalConnectionSecurity {
  const r = new Reader(env);
  const security = readTemporalSecurity(r);
  r.finish();
  return security;
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
    temporalSecurity: readTemporalSecurity(r),
    operations: readOperations(r),
  };
  r.finish();
  return config;
}
