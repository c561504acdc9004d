/**
 * One check: a `getJob` folded into the job's state, and what a failed one means for the job. A
 * check never fails the job for an outage: TDG keeps processing through ours.
 */
import { isCancellation, log, proxyActivities } from '@temporalio/workflow';
import type { TdgActivities } from '../activities/index.js';
import { FailureType, formatDuration, type JobSnapshot, type PollingPolicy } from '../src/contract/index.js';
import {
  deadlineExceeded,
  describeError,
  failureTypeOf,
  isActivityTimeout,
  notRetriedClass,
  typedFailure,
} from './failures.js';
import { isFinished, notFoundForMs, remainingMs } from './job-views.js';
import type { CreatedJobTracker } from './job-tracker.js';
import { getJobWithin, tdgActivities } from './tdg-calls.js';
import { TDG_ATTEMPT_TIMEOUT, TDG_RETRY_POLICY } from './tdg-activity-options.js';
import { publish, showTdgState } from './visibility.js';

/**
 * One `getJob`, folded into the job. Returns false when it got no answer: the workflow then waits
 * on its slow schedule (or, refused for credentials, at the cap for an operator) instead of failing.
 */
export async function check(job: CreatedJobTracker, policy: PollingPolicy): Promise<boolean> {
  if (remaining(job) <= 0) return finalCheck(job);
  // Before the call: a hint arriving while getJob runs triggers one more check.
  job.checkStarted(Date.now());
  publish(job.state);
  try {
    const window = Math.min(remaining(job), getJobRetryWindowMs(policy));
    const summary = `getJob ${job.state.jobId}`;
    const latest = await getJobWithin(
      job.state.jobId,
      window,
      summary,
      (ms, priorityKey) => tdgActivities(summary, ms, TDG_RETRY_POLICY, priorityKey),
      // checkStarted cleared the request: one set now is a person asking while this check waits.
      { interactive: job.state.trigger === 'manual', personWaiting: () => job.state.checkRequested },
    );
    fold(job, latest);
    return true;
  } catch (err) {
    if (isCancellation(err)) throw err;
    if (isActivityTimeout(err) && remaining(job) <= 0) return await finalCheck(job);
    if (notRetriedClass(err) === 'credentials') {
      job.checkFailed(describeError(err), false, Date.now());
      log.warn('getJob refused; waiting for the operator to fix credentials', {
        jobId: job.state.jobId,
        type: failureTypeOf(err),
      });
      return false;
    }
    return waitOutFailure(job, err);
  } finally {
    job.checkFinished();
  }
}

/**
 * How long one check keeps retrying `getJob` before the workflow notes the failure (visible in
 * `status`) and waits on its slow schedule: the schedule's cap, and never less than two attempts.
 */
function getJobRetryWindowMs(policy: PollingPolicy): number {
  return Math.max(policy.maxIntervalMs, 2 * TDG_ATTEMPT_TIMEOUT);
}

/** One `getJob` answer folded into the job; a changed TDG state is published as `TdgJobState`. */
function fold(job: CreatedJobTracker, latest: JobSnapshot): void {
  const from = job.state.snapshot?.state ?? null;
  job.checkAnswered(latest, new Date().toISOString());
  if (latest.state !== from) {
    showTdgState(latest.state);
    log.info('TDG state changed', { jobId: job.state.jobId, from, to: latest.state });
  }
}

/**
 * The deadline has passed: one last `getJob` (its own short timeout, since no time remains) so
 * that a job that finished between the last check and the deadline is reported as it ended.
 * Returns when that answer is terminal; otherwise fails with `JobDeadlineExceeded`.
 */
async function finalCheck(job: CreatedJobTracker): Promise<true> {
  try {
    const summary = `final getJob ${job.state.jobId} at the deadline`;
    const latest = await getJobWithin(job.state.jobId, TDG_ATTEMPT_TIMEOUT, summary, (ms) =>
      proxyActivities<TdgActivities>({
        summary,
        startToCloseTimeout: TDG_ATTEMPT_TIMEOUT,
        scheduleToCloseTimeout: ms,
        retry: TDG_RETRY_POLICY,
      }),
    );
    fold(job, latest);
  } catch (err) {
    if (isCancellation(err)) throw err;
    job.checkFailed(describeError(err), false, Date.now());
    log.warn('final getJob at the deadline failed', { jobId: job.state.jobId, error: job.state.lastError });
  }
  if (!isFinished(job.state)) throw deadlineExceeded(job.state);
  return true;
}

/**
 * A failed check leaves the job waiting on its slow schedule (TDG keeps processing through our
 * outages), except a 404 confirmed for `jobNotFoundAfterMs`: then TDG no longer knows the job.
 */
function waitOutFailure(job: CreatedJobTracker, err: unknown): false {
  const error = describeError(err);
  const notFound = notRetriedClass(err) === 'not-found';
  const nowMs = Date.now();
  job.checkFailed(error, notFound, nowMs);
  const deniedForMs = notFoundForMs(job.state, nowMs);
  if (notFound && deniedForMs >= job.state.jobNotFoundAfterMs) {
    throw typedFailure(
      FailureType.JobNotFound,
      `TDG has answered 404 for job ${job.state.jobId} for ${formatDuration(deniedForMs)}: ${error}`,
      job.state,
    );
  }
  log.warn('getJob failed; waiting for the next check', { jobId: job.state.jobId, error });
  return false;
}

function remaining(job: CreatedJobTracker): number {
  return remainingMs(job.state, Date.now());
}
