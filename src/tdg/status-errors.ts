/**
 * Maps TDG's non-success statuses to typed errors. TDG documents no error statuses or bodies, so the
 * mapping follows HTTP semantics: retry only what a retry can fix.
 */
import { previewBody, redact, TdgHttpError } from './errors.js';
import { parseRetryAfter, type RawResponse } from './http.js';
import { parseJsonLeniently } from './normalize.js';

const ERROR_TEXT_CHARS = 300;
/** Default cap on an honoured Retry-After. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 15 * 60 * 1000;
const ERROR_TEXT_FIELDS = [
  'message',
  'error',
  'error_message',
  'errorMessage',
  'detail',
  'description',
  'Message',
];

export interface StatusContext {
  /** "GET /v3/async/append/email/job/abc" */
  describe: string;
  secrets: readonly string[];
  nowMs: number;
  /** Retry-After beyond this is capped: a hostile or buggy header must not park a job for days. */
  maxRetryAfterMs: number;
  /** Set for getJob, where 404 means "no such job" rather than "wrong endpoint". */
  jobId?: string;
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Statuses where the same request may succeed later: overload, rate limit, server trouble. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The error for any non-2xx status except 401, which the caller turns into a token refresh first. */
export function errorForStatus(response: RawResponse, ctx: StatusContext): TdgHttpError {
  const { status } = response;
  const bodyPreview = previewBody(response.text, ctx.secrets);
  const tdgSays = tdgErrorText(response.text, ctx.secrets);
  const suffix = tdgSays ? `; TDG says: ${tdgSays}` : '';

  if (isRetryableStatus(status)) {
    const retryAfterMs = cappedRetryAfter(response.retryAfter, ctx);
    const wait = retryAfterMs === undefined ? '' : `; TDG asks to retry after ${retryAfterMs} ms`;
    const rateLimited = status === 429;
    const what = rateLimited ? 'rate-limited' : 'could not serve';
    return new TdgHttpError(`TDG ${what} ${ctx.describe} (HTTP ${status})${wait}${suffix}`, {
      status,
      reason: rateLimited ? 'rate-limited' : 'unavailable',
      retryable: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      bodyPreview,
    });
  }

  const fail = (reason: TdgHttpError['reason'], message: string): TdgHttpError =>
    new TdgHttpError(message, { status, reason, retryable: false, bodyPreview });

  if (status === 400 || status === 422) {
    return fail('invalid-request', `TDG rejected ${ctx.describe} as invalid (HTTP ${status})${suffix}`);
  }
  if (status === 403) {
    return fail(
      'not-permitted',
      `TDG refused ${ctx.describe} (HTTP 403): the account may not use the asynchronous API ` +
        `(trial or restricted account?)${suffix}`,
    );
  }
  if (status === 404 && ctx.jobId !== undefined) {
    return fail(
      'not-found',
      `TDG has no job ${JSON.stringify(ctx.jobId)} (HTTP 404 on ${ctx.describe})${suffix}`,
    );
  }
  if (status === 404) {
    return fail(
      'rejected',
      `TDG has no endpoint ${ctx.describe} (HTTP 404): check TDG_BASE_URL and TDG_API_VERSION${suffix}`,
    );
  }
  if (status >= 300 && status < 400) {
    const location = response.location ? ` to ${redact(response.location, ctx.secrets)}` : '';
    return fail(
      'rejected',
      `TDG redirected ${ctx.describe} (HTTP ${status}${location}); redirects are not followed because ` +
        `they would resend the credentials: check TDG_BASE_URL`,
    );
  }
  return fail('rejected', `TDG refused ${ctx.describe} with HTTP ${status}${suffix}`);
}

function cappedRetryAfter(header: string | null, ctx: StatusContext): number | undefined {
  const ms = parseRetryAfter(header, ctx.nowMs);
  return ms === undefined ? undefined : Math.min(ms, ctx.maxRetryAfterMs);
}

/**
 * TDG's explanation from an error body: a `message`-like field of a JSON body, else the start of the
 * text. Redacted and shortened, because it goes into failure messages.
 */
export function tdgErrorText(text: string, secrets: readonly string[]): string {
  let explanation = text.trim();
  try {
    const { value } = parseJsonLeniently(text);
    const found = findErrorText(value);
    if (found !== undefined) explanation = found;
  } catch {
    // not JSON: the raw text is the explanation
  }
  return previewBody(explanation.replace(/\s+/g, ' '), secrets, ERROR_TEXT_CHARS);
}

function findErrorText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    const parts = value.map(findErrorText).filter((p): p is string => p !== undefined);
    return parts.length > 0 ? parts.join('; ') : undefined;
  }
  const record = value as Record<string, unknown>;
  for (const field of ERROR_TEXT_FIELDS) {
    const found = findErrorText(record[field]);
    if (found !== undefined) return found;
  }
  return findErrorText(record['errors']);
}
