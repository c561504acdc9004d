/** The TDG HTTP client: transport, auth token, response reading, typed errors, job naming. Knows nothing of Temporal. */
export {
  createTdgClient,
  type TdgClient,
  type TdgClientOptions,
  type CreateJobParams,
  type CallOptions,
} from './client.js';
export {
  createPasswordTokenProvider,
  createStaticTokenProvider,
  type TokenProvider,
  type TokenRequest,
  type PasswordTokenProviderOptions,
} from './token-provider.js';
export {
  createKeepAliveFetch,
  keepAliveAgents,
  DEFAULT_MAX_SOCKETS,
  type FetchLike,
  type TdgLogger,
} from './http.js';
export { jobNameFor } from './job-name.js';
export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  TDG_REQUESTS_PER_ATTEMPT,
  requestTimeoutProblem,
} from './request-budget.js';
export * from './errors.js';
