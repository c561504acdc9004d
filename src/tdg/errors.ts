/**
 * Typed errors of the TDG HTTP client. Each carries whether a retry can help, so the activity layer
 * maps them to Temporal failures without re-reading HTTP details.
 *
 * Every message ends up in workflow history (the Web UI shows it), so nothing here may carry the API
 * key, token, username or password. Messages are built from request descriptions ("GET /v3/...") and
 * from TDG's own response text, which is passed through `redact` first in case TDG echoes a secret.
 */

import type { CreateOutcome } from '../contract/index.js';

const REDACTED = '[redacted]';
export const BODY_PREVIEW_CHARS = 200;

/** Replaces every occurrence of a known secret. Empty strings are skipped: replacing '' would corrupt the text. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length > 0) result = result.split(secret).join(REDACTED);
  }
  return result;
}

/**
 * The first characters of a response body, secrets removed. Redaction runs on a window longer than the
 * preview so a secret that straddles the cut is still removed whole instead of leaking its first half.
 */
export function previewBody(text: string, secrets: readonly string[], maxChars = BODY_PREVIEW_CHARS): string {
  const longestSecret = secrets.reduce((max, s) => Math.max(max, s.length), 0);
  const window = redact(text.slice(0, maxChars + longestSecret), secrets);
  const preview = window.slice(0, maxChars);
  return text.length > maxChars ? `${preview}…` : preview;
}

/** Connection errors that happen before a request leaves this machine. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

export abstract class TdgError extends Error {
  abstract readonly retryable: boolean;
  /** Set by `createJob` on every error it throws. */
  createOutcome?: CreateOutcome;
}

/**
 * Classifies an error of the job request itself (the token was obtained and the request was about to
 * be sent): a refusal (4xx) or a connection never opened created nothing; a timeout may have left a
 * job TDG was still making; anything else may have created one.
 */
export function createOutcomeOf(err: unknown): CreateOutcome {
  if (err instanceof TdgTimeoutError) return 'unanswered';
  if (err instanceof TdgHttpError) return err.status < 500 ? 'not-sent' : 'unknown';
  if (err instanceof TdgAuthError) return 'not-sent';
  if (err instanceof TdgNetworkError)
    return err.code && NOT_SENT_CODES.has(err.code) ? 'not-sent' : 'unknown';
  return 'unknown';
}

/** Why TDG refused a request; decides the Temporal failure type. */
export type TdgHttpErrorReason =
  'invalid-request' | 'not-permitted' | 'not-found' | 'rate-limited' | 'unavailable' | 'rejected';

export interface TdgHttpErrorFields {
  status: number;
  reason: TdgHttpErrorReason;
  retryable: boolean;
  retryAfterMs?: number;
  bodyPreview: string;
}

/** TDG answered with a non-success status (other than the 401 handled by token refresh). */
export class TdgHttpError extends TdgError {
  override readonly name = 'TdgHttpError';
  readonly status: number;
  readonly reason: TdgHttpErrorReason;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly bodyPreview: string;

  constructor(message: string, fields: TdgHttpErrorFields) {
    super(message);
    this.status = fields.status;
    this.reason = fields.reason;
    this.retryable = fields.retryable;
    this.retryAfterMs = fields.retryAfterMs;
    this.bodyPreview = fields.bodyPreview;
  }
}

/** The request never got an HTTP answer: DNS, refused or reset connection, TLS failure. */
export class TdgNetworkError extends TdgError {
  override readonly name = 'TdgNetworkError';
  readonly retryable = true;

  constructor(
    message: string,
    /** Node's error code (ECONNREFUSED, ECONNRESET, ...) when there is one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** No complete answer within the request's timeout (or no token for it before the attempt's deadline). */
export class TdgTimeoutError extends TdgError {
  override readonly name = 'TdgTimeoutError';
  readonly retryable = true;

  constructor(
    message: string,
    /** The time the request was given: its `requestTimeoutMs` as sent (src/tdg/http.ts). */
    readonly requestTimeoutMs: number,
  ) {
    super(message);
  }
}

/**
 * A success status whose body we cannot read. Retryable because a proxy hiccup or a deploy on TDG's
 * side can produce one bad body; the activity layer bounds how often.
 */
export class TdgMalformedResponseError extends TdgError {
  override readonly name = 'TdgMalformedResponseError';
  readonly retryable = true;

  constructor(
    /** What is wrong, without the body: lets the client re-wrap the error with request context. */
    readonly detail: string,
    readonly bodyPreview: string,
  ) {
    super(`${detail}; the body starts with: ${JSON.stringify(bodyPreview)}`);
  }
}

/** Credentials were refused and a fresh token did not help: a human has to fix configuration. */
export class TdgAuthError extends TdgError {
  override readonly name = 'TdgAuthError';
  readonly retryable = false;

  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * This worker's own rate limit had no token for the call in time (or at once, when the caller would
 * not wait): the request was not sent and no token was spent. Retryable after `retryAfterMs`.
 */
export class TdgThrottledError extends TdgError {
  override readonly name = 'TdgThrottledError';
  readonly retryable = true;

  constructor(
    message: string,
    /** When a token is expected to be free for a caller arriving now, in ms. */
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** Every error the client throws, discriminated by `name`. */
export type AnyTdgError =
  | TdgHttpError
  | TdgNetworkError
  | TdgTimeoutError
  | TdgMalformedResponseError
  | TdgAuthError
  | TdgThrottledError;
