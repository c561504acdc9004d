/**
 * Input validation, pure (no workflow APIs) so it is unit-tested without a server. A first run
 * validates its input; a continued run trusts the state it carries, so a stricter release can
 * never fail a job that is already running.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type EmailAppendJobInput, type PollingPolicy } from '../src/contract/index.js';
import { DEFAULT_POLLING_POLICY, resolvePollingPolicy } from './schedule.js';

export const MAX_NAME_LENGTH = 200;
export const MIN_DEADLINE_MS = 1_000;
/** Upper bound: any accepted deadline is a valid date from any plausible start (no workflow task can fail on it). */
export const MAX_DEADLINE_MS = 366 * 24 * 60 * 60_000;

/** The first run's checks: throws a non-retryable `InvalidWorkflowInput` listing every problem. */
export function validateInput(input: EmailAppendJobInput): PollingPolicy {
  const problems: string[] = [];
  if (typeof input?.name !== 'string' || input.name.trim() === '')
    problems.push('name must be a non-empty string');
  else if (input.name.length > MAX_NAME_LENGTH)
    problems.push(`name must be at most ${MAX_NAME_LENGTH} characters`);
  if (input?.outputFormat !== undefined && input.outputFormat !== 'JSON')
    problems.push('outputFormat must be JSON');
  const method = input?.notificationMethod;
  if (method !== undefined && method !== null && method !== 'GET' && method !== 'POST') {
    problems.push('notificationMethod must be GET, POST or null');
  }
  const deadline = input?.deadlineMs;
  if (
    deadline !== undefined &&
    !(typeof deadline === 'number' && deadline >= MIN_DEADLINE_MS && deadline <= MAX_DEADLINE_MS)
  )
    problems.push(`deadlineMs must be a number in ${MIN_DEADLINE_MS}..${MAX_DEADLINE_MS} (366 days)`);
  const notFoundAfter = input?.jobNotFoundAfterMs;
  if (
    notFoundAfter !== undefined &&
    !(typeof notFoundAfter === 'number' && notFoundAfter >= 0 && notFoundAfter <= MAX_DEADLINE_MS)
  )
    problems.push(`jobNotFoundAfterMs must be a number in 0..${MAX_DEADLINE_MS}`);
  if (input?.continueAsNewAfterEvents !== undefined && !(input.continueAsNewAfterEvents >= 20)) {
    problems.push('continueAsNewAfterEvents must be ≥ 20');
  }
  let policy: PollingPolicy | undefined;
  try {
    policy = resolvePollingPolicy(input?.polling);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length > 0 || !policy) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidWorkflowInput,
      message: `invalid emailAppendJob input: ${problems.join('; ')}`,
      nonRetryable: true,
    });
  }
  return policy;
}

/** The run's polling policy: validated on the first run, taken as carried on a continued one. */
export function runPolicy(input: EmailAppendJobInput): PollingPolicy {
  if (input?.carried) return { ...DEFAULT_POLLING_POLICY, ...input.polling };
  return validateInput(input);
}
