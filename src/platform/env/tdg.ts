/** The Data Group's API as the worker calls it (`TDG_*`). */
import { TDG_ATTEMPT_TIMEOUT_MS } from '../../contract/definitions.js';
import { section } from './core.js';
import { duration, exactDuration, httpUrl, matching, required, text } from './fields.js';

export type TdgAuthConfig =
  | { kind: 'static'; token: string }
  | { kind: 'password'; username: string; password: string; tokenField?: string; tokenTtlMs: number };

export interface TdgConfig {
  baseUrl: string;
  apiVersion: string;
  apiKey: string;
  auth: TdgAuthConfig;
  requestTimeoutMs: number;
  /**
   * The keep-alive pool's size (sockets per TDG host). The worker sets it to its activity slots
   * (WORKER_MAX_CONCURRENT_ACTIVITIES): an attempt sends its requests one after another, so no slot
   * ever waits for a socket. Unset: the shared default pool (src/tdg/http.ts).
   */
  maxSockets?: number;
}

/**
 * The most HTTP requests one activity attempt sends, one after another (src/tdg/client.ts): a token
 * request when no valid token is cached, the call, and after a 401 another token request and the
 * call again. Each is bounded by TDG_REQUEST_TIMEOUT, so together they must fit inside an attempt.
 */
export const TDG_REQUESTS_PER_ATTEMPT = 4;
export const DEFAULT_TDG_REQUEST_TIMEOUT = '7s';

export const tdgSection = section(
  {
    TDG_BASE_URL: httpUrl('https://api.thedatagroup.com'),
    TDG_API_VERSION: matching(/^v\d+$/, 'v3', 'v3'),
    TDG_API_KEY: required("TDG's x-api-key"),
    TDG_AUTH_TOKEN: text(),
    TDG_USERNAME: text(),
    TDG_PASSWORD: text(),
    TDG_TOKEN_FIELD: text(),
    TDG_TOKEN_TTL: duration('8h'),
    TDG_REQUEST_TIMEOUT: duration(DEFAULT_TDG_REQUEST_TIMEOUT, { min: 100, max: 3_600_000 }),
  },
  (env, problems): TdgConfig => {
    let auth: TdgAuthConfig = { kind: 'static', token: '' };
    if (env.TDG_AUTH_TOKEN !== undefined) {
      auth = { kind: 'static', token: env.TDG_AUTH_TOKEN };
    } else if (env.TDG_USERNAME !== undefined && env.TDG_PASSWORD !== undefined) {
      auth = {
        kind: 'password',
        username: env.TDG_USERNAME,
        password: env.TDG_PASSWORD,
        tokenTtlMs: env.TDG_TOKEN_TTL,
        ...(env.TDG_TOKEN_FIELD ? { tokenField: env.TDG_TOKEN_FIELD } : {}),
      };
    } else {
      problems.push('set TDG_AUTH_TOKEN, or both TDG_USERNAME and TDG_PASSWORD');
    }
    const worstCaseMs = env.TDG_REQUEST_TIMEOUT * TDG_REQUESTS_PER_ATTEMPT;
    if (worstCaseMs > TDG_ATTEMPT_TIMEOUT_MS) {
      const most = Math.floor(TDG_ATTEMPT_TIMEOUT_MS / TDG_REQUESTS_PER_ATTEMPT);
      problems.push(
        `TDG_REQUEST_TIMEOUT (${exactDuration(env.TDG_REQUEST_TIMEOUT)}) × ${TDG_REQUESTS_PER_ATTEMPT} ` +
          `requests one activity attempt can make (token, call, and both again after a 401) = ` +
          `${exactDuration(worstCaseMs)} must fit inside the activity attempt timeout ` +
          `(${exactDuration(TDG_ATTEMPT_TIMEOUT_MS)}): set it to ${exactDuration(most)} or less`,
      );
    }
    return {
      baseUrl: env.TDG_BASE_URL,
      apiVersion: env.TDG_API_VERSION,
      apiKey: env.TDG_API_KEY,
      auth,
      requestTimeoutMs: env.TDG_REQUEST_TIMEOUT,
    };
  },
);
