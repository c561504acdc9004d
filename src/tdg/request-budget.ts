/**
 * How long one TDG request may take, and why it is short: one activity attempt sends up to
 * TDG_REQUESTS_PER_ATTEMPT requests one after another (a token request when no valid token is
 * cached, the call, and after a 401 another token request and the call again), each bounded by the
 * request timeout, so together they must fit inside the attempt. This is the start-up half of the
 * rule, and it bounds the FIRST attempt: a retried attempt escalates its call's timeout, bounded by
 * the attempt's deadline instead (`escalatedRequestTimeoutMs` in activities/call-budget.ts).
 */
import { exactDuration } from '../contract/duration.js';

export const TDG_REQUESTS_PER_ATTEMPT = 4;
/** The request timeout when none is configured: 4 × 7 s fits a 30 s attempt. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 7_000;

/**
 * Why `requestTimeoutMs` (the setting `name`) cannot fit a first attempt's worst case, four requests
 * in a row, inside `attemptMs`; undefined when it can.
 */
export function requestTimeoutProblem(
  name: string,
  requestTimeoutMs: number,
  attemptMs: number,
): string | undefined {
  const worstCaseMs = requestTimeoutMs * TDG_REQUESTS_PER_ATTEMPT;
  if (worstCaseMs <= attemptMs) return undefined;
  return (
    `${name} (${exactDuration(requestTimeoutMs)}) × ${TDG_REQUESTS_PER_ATTEMPT} requests one activity ` +
    `attempt can make (token, call, and both again after a 401) = ${exactDuration(worstCaseMs)} must fit ` +
    `inside the activity attempt timeout (${exactDuration(attemptMs)}): set it to ` +
    `${exactDuration(Math.floor(attemptMs / TDG_REQUESTS_PER_ATTEMPT))} or less`
  );
}
