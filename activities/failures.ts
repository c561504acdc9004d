/**
 * Translates the TDG client's typed errors into the `ApplicationFailure`s the workflow sees. Retryable
 * ones leave the pacing to the retries (the activity's policy for getJob, the workflow's loop for
 * createJob), except that TDG's Retry-After, when given, overrides the next delay.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../src/contract/index.js';
import type { AnyTdgError, TdgHttpErrorReason } from '../src/tdg/index.js';

/** The TDG client's error names: activities know the client's errors by type only, never by import. */
const TDG_ERROR_NAMES: Record<AnyTdgError['name'], true> = {
  TdgAuthError: true,
  TdgHttpError: true,
  TdgNetworkError: true,
  TdgTimeoutError: true,
  TdgMalformedResponseError: true,
  TdgThrottledError: true,
};

function asTdgError(err: unknown): AnyTdgError | undefined {
  return err instanceof Error && Object.hasOwn(TDG_ERROR_NAMES, err.name) ? (err as AnyTdgError) : undefined;
}

const TYPE_BY_REASON: Record<TdgHttpErrorReason, FailureType> = {
  'invalid-request': FailureType.InvalidJobRequest,
  'not-permitted': FailureType.NotPermitted,
  'not-found': FailureType.JobNotFound,
  'rate-limited': FailureType.TdgRateLimited,
  unavailable: FailureType.TdgUnavailable,
  // Other refusals (unexpected 4xx, wrong endpoint, redirect) will not change on retry either.
  rejected: FailureType.InvalidJobRequest,
};

/**
 * An ApplicationFailure for a TDG client error; any other error (a cancellation, a bug) is returned
 * as is. Each failure's details carry `createOutcome` (createJob only; null for getJob).
 */
export function toApplicationFailure(err: unknown): unknown {
  const tdg = asTdgError(err);
  if (tdg === undefined) return err;
  const createOutcome = tdg.createOutcome ?? null;
  switch (tdg.name) {
    case 'TdgAuthError':
      return ApplicationFailure.create({
        type: FailureType.NotAuthenticated,
        message: tdg.message,
        nonRetryable: true,
        details: [{ status: tdg.status ?? null, createOutcome }],
      });
    case 'TdgHttpError':
      return ApplicationFailure.create({
        type: TYPE_BY_REASON[tdg.reason],
        message: tdg.message,
        nonRetryable: !tdg.retryable,
        ...(tdg.retryable && tdg.retryAfterMs !== undefined ? { nextRetryDelay: tdg.retryAfterMs } : {}),
        details: [
          {
            status: tdg.status,
            retryAfterMs: tdg.retryAfterMs ?? null,
            bodyPreview: tdg.bodyPreview,
            createOutcome,
          },
        ],
      });
    case 'TdgNetworkError':
    case 'TdgTimeoutError':
      return ApplicationFailure.create({
        type: FailureType.TdgUnavailable,
        message: tdg.message,
        nonRetryable: false,
        details: [{ code: tdg.name === 'TdgNetworkError' ? (tdg.code ?? null) : 'TIMEOUT', createOutcome }],
      });
    case 'TdgThrottledError':
      // Our own limit, not TDG's: nothing was sent, so no TDG job can exist for a createJob.
      return ApplicationFailure.create({
        type: FailureType.RateLimited,
        message: tdg.message,
        nonRetryable: false,
        nextRetryDelay: tdg.retryAfterMs,
        details: [{ retryAfterMs: tdg.retryAfterMs, createOutcome }],
      });
    case 'TdgMalformedResponseError':
      return ApplicationFailure.create({
        type: FailureType.TdgMalformedResponse,
        message: tdg.message,
        nonRetryable: false,
        details: [{ bodyPreview: tdg.bodyPreview, createOutcome }],
      });
  }
}
