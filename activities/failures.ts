/**
 * Translates the TDG client's typed errors into the `ApplicationFailure`s the workflow sees. Retryable
 * ones leave the pacing to the activity's retry policy, except that TDG's Retry-After, when given,
 * overrides the next delay.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../src/shared/definitions.js';
import {
  TdgAuthError,
  TdgHttpError,
  TdgMalformedResponseError,
  TdgNetworkError,
  TdgTimeoutError,
  type TdgHttpErrorReason,
} from './errors.js';

const TYPE_BY_REASON: Record<TdgHttpErrorReason, FailureType> = {
  'invalid-request': FailureType.InvalidJobRequest,
  'not-permitted': FailureType.NotPermitted,
  'not-found': FailureType.JobNotFound,
  'rate-limited': FailureType.TdgRateLimited,
  unavailable: FailureType.TdgUnavailable,
  // Other refusals (unexpected 4xx, wrong endpoint, redirect) will not change on retry either.
  rejected: FailureType.InvalidJobRequest,
};

export interface FailureContext {
  /** The activity's current attempt, 1-based. */
  attempt: number;
  /** From this attempt on, an unreadable body stops being retried. */
  maxMalformedAttempts: number;
}

/** An ApplicationFailure for a TDG client error; any other error (a cancellation, a bug) is returned as is. */
export function toApplicationFailure(err: unknown, ctx: FailureContext): unknown {
  if (err instanceof TdgAuthError) {
    return ApplicationFailure.create({
      type: FailureType.NotAuthenticated,
      message: err.message,
      nonRetryable: true,
      details: [{ status: err.status ?? null }],
    });
  }
  if (err instanceof TdgHttpError) {
    return ApplicationFailure.create({
      type: TYPE_BY_REASON[err.reason],
      message: err.message,
      nonRetryable: !err.retryable,
      ...(err.retryable && err.retryAfterMs !== undefined ? { nextRetryDelay: err.retryAfterMs } : {}),
      details: [{ status: err.status, retryAfterMs: err.retryAfterMs ?? null, bodyPreview: err.bodyPreview }],
    });
  }
  if (err instanceof TdgNetworkError || err instanceof TdgTimeoutError) {
    return ApplicationFailure.create({
      type: FailureType.TdgUnavailable,
      message: err.message,
      nonRetryable: false,
      details: [{ code: err instanceof TdgNetworkError ? (err.code ?? null) : 'TIMEOUT' }],
    });
  }
  if (err instanceof TdgMalformedResponseError) {
    const exhausted = ctx.attempt >= ctx.maxMalformedAttempts;
    return ApplicationFailure.create({
      type: FailureType.TdgMalformedResponse,
      message: exhausted
        ? `${err.message} (still unreadable after ${ctx.attempt} attempts; giving up)`
        : err.message,
      nonRetryable: exhausted,
      details: [{ bodyPreview: err.bodyPreview, attempt: ctx.attempt }],
    });
  }
  return err;
}
