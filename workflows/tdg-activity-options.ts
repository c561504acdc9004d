/**
 * How TDG calls are attempted and retried, shared with the benchmark's comparison workflows so
 * that only the waiting pattern differs between them.
 */
import type { RetryPolicy } from '@temporalio/workflow';
import { FailureType } from '../src/contract/index.js';

/** Errors after which waiting longer cannot help; everything else is retried by Temporal. */
export const FATAL_TDG_FAILURE_TYPES: string[] = [
  FailureType.InvalidJobRequest,
  FailureType.NotPermitted,
  FailureType.NotAuthenticated,
  FailureType.JobNotFound,
];

// An attempt is one HTTP exchange bounded by TDG_REQUEST_TIMEOUT (15 s by default, plus a token
// request at most): 30 s notices a killed worker sooner without cutting a slow answer short.
export const TDG_ATTEMPT_TIMEOUT = '30 seconds';

export const TDG_RETRY_POLICY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
  nonRetryableErrorTypes: FATAL_TDG_FAILURE_TYPES,
};
