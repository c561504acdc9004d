/**
 * The one place that performs HTTP for the TDG client and the token provider: timeout, cancellation,
 * keep-alive and the translation of transport failures into typed errors.
 */
import http from 'node:http';
import https from 'node:https';
import nodeFetch from 'node-fetch';
import { redact, TdgNetworkError, TdgTimeoutError } from './errors.js';

export interface HttpRequestInit {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /**
   * Redirects are not followed: node-fetch would resend `x-api-key` and `AuthorizationToken` to
   * whatever host the redirect names. A 3xx from TDG is reported instead.
   */
  redirect: 'manual';
}

export interface HttpResponseLike {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** The subset of fetch the client uses; node-fetch and the global fetch both satisfy it. */
export type FetchLike = (url: string, init: HttpRequestInit) => Promise<HttpResponseLike>;

/** Minimal logging surface: satisfied by Temporal's Logger, the activity context's `log` and `console`. */
export interface TdgLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export const silentLogger: TdgLogger = { info: () => undefined, warn: () => undefined };

/** Sockets per host when the caller does not size the pool (the worker sizes it to its activity slots). */
export const DEFAULT_MAX_SOCKETS = 64;

interface KeepAliveAgents {
  http: http.Agent;
  https: https.Agent;
}

/** One pool per size, shared process-wide: the client and the token provider reuse each other's connections. */
const sharedAgents = new Map<number, KeepAliveAgents>();

/** The process-wide keep-alive agents with `maxSockets` sockets per host. */
export function keepAliveAgents(maxSockets: number = DEFAULT_MAX_SOCKETS): KeepAliveAgents {
  if (!Number.isInteger(maxSockets) || maxSockets < 1) {
    throw new RangeError(`maxSockets must be a whole number of at least 1, got ${maxSockets}`);
  }
  let agents = sharedAgents.get(maxSockets);
  if (agents === undefined) {
    agents = {
      http: new http.Agent({ keepAlive: true, maxSockets }),
      https: new https.Agent({ keepAlive: true, maxSockets }),
    };
    sharedAgents.set(maxSockets, agents);
  }
  return agents;
}

/**
 * node-fetch over process-wide keep-alive agents: a worker checking thousands of jobs then reuses
 * TLS connections instead of handshaking per request. Idle sockets are unref'd by Node, so they never
 * keep the process alive. `maxSockets` bounds the connections per host (default 64).
 */
export function createKeepAliveFetch(maxSockets: number = DEFAULT_MAX_SOCKETS): FetchLike {
  return (url, init) => {
    const agents = keepAliveAgents(maxSockets);
    return nodeFetch(url, {
      ...init,
      agent: (parsed: URL) => (parsed.protocol === 'http:' ? agents.http : agents.https),
    });
  };
}

export interface SendRequest {
  fetch: FetchLike;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  /**
   * This request's timeout, from connecting to the last byte of the body: the client's
   * `requestTimeoutMs` (TDG_REQUEST_TIMEOUT), or for a job call its escalated timeout cut to the
   * attempt's deadline (src/tdg/client.ts).
   */
  requestTimeoutMs: number;
  /** Cancellation from the caller (the activity's cancellation signal); its reason is rethrown as is. */
  signal?: AbortSignal;
  /** "POST /v3/auth": used in messages instead of the full URL. */
  describe: string;
  secrets: readonly string[];
}

export interface RawResponse {
  status: number;
  text: string;
  retryAfter: string | null;
  location: string | null;
}

/** Sends one request and reads the whole body, both within `requestTimeoutMs`. */
export async function send(request: SendRequest): Promise<RawResponse> {
  const { signal: callerSignal } = request;
  if (callerSignal?.aborted) throw abortReason(callerSignal);

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.requestTimeoutMs);
  const forwardAbort = (): void => controller.abort();
  callerSignal?.addEventListener('abort', forwardAbort, { once: true });

  try {
    const init: HttpRequestInit = {
      method: request.method,
      headers: request.headers,
      signal: controller.signal,
      redirect: 'manual',
    };
    if (request.body !== undefined) init.body = request.body;
    const response = await request.fetch(request.url, init);
    const text = await response.text();
    return {
      status: response.status,
      text,
      retryAfter: response.headers.get('retry-after'),
      location: response.headers.get('location'),
    };
  } catch (err) {
    if (timedOut) {
      throw new TdgTimeoutError(
        `TDG did not answer ${request.describe} within ${request.requestTimeoutMs} ms`,
        request.requestTimeoutMs,
      );
    }
    if (callerSignal?.aborted) throw abortReason(callerSignal);
    const code = errorCode(err);
    const reason = err instanceof Error ? err.message : String(err);
    throw new TdgNetworkError(
      redact(`Could not reach TDG for ${request.describe}: ${reason}`, request.secrets),
      code,
    );
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', forwardAbort);
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('The request was cancelled');
}

/** Node's system error code, found on the error or on its cause (undici nests it there). */
function errorCode(err: unknown): string | undefined {
  for (let current: unknown = err, depth = 0; current && depth < 3; depth++) {
    if (typeof current !== 'object') break;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * `Retry-After` as milliseconds: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Unparseable values
 * are ignored rather than guessed; dates in the past mean "now".
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** `{base}/{version}/{path}` without doubled slashes, whatever the configuration's trailing slashes. */
export function joinUrl(baseUrl: string, ...segments: string[]): string {
  const base = baseUrl.replace(/\/+$/, '');
  const rest = segments.map((s) => s.replace(/^\/+|\/+$/g, '')).filter((s) => s !== '');
  return [base, ...rest].join('/');
}

/** The path part of a URL, for messages that must not carry credentials embedded in the base URL. */
export function describeRequest(method: string, url: string): string {
  try {
    return `${method} ${new URL(url).pathname}`;
  } catch {
    return method;
  }
}
