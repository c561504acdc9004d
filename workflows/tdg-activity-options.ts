/**
 * How TDG calls are attempted and retried, shared with the benchmark's comparison workflows so
 * that only the waiting pattern differs between them.
 */
import type { RetryPolicy } from '@temporalio/workflow';
import { FailureType, TDG_ATTEMPT_TIMEOUT_MS } from '../src/contract/index.js';

/** Errors after which waiting longer cannot help; everything else is retried by Temporal. */
export const FATAL_TDG_FAILURE_TYPES: string[] = [
  FailureType.InvalidJobRequest,
  FailureType.NotPermitted,
  FailureType.NotAuthenticated,
  FailureType.JobNotFound,
];

// 30 s (src/contract): notices a killed worker soon without cutting a slow answer short. The
// worker refuses a TDG_REQUEST_TIMEOUT whose worst case (token, call, token and call again after a
// 401) does not fit inside it, and a WORKER_SHUTDOWN_GRACE shorter than it.
export const TDG_ATTEMPT_TIMEOUT = TDG_ATTEMPT_TIMEOUT_MS;

export const TDG_RETRY_POLICY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
  nonRetryableErrorTypes: FATAL_TDG_FAILURE_TYPES,
};
