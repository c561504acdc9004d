/**
 * How much time one activity attempt gives its TDG call: when the attempt must be over, and how long
 * its request may wait for TDG. Pure, so the rules are unit-tested apart from Temporal.
 */
import { MAX_TDG_REQUEST_TIMEOUT_MS } from '../src/contract/index.js';

/** The part of an activity's Info these rules read. */
export interface AttemptTiming {
  startToCloseTimeoutMs: number;
  scheduleToCloseTimeoutMs: number;
  scheduledTimestampMs: number;
}

/** Room kept at the end of an attempt so its outcome is reported before the attempt's own timeout. */
export const REPORT_MARGIN_MS = 1_000;

/**
 * Epoch ms by which this attempt's TDG call must be over: the attempt's start-to-close from when it
 * started, or the activity's schedule-to-close if that comes first, less a reporting margin. A call
 * cut here fails with our own typed error; one cut by Temporal's timeout leaves its outcome unknown.
 */
export function attemptDeadlineAt(timing: AttemptTiming, startedAtMs: number): number | undefined {
  const ends: number[] = [];
  if (timing.startToCloseTimeoutMs > 0) ends.push(startedAtMs + timing.startToCloseTimeoutMs);
  const wholeEnd = timing.scheduledTimestampMs + timing.scheduleToCloseTimeoutMs;
  // A server never starts an attempt past its schedule-to-close, so an end already past is not real
  // information (a test's mock Info) and is ignored.
  if (timing.scheduleToCloseTimeoutMs > 0 && wholeEnd > startedAtMs) ends.push(wholeEnd);
  if (ends.length === 0) return undefined;
  const end = Math.min(...ends);
  const budget = end - startedAtMs;
  return end - Math.min(REPORT_MARGIN_MS, Math.floor(budget / 10));
}

/**
 * The request timeout of this attempt's job call (createJob or getJob). THE RULE of the TDG request
 * timeout, from TDG_REQUEST_TIMEOUT (`requestTimeoutMs`) to the socket:
 *
 * 1. Start-up (src/tdg/request-budget.ts, `requestTimeoutProblem`): `requestTimeoutMs` × 4 must fit
 *    one activity attempt (TDG_ATTEMPT_TIMEOUT_MS, 30 s). That bounds the FIRST attempt's worst case:
 *    a token request, the call, and both again after a 401, each given `requestTimeoutMs`.
 * 2. Escalation (here): a retried attempt gives its job call `requestTimeoutMs` doubled per earlier
 *    attempt, so a TDG slower than the configured timeout is eventually waited for; or, for
 *    createJob, the request timeout the workflow chose (`workflowRequestTimeoutMs`: after an attempt
 *    that got no answer, the workflow asks for MAX_TDG_REQUEST_TIMEOUT_MS at once rather than
 *    repeating what failed). Either way never above MAX_TDG_REQUEST_TIMEOUT_MS (28 s). Attempt 1
 *    without the workflow's choice is `requestTimeoutMs` itself, the value the start-up check bounds;
 *    a local activity always counts as attempt 1 (a longer wait would hold its workflow task). Token
 *    requests are never escalated: they keep `requestTimeoutMs`.
 * 3. Deadline (`attemptDeadlineAt`, passed to the client as `deadlineAt`): an escalated call no longer
 *    fits four times in an attempt, and need not. What bounds it is the attempt's deadline: the
 *    client waits for a rate-limit slot only while the deadline still leaves the escalated timeout,
 *    stops waiting for a token (a refresh after a 401 included) at the deadline, and cuts the job
 *    request's timeout to the time left before it (src/tdg/client.ts). So an escalated request plus
 *    its token refresh ends inside one attempt with our own TdgTimeoutError, never with Temporal's
 *    start-to-close timeout.
 */
export function escalatedRequestTimeoutMs(
  requestTimeoutMs: number,
  attempt: number,
  workflowRequestTimeoutMs?: number,
): number {
  const wanted =
    workflowRequestTimeoutMs !== undefined &&
    Number.isFinite(workflowRequestTimeoutMs) &&
    workflowRequestTimeoutMs > 0
      ? workflowRequestTimeoutMs
      : requestTimeoutMs * 2 ** Math.min(Math.max(0, attempt - 1), 10);
  return Math.max(1, Math.min(MAX_TDG_REQUEST_TIMEOUT_MS, Math.round(wanted)));
}
