/**
 * Creating the TDG job: `createJob` until TDG answers with a job id. Each attempt is its own activity,
 * so the workflow sees every attempt's outcome and decides the next one itself.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  sleep,
  type RetryPolicy,
} from '@temporalio/workflow';
import {
  FailureType,
  INTERACTIVE_PRIORITY,
  MAX_TDG_REQUEST_TIMEOUT_MS,
  type CreateJobResult,
  type EmailAppendJobInput,
} from '../src/contract/index.js';
import {
  asWorkflowFailure,
  causeMessage,
  createOutcomeOfFailure,
  deadlineExceeded,
  describeError,
  failureTypeOf,
  notRetriedClass,
  retryDelayMs,
  typedFailure,
} from './failures.js';
import { remainingMs } from './job-views.js';
import type { CreatedJobTracker, JobTracker } from './job-tracker.js';
import { tdgActivities } from './tdg-calls.js';
import { publish, showCreated, showPossibleDuplicate } from './visibility.js';

/**
 * createJob attempts that got no answer in time (our request timeout, or the attempt's when the
 * worker was killed): TDG may still have made a job for each, so after this many the workflow stops
 * and names them for reconciliation. Resets and 5xx are marked but not counted: an outage must not
 * fail a job before its deadline.
 */
const MAX_UNANSWERED_CREATE_ATTEMPTS = 2;
/** Unreadable answers to createJob after which the workflow gives up: TDG may have created a job each time. */
const MAX_UNREADABLE_CREATE_ANSWERS = 5;
/** One attempt per activity: the workflow retries createJob itself, so it sees every attempt's outcome. */
const SINGLE_ATTEMPT: RetryPolicy = { maximumAttempts: 1 };

/**
 * Creates the TDG job and shows its id. A failure is the workflow's: a refusal no retry can fix,
 * the deadline, cancellation, or too many attempts that may each have created a job.
 */
export async function createTdgJob(job: JobTracker, input: EmailAppendJobInput): Promise<CreatedJobTracker> {
  let answer: CreateJobResult;
  try {
    answer = await requestJob(job, input);
  } catch (err) {
    const failure = createFailure(job, err);
    job.createFailed(failureSummary(failure));
    // A `jobCreated` update waiting on this call answers with the failure before the workflow ends.
    await condition(allHandlersFinished);
    throw failure;
  }
  job.created(answer);
  showCreated(answer.jobId);
  log.info('TDG job created', { jobId: answer.jobId, notificationsRequested: answer.notificationsRequested });
  return job;
}

/**
 * Each failed attempt is classified by what it may have left at TDG. An outcome not `not-sent`
 * marks the workflow a possible duplicate at once; an `unanswered` one is followed at once by an
 * attempt that gives TDG nearly the whole attempt to answer, and after
 * `MAX_UNANSWERED_CREATE_ATTEMPTS` of them it stops rather than create more jobs.
 * Throws what `createFailure` turns into the workflow's failure.
 */
async function requestJob(job: JobTracker, input: EmailAppendJobInput): Promise<CreateJobResult> {
  const unanswered: string[] = [];
  let unreadableAnswers = 0;
  let requestTimeoutMs: number | undefined;
  for (let attempt = 1; ; attempt++) {
    const summary = `createJob "${job.state.name}"`;
    const tdg = tdgActivities(summary, remaining(job), SINGLE_ATTEMPT, INTERACTIVE_PRIORITY);
    const attemptedAt = new Date().toISOString();
    try {
      // A cancellation arriving now must not leave a TDG job nobody records: it takes effect after.
      return await CancellationScope.nonCancellable(() =>
        tdg.createJob({
          workflowId: job.state.workflowId,
          name: job.state.name,
          outputFormat: input.outputFormat ?? 'JSON',
          notificationMethod: input.notificationMethod ?? null,
          ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
        }),
      );
    } catch (err) {
      if (isCancellation(err) || remaining(job) <= 0 || notRetriedClass(err) !== undefined) throw err;
      const outcome = createOutcomeOfFailure(err);
      if (outcome !== 'not-sent') markPossibleDuplicate(job);
      if (outcome === 'unanswered') {
        unanswered.push(attemptedAt);
        // TDG may be slow rather than down: the retry waits nearly the whole attempt for its answer.
        requestTimeoutMs = MAX_TDG_REQUEST_TIMEOUT_MS;
        if (unanswered.length >= MAX_UNANSWERED_CREATE_ATTEMPTS) {
          throw typedFailure(
            FailureType.CreateOutcomeUnknown,
            `createJob got no answer ${unanswered.length} times (sent at ${unanswered.join(', ')}); TDG may hold ` +
              `a job for each, named after workflow ${job.state.workflowId}: reconcile them at TDG before starting anew. ` +
              `Last error: ${causeMessage(err)}`,
            job.state,
          );
        }
      }
      if (failureTypeOf(err) === FailureType.TdgMalformedResponse) unreadableAnswers += 1;
      if (unreadableAnswers >= MAX_UNREADABLE_CREATE_ANSWERS) {
        throw typedFailure(
          FailureType.TdgMalformedResponse,
          `createJob: TDG's answer was unreadable ${unreadableAnswers} times; giving up (TDG may hold jobs named after this workflow): ${causeMessage(err)}`,
          job.state,
        );
      }
      job.createAttemptFailed(describeError(err));
      publish(job.state);
      // A patient retry follows an unanswered attempt at once: waiting longer would only delay it.
      const delayMs =
        outcome === 'unanswered' && unanswered.length === 1
          ? 0
          : Math.min(retryDelayMs(attempt, err), Math.max(remaining(job), 1));
      log.warn('createJob failed; retrying', { attempt, outcome, delayMs, error: job.state.lastError });
      if (delayMs > 0) await sleep(delayMs);
    }
  }
}

/** The first time an attempt's outcome is unknown: status, search attribute and log say so at once. */
function markPossibleDuplicate(job: JobTracker): void {
  if (job.state.possibleDuplicateTdgJob) return;
  job.possibleDuplicate();
  showPossibleDuplicate();
  log.warn('possible duplicate TDG job: a createJob attempt ended with its outcome unknown', {
    workflowId: job.state.workflowId,
  });
}

/** Whatever the last attempt met, a job still not created at its deadline ended by the deadline. */
function createFailure(job: JobTracker, err: unknown): unknown {
  if (remaining(job) <= 0 && !isCancellation(err) && notRetriedClass(err) === undefined)
    return deadlineExceeded(job.state);
  if (notRetriedClass(err) !== undefined)
    return typedFailure(
      failureTypeOf(err) ?? FailureType.Unexpected,
      `createJob failed: ${causeMessage(err)}`,
      job.state,
    );
  return asWorkflowFailure(err, job.state);
}

/** What a `jobCreated` update waiting on createJob answers with. */
function failureSummary(failure: unknown): { type: string; message: string } {
  if (failure instanceof ApplicationFailure)
    return { type: failure.type ?? 'ApplicationFailure', message: failure.message };
  if (isCancellation(failure))
    return { type: FailureType.JobCancelled, message: 'cancelled during createJob' };
  return { type: 'Unexpected', message: failure instanceof Error ? failure.message : String(failure) };
}

function remaining(job: JobTracker): number {
  return remainingMs(job.state, Date.now());
}
