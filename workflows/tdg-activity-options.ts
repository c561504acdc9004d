/**
 * How TDG calls are attempted and retried, shared with the benchmark's comparison workflows so
 * that only the waiting pattern differs between them.
 */
import type { RetryPolicy } from '@temporalio/workflow';
import { FailureType, TDG_ATTEMPT_TIMEOUT_MS } from '../src/contract/index.js';

/**
 * The failures of a TDG call that retrying the same call cannot fix, each with what the workflow
 * does about it; every other failure type is retried (TDG, or the way to it, may recover).
 * - `refused`: the request itself: createJob fails the job; a check waits for its next turn.
 * - `credentials`: createJob fails the job; a check waits, at the cap, for an operator to fix them
 *   (a job may run for days while TDG keeps processing it).
 * - `not-found`: a check counts it towards `jobNotFoundAfterMs`.
 */
export const NOT_RETRIED_TDG_FAILURES = {
  [FailureType.InvalidJobRequest]: 'refused',
  [FailureType.NotPermitted]: 'credentials',
  [FailureType.NotAuthenticated]: 'credentials',
  [FailureType.JobNotFound]: 'not-found',
} as const;

export type NotRetriedClass = (typeof NOT_RETRIED_TDG_FAILURES)[keyof typeof NOT_RETRIED_TDG_FAILURES];

/** The class of a failure type that no retry can fix; undefined for one a retry may. */
export function notRetriedClassOf(type: string | undefined): NotRetriedClass | undefined {
  if (type === undefined) return undefined;
  return Object.entries(NOT_RETRIED_TDG_FAILURES).find(([name]) => name === type)?.[1];
}

export const NOT_RETRIED_TDG_FAILURE_TYPES: string[] = Object.keys(NOT_RETRIED_TDG_FAILURES);

// 30 s (src/contract): notices a killed worker soon without cutting a slow answer short. The
// worker refuses a TDG_REQUEST_TIMEOUT whose worst case (token, call, token and call again after a
// 401) does not fit inside it, and a WORKER_SHUTDOWN_GRACE shorter than it.
export const TDG_ATTEMPT_TIMEOUT = TDG_ATTEMPT_TIMEOUT_MS;

export const TDG_RETRY_POLICY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
  nonRetryableErrorTypes: NOT_RETRIED_TDG_FAILURE_TYPES,
};
