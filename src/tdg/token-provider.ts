/**
 * Where the TDG client gets its `AuthorizationToken`: either a static token from the environment or
 * one obtained with username and password, cached and renewed before TDG's 8-hour expiry.
 */
import { TdgAuthError, TdgMalformedResponseError } from './errors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './request-budget.js';
import {
  createKeepAliveFetch,
  describeRequest,
  joinUrl,
  send,
  silentLogger,
  type FetchLike,
  type RawResponse,
  type TdgLogger,
} from './http.js';
import { parseJsonLeniently, readExpiresInMs, readToken, TOKEN_FIELDS } from './normalize.js';
import { DEFAULT_MAX_RETRY_AFTER_MS, errorForStatus, isSuccess, tdgErrorText } from './status-errors.js';

/** What the client passes with each `get`: a token request is bounded as its own requests are. */
export interface TokenRequest {
  /** The client's request timeout (TDG_REQUEST_TIMEOUT); never escalated on a retry. */
  requestTimeoutMs: number;
}

export interface TokenProvider {
  /** A token believed valid; may call TDG, within `request.requestTimeoutMs` (default 7 s). */
  get(request?: TokenRequest): Promise<string>;
  /** TDG refused `token` (401): the next `get` must not return it again if a new one can be had. */
  invalidate(token: string): void;
}

/**
 * A token fixed by configuration. It cannot be renewed, so `get` after `invalidate` returns the same
 * token and the client reports the 401 as a configuration problem instead of looping.
 */
export function createStaticTokenProvider(token: string): TokenProvider {
  if (token.trim() === '') throw new Error('The static TDG authorization token is empty');
  const value = token.trim();
  return {
    get: () => Promise.resolve(value),
    invalidate: () => undefined,
  };
}

export const DEFAULT_TOKEN_TTL_MS = 8 * 60 * 60 * 1000;
export const DEFAULT_REFRESH_MARGIN_MS = 15 * 60 * 1000;
/** A bare-text auth body is accepted as a token only if it looks like one (no spaces, no markup). */
const PLAIN_TOKEN = /^[A-Za-z0-9._~+/=-]{8,4096}$/;

export interface PasswordTokenProviderOptions {
  /** e.g. https://api.thedatagroup.com, without the version. */
  baseUrl: string;
  apiVersion: string;
  apiKey: string;
  username: string;
  password: string;
  fetch?: FetchLike;
  /** How long TDG honours a token: 8 hours per its documentation. */
  tokenTtlMs?: number;
  /** Renew this long before expiry, so a token never expires between `get` and TDG reading it. */
  refreshMarginMs?: number;
  /** The auth response's token field, if known; the usual names are tried after it. */
  tokenField?: string;
  now?: () => number;
  logger?: TdgLogger;
}

interface CachedToken {
  token: string;
  renewAtMs: number;
}

export function createPasswordTokenProvider(options: PasswordTokenProviderOptions): TokenProvider {
  const fetch = options.fetch ?? createKeepAliveFetch();
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const ttlMs = options.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS;
  const marginMs = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  // With a short TTL (tests, a simulator) the margin would swallow the whole lifetime: renew at half instead.
  const renewAfter = (lifetimeMs: number): number =>
    lifetimeMs > 2 * marginMs ? lifetimeMs - marginMs : lifetimeMs / 2;
  const url = joinUrl(options.baseUrl, options.apiVersion, 'auth');
  const describe = describeRequest('POST', url);
  const secrets = [options.apiKey, options.username, options.password];

  let cached: CachedToken | undefined;
  // Single flight: concurrent activities that find no valid token share one auth request.
  let inFlight: Promise<string> | undefined;

  async function authenticate(requestTimeoutMs: number): Promise<string> {
    // Measured before the request, so the renewal time errs on the early side.
    const requestedAtMs = now();
    const response = await send({
      fetch,
      method: 'POST',
      url,
      headers: {
        'x-api-key': options.apiKey,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify({ username: options.username, password: options.password }),
      requestTimeoutMs,
      describe,
      secrets,
    });
    if (!isSuccess(response.status)) throw authFailure(response);
    const { token, expiresInMs } = extractToken(response.text);
    const renewInMs = renewAfter(Math.min(ttlMs, expiresInMs ?? ttlMs));
    cached = { token, renewAtMs: requestedAtMs + renewInMs };
    logger.info('Obtained a TDG authorization token', { renewInMs });
    return token;
  }

  function authFailure(response: RawResponse): Error {
    const refused = errorForStatus(response, {
      describe,
      secrets,
      nowMs: now(),
      maxRetryAfterMs: DEFAULT_MAX_RETRY_AFTER_MS,
    });
    // Overload is worth retrying; a 403 says the key may not do this, which is NotPermitted, not a typo.
    if (refused.retryable || refused.reason === 'not-permitted') return refused;
    const tdgSays = tdgErrorText(response.text, secrets);
    return new TdgAuthError(
      `TDG refused the credentials at ${describe} (HTTP ${response.status}): check TDG_API_KEY, ` +
        `TDG_USERNAME and TDG_PASSWORD${tdgSays ? `; TDG says: ${tdgSays}` : ''}`,
      response.status,
    );
  }

  function extractToken(text: string): { token: string; expiresInMs: number | undefined } {
    let token: string | undefined;
    let expiresInMs: number | undefined;
    let fieldsSeen: string[] = [];
    try {
      const { value } = parseJsonLeniently(text);
      token = readToken(value, options.tokenField);
      expiresInMs = readExpiresInMs(value);
      if (typeof value === 'object' && value !== null) fieldsSeen = Object.keys(value);
    } catch {
      const trimmed = text.trim();
      if (PLAIN_TOKEN.test(trimmed)) token = trimmed;
    }
    if (token !== undefined) return { token, expiresInMs };
    const looked = options.tokenField ? [options.tokenField, ...TOKEN_FIELDS] : [...TOKEN_FIELDS];
    // The body is withheld: whatever field it uses, it may well hold the token.
    throw new TdgMalformedResponseError(
      `TDG's answer to ${describe} carried no token (looked for ${looked.join(', ')}, also under "data"; ` +
        `the body has fields: ${fieldsSeen.slice(0, 20).join(', ') || 'none'}); name the token field in ` +
        `TDG_TOKEN_FIELD`,
      `[withheld: ${text.length} characters that may contain a token]`,
    );
  }

  return {
    get(request?: TokenRequest): Promise<string> {
      if (cached && now() < cached.renewAtMs) return Promise.resolve(cached.token);
      inFlight ??= authenticate(request?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS).finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate(token: string): void {
      // Only the token that failed is dropped: a late 401 from an older token must not discard a fresh one.
      if (cached?.token === token) cached = undefined;
    },
  };
}
