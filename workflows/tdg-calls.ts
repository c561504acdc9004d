/**
 * The workflow's TDG calls: each an activity with the shared attempt timeout and retry policy, and a
 * task-queue priority (1 is served first, 3 is the default), so that during a burst of checks that
 * fell back to activities a new job's createJob is not queued behind them.
 */
import {
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  type ActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { TdgActivities } from '../activities/index.js';
import { FailureType, type JobSnapshot } from '../src/contract/index.js';
import { failureTypeOf, notRetriedClass, retryDelayMs } from './failures.js';
import { TDG_ATTEMPT_TIMEOUT, TDG_RETRY_POLICY } from './tdg-activity-options.js';

export const CREATE_PRIORITY = 1;
const CHECK_PRIORITY = 4;

export function tdgActivities(
  summary: string,
  scheduleToCloseMs: number,
  retry: RetryPolicy = TDG_RETRY_POLICY,
  priorityKey = CHECK_PRIORITY,
): TdgActivities {
  const options: ActivityOptions = {
    summary,
    priority: { priorityKey },
    startToCloseTimeout: TDG_ATTEMPT_TIMEOUT,
    scheduleToCloseTimeout: Math.max(scheduleToCloseMs, 1_000),
    retry,
  };
  return proxyActivities<TdgActivities>(options);
}

/**
 * `getJob` for one check, retried for `windowMs`. It is first tried once as a local activity: its
 * answer is one marker in the same workflow task. That attempt runs only when the worker's share of
 * the TDG rate limit has a call free at once (else it fails `RateLimited` without waiting, so no
 * workflow task is held or heartbeated). Any failure falls back to the activity retried for the rest
 * of the window: its backoff is durable timers, and the task queue's rate limit paces it fleet-wide.
 */
export async function getJobWithin(
  jobId: string,
  windowMs: number,
  summary: string,
  retried: (scheduleToCloseMs: number) => TdgActivities,
): Promise<JobSnapshot> {
  let leftMs: number;
  const startedAtMs = Date.now();
  try {
    return await proxyLocalActivities<TdgActivities>({
      summary,
      startToCloseTimeout: TDG_ATTEMPT_TIMEOUT,
      scheduleToCloseTimeout: Math.min(windowMs, TDG_ATTEMPT_TIMEOUT),
      retry: { ...TDG_RETRY_POLICY, maximumAttempts: 1 },
    }).getJob(jobId);
  } catch (err) {
    if (isCancellation(err) || notRetriedClass(err) !== undefined) throw err;
    // Busy locally: the task queue's limit decides when, so no timer. Otherwise wait as the
    // activity's own retry would: TDG's Retry-After, else the policy's first interval.
    const delayMs = failureTypeOf(err) === FailureType.RateLimited ? 0 : retryDelayMs(1, err);
    leftMs = windowMs - (Date.now() - startedAtMs) - delayMs;
    if (leftMs < TDG_ATTEMPT_TIMEOUT) throw err;
    if (delayMs > 0) await sleep(delayMs);
  }
  return retried(leftMs).getJob(jobId);
}
