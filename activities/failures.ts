/**
 * Translates the TDG client's typed errors into the `ApplicationFailure`s the workflow sees, each with
 * its `TdgFailureDetails` (src/contract). Retryable ones leave the pacing to the retries (the
 * activity's policy for getJob, the workflow's loop for createJob), except that TDG's Retry-After,
 * when given, overrides the next delay.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type TdgFailureDetails } from '../src/contract/index.js';
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

function failure(
  type: FailureType,
  tdg: AnyTdgError,
  details: TdgFailureDetails,
  nextRetryDelayMs?: number,
): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message: tdg.message,
    nonRetryable: !tdg.retryable,
    ...(nextRetryDelayMs === undefined ? {} : { nextRetryDelay: nextRetryDelayMs }),
    details: [details],
  });
}

/**
 * An ApplicationFailure for a TDG client error; any other error (a cancellation, a bug) is returned
 * as is. `createOutcome` is set for createJob's failures, null for getJob's.
 */
export function toApplicationFailure(err: unknown): unknown {
  const tdg = asTdgError(err);
  if (tdg === undefined) return err;
  const createOutcome = tdg.createOutcome ?? null;
  switch (tdg.name) {
    case 'TdgAuthError':
      return failure(FailureType.NotAuthenticated, tdg, {
        kind: 'unauthenticated',
        status: tdg.status ?? null,
        createOutcome,
      });
    case 'TdgHttpError':
      return failure(
        TYPE_BY_REASON[tdg.reason],
        tdg,
        {
          kind: 'refused',
          status: tdg.status,
          retryAfterMs: tdg.retryAfterMs ?? null,
          bodyPreview: tdg.bodyPreview,
          createOutcome,
        },
        tdg.retryable ? tdg.retryAfterMs : undefined,
      );
    case 'TdgNetworkError':
      return failure(FailureType.TdgUnavailable, tdg, {
        kind: 'unreachable',
        code: tdg.code ?? null,
        createOutcome,
      });
    case 'TdgTimeoutError':
      return failure(FailureType.TdgUnavailable, tdg, { kind: 'timed-out', createOutcome });
    case 'TdgThrottledError':
      // Our own limit, not TDG's: nothing was sent, so no TDG job can exist for a createJob.
      return failure(
        FailureType.RateLimited,
        tdg,
        { kind: 'throttled', retryAfterMs: tdg.retryAfterMs, createOutcome },
        tdg.retryAfterMs,
      );
    case 'TdgMalformedResponseError':
      return failure(FailureType.TdgMalformedResponse, tdg, {
        kind: 'unreadable',
        bodyPreview: tdg.bodyPreview,
        createOutcome,
      });
  }
}
