/**
 * Reading the failures activities raise, and making the workflow's own: typed, non-retryable, with
 * the job's last status as details.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  TemporalFailure,
  TimeoutFailure,
  isCancellation,
} from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common';
import { FailureType, tdgFailureDetailsOf, type CreateOutcome } from '../src/contract/index.js';
import type { JobState } from './job-state.js';
import { statusOf } from './job-views.js';
import { TDG_RETRY_POLICY, notRetriedClassOf, type NotRetriedClass } from './tdg-activity-options.js';

function failureCause(err: unknown): unknown {
  return err instanceof ActivityFailure ? err.cause : err;
}

/** The activity ran out of time (its attempt's or its schedule's), not TDG's answer. */
export function isActivityTimeout(err: unknown): boolean {
  return failureCause(err) instanceof TimeoutFailure;
}

export function failureTypeOf(err: unknown): string | undefined {
  const cause = failureCause(err);
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** What no retry of the same TDG call can fix, and its class; undefined for what one may. */
export function notRetriedClass(err: unknown): NotRetriedClass | undefined {
  return notRetriedClassOf(failureTypeOf(err));
}

/** `Name: message` of the failure's cause, as `status` shows it. */
export function describeError(err: unknown): string {
  const cause = failureCause(err);
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

export function causeMessage(err: unknown): string {
  const cause = failureCause(err);
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * What a failed createJob attempt may have left at TDG: the activity's own classification, or
 * `unanswered` when the attempt timed out under it (the worker died mid-request).
 */
export function createOutcomeOfFailure(err: unknown): CreateOutcome {
  if (isActivityTimeout(err)) return 'unanswered';
  const cause = failureCause(err);
  const details = cause instanceof ApplicationFailure ? tdgFailureDetailsOf(cause.details?.[0]) : undefined;
  return details?.createOutcome ?? 'unknown';
}

/** TDG's Retry-After when given, else the shared TDG backoff (1 s doubling to 2 min). */
export function retryDelayMs(attempt: number, err: unknown): number {
  const cause = failureCause(err);
  if (cause instanceof ApplicationFailure && cause.nextRetryDelay != null)
    return msToNumber(cause.nextRetryDelay);
  const initial = msToNumber(TDG_RETRY_POLICY.initialInterval ?? '1 second');
  const max = msToNumber(TDG_RETRY_POLICY.maximumInterval ?? '2 minutes');
  return Math.min(max, initial * (TDG_RETRY_POLICY.backoffCoefficient ?? 2) ** (attempt - 1));
}

export function typedFailure(type: string, message: string, job: JobState): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: [statusOf(job)] });
}

export function deadlineExceeded(job: JobState): ApplicationFailure {
  return typedFailure(
    FailureType.JobDeadlineExceeded,
    `TDG job ${job.jobId ?? '(not created)'} did not finish by its deadline ${job.deadlineAt}; last state ${
      job.snapshot?.state ?? 'unknown'
    }`,
    job,
  );
}

/**
 * What the workflow fails with: its own typed failures and cancellation as they are, any other
 * Temporal failure (an activity's) as a typed `ApplicationFailure` carrying the last status. A
 * plain error (a bug) stays as it is: it fails the workflow task, so a fixed worker can go on.
 */
export function asWorkflowFailure(err: unknown, job: JobState | null): unknown {
  if (!(err instanceof TemporalFailure) || err instanceof ApplicationFailure) return err;
  if (isCancellation(err) || job === null) return err;
  return typedFailure(failureTypeOf(err) ?? FailureType.Unexpected, causeMessage(err), job);
}
