/**
 * The workflow's TDG calls: each an activity with the shared attempt timeout and retry policy, and a
 * task-queue priority (src/contract/priority.ts): a call a person waits for (createJob, a manual
 * check) is interactive, every other check background, so that during a burst of checks that fell
 * back to activities a person's call is neither dispatched nor rate-limited behind them.
 */
import {
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  type ActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { TdgActivities } from '../activities/index.js';
import {
  BACKGROUND_PRIORITY,
  FailureType,
  INTERACTIVE_PRIORITY,
  type JobSnapshot,
} from '../src/contract/index.js';
import { failureTypeOf, notRetriedClass, retryDelayMs } from './failures.js';
import { TDG_ATTEMPT_TIMEOUT, TDG_RETRY_POLICY } from './tdg-activity-options.js';

export function tdgActivities(
  summary: string,
  scheduleToCloseMs: number,
  retry: RetryPolicy = TDG_RETRY_POLICY,
  priorityKey = BACKGROUND_PRIORITY,
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

/** How one check's `getJob` is placed: who waits for it, and when a person starts to. */
export interface CheckCall {
  /** A person asked for this check (`checkNow`): its activity is interactive from the start. */
  interactive: boolean;
  /**
   * True once a person asks for a check while this background one waits: its activity, likely
   * still queued behind a burst of the fleet's checks, is cancelled and sent again as interactive.
   */
  personWaiting: () => boolean;
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
  retried: (scheduleToCloseMs: number, priorityKey: number) => TdgActivities,
  call: CheckCall = { interactive: false, personWaiting: () => false },
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
  if (call.interactive) return retried(leftMs, INTERACTIVE_PRIORITY).getJob(jobId);
  const background = await unlessPersonWaits(
    () => retried(leftMs, BACKGROUND_PRIORITY).getJob(jobId),
    call.personWaiting,
  );
  if (background.done) return background.value;
  const restMs = Math.max(windowMs - (Date.now() - startedAtMs), TDG_ATTEMPT_TIMEOUT);
  return retried(restMs, INTERACTIVE_PRIORITY).getJob(jobId);
}

/**
 * Runs `run` in a scope of its own and cancels it when `personWaiting` turns true first. The
 * cancellation commands nothing unless a person does ask: a run that settles first is as before.
 */
async function unlessPersonWaits<T>(
  run: () => Promise<T>,
  personWaiting: () => boolean,
): Promise<{ done: true; value: T } | { done: false }> {
  const scope = new CancellationScope();
  let settled = false;
  const running = scope.run(run);
  running.then(
    () => (settled = true),
    () => (settled = true),
  );
  await condition(() => settled || personWaiting());
  if (settled) return { done: true, value: await running };
  scope.cancel();
  try {
    return { done: true, value: await running };
  } catch (err) {
    // Our own cancellation; the workflow's (its scope cancelled too) is thrown on.
    if (!isCancellation(err) || CancellationScope.current().consideredCancelled) throw err;
    return { done: false };
  }
}
