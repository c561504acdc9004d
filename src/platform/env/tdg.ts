/** The Data Group's API as the worker calls it (`TDG_*`). */
import { section } from './core.js';
import { duration, httpUrl, matching, required, text } from './fields.js';

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
    TDG_REQUEST_TIMEOUT: duration('15s'),
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
    return {
      baseUrl: env.TDG_BASE_URL,
      apiVersion: env.TDG_API_VERSION,
      apiKey: env.TDG_API_KEY,
      auth,
      requestTimeoutMs: env.TDG_REQUEST_TIMEOUT,
    };
  },
);
