/**
 * The one definition of a valid job request: the workflow (first run), the typed client and the CLI
 * all check input with these rules, so a request the workflow would refuse is refused before a
 * workflow exists. Pure and workflow-safe: no Node, no workflow APIs.
 */
import type { EmailAppendJobInput, PollingPolicy } from './definitions.js';

export const MAX_NAME_LENGTH = 200;
export const MIN_DEADLINE_MS = 1_000;
/** Upper bound: any accepted deadline is a valid date from any plausible start (no workflow task can fail on it). */
export const MAX_DEADLINE_MS = 366 * 24 * 60 * 60_000;
export const MIN_CONTINUE_AS_NEW_AFTER_EVENTS = 20;

/** Workflow ids the client and the CLI accept: what Temporal, URLs and shells all take without quoting. */
export const WORKFLOW_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** The polling policy a job gets when its input names none (`polling` overrides parts of it). */
export const DEFAULT_POLLING_POLICY: PollingPolicy = {
  initialIntervalMs: 5_000,
  backoffFactor: 1.6,
  maxIntervalMs: 10 * 60_000,
  maxIntervalWithNotificationsMs: 60 * 60_000,
  minIntervalWithNotificationsMs: 60_000,
  jitter: 0.1,
  minHintSpacingMs: 1_000,
};

/** What is wrong with a workflow id (null: nothing). */
export function workflowIdProblem(workflowId: unknown): string | null {
  if (typeof workflowId !== 'string' || workflowId === '') return 'a workflow id is required';
  if (!WORKFLOW_ID_PATTERN.test(workflowId))
    return `"${workflowId.slice(0, 60)}${workflowId.length > 60 ? '…' : ''}" is not a valid workflow id (letters, digits, . _ : -; at most 200, starting with a letter or digit)`;
  return null;
}

/** A whole polling policy's problems (defaults already merged in). */
export function pollingPolicyProblems(policy: PollingPolicy): string[] {
  const problems: string[] = [];
  if (!(policy.initialIntervalMs >= 100)) problems.push('initialIntervalMs must be ≥ 100');
  if (!(policy.backoffFactor >= 1 && policy.backoffFactor <= 10))
    problems.push('backoffFactor must be in 1..10');
  if (!(policy.maxIntervalMs >= policy.initialIntervalMs))
    problems.push('maxIntervalMs must be ≥ initialIntervalMs');
  if (!(policy.maxIntervalWithNotificationsMs >= policy.maxIntervalMs))
    problems.push('maxIntervalWithNotificationsMs must be ≥ maxIntervalMs');
  if (!(policy.minIntervalWithNotificationsMs >= 0))
    problems.push('minIntervalWithNotificationsMs must be ≥ 0');
  if (!(policy.jitter >= 0 && policy.jitter < 1)) problems.push('jitter must be in [0, 1)');
  if (!(policy.minHintSpacingMs >= 0 && policy.minHintSpacingMs <= 60_000))
    problems.push('minHintSpacingMs must be in 0..60000');
  return problems;
}

const inRange = (value: unknown, min: number, max: number): boolean =>
  typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;

/**
 * Every problem of a first run's input, in words a caller can act on (empty: valid). A continued
 * run is not checked again: it trusts the state it carries.
 */
export function jobInputProblems(input: EmailAppendJobInput): string[] {
  const problems: string[] = [];
  if (typeof input !== 'object' || input === null) return ['the input must be an object'];
  if (typeof input.name !== 'string' || input.name.trim() === '')
    problems.push('name must be a non-empty string');
  else if (input.name.length > MAX_NAME_LENGTH)
    problems.push(`name must be at most ${MAX_NAME_LENGTH} characters (it has ${input.name.length})`);
  if (input.outputFormat !== undefined && input.outputFormat !== 'JSON')
    problems.push('outputFormat must be JSON');
  const method = input.notificationMethod;
  if (method !== undefined && method !== null && method !== 'GET' && method !== 'POST')
    problems.push('notificationMethod must be GET, POST or null');
  if (input.deadlineMs !== undefined && !inRange(input.deadlineMs, MIN_DEADLINE_MS, MAX_DEADLINE_MS))
    problems.push(`deadline must be between 1s and 366d (deadlineMs ${MIN_DEADLINE_MS}..${MAX_DEADLINE_MS})`);
  if (input.jobNotFoundAfterMs !== undefined && !inRange(input.jobNotFoundAfterMs, 0, MAX_DEADLINE_MS))
    problems.push(`jobNotFoundAfterMs must be a number in 0..${MAX_DEADLINE_MS}`);
  if (
    input.continueAsNewAfterEvents !== undefined &&
    !inRange(input.continueAsNewAfterEvents, MIN_CONTINUE_AS_NEW_AFTER_EVENTS, Number.MAX_SAFE_INTEGER)
  )
    problems.push(`continueAsNewAfterEvents must be ≥ ${MIN_CONTINUE_AS_NEW_AFTER_EVENTS}`);
  if (input.polling !== undefined && (typeof input.polling !== 'object' || input.polling === null))
    problems.push('polling must be an object');
  else {
    const policy = pollingPolicyOf(input);
    const polling = pollingPolicyProblems(policy);
    if (polling.length > 0) problems.push(`invalid polling policy: ${polling.join('; ')}`);
  }
  return problems;
}

/** The input's polling policy: the defaults with its overrides (unchecked: see `jobInputProblems`). */
export function pollingPolicyOf(input: Pick<EmailAppendJobInput, 'polling'>): PollingPolicy {
  return { ...DEFAULT_POLLING_POLICY, ...input.polling };
}
