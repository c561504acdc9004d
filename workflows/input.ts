/**
 * Input validation, pure (no workflow APIs) so it is unit-tested without a server. The rules are
 * the contract's (`jobInputProblems`), the same the client and the CLI check before they start a
 * workflow. A first run validates its input; a continued run trusts the state it carries, so a
 * stricter release can never fail a job that is already running.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  FailureType,
  jobInputProblems,
  pollingPolicyOf,
  type EmailAppendJobInput,
  type PollingPolicy,
} from '../src/contract/index.js';

export { MAX_DEADLINE_MS, MAX_NAME_LENGTH, MIN_DEADLINE_MS } from '../src/contract/index.js';

/** The first run's checks: throws a non-retryable `InvalidWorkflowInput` listing every problem. */
export function validateInput(input: EmailAppendJobInput): PollingPolicy {
  const problems = jobInputProblems(input);
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidWorkflowInput,
      message: `invalid emailAppendJob input: ${problems.join('; ')}`,
      nonRetryable: true,
    });
  }
  return pollingPolicyOf(input);
}

/** The run's polling policy: validated on the first run, taken as carried on a continued one. */
export function runPolicy(input: EmailAppendJobInput): PollingPolicy {
  if (input?.carried) return pollingPolicyOf(input);
  return validateInput(input);
}
