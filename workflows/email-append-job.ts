import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  TemporalFailure,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  sleep,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common';
import type { TdgActivities } from '../activities/index.js';
import {
  FailureType,
  MAX_TDG_REQUEST_TIMEOUT_MS,
  MIN_MANUAL_CHECK_SPACING_MS,
  checkNowUpdate,
  formatDuration,
  hintedStateOf,
  jobCreatedUpdate,
  TDG_JOB_ID,
  TDG_JOB_STATE,
  TDG_POSSIBLE_DUPLICATE,
  isTerminalState,
  jobNotificationSignal,
  statusQuery,
  totalBatches,
  type EmailAppendJobInput,
  type CreateJobResult,
  type EmailAppendJobResult,
  type JobCreated,
  type JobStatus,
  type JobSnapshot,
  type PollingPolicy,
} from '../src/contract/index.js';
import { runPolicy } from './input.js';
import { nextPollDelayMs } from './schedule.js';
import { renderDetails } from './details.js';
import {
  carriedOf,
  hasJob,
  initialState,
  notificationsWorking,
  recordCheck,
  recordCheckFailure,
  recordNotification,
  remainingMs,
  resultOf,
  statusOf,
  type CreatedJobState,
  type JobState,
} from './job-state.js';
import { FATAL_TDG_FAILURE_TYPES, TDG_ATTEMPT_TIMEOUT, TDG_RETRY_POLICY } from './tdg-activity-options.js';

const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 4_000;

/**
 * Every continue-as-new lets the next run start on the deployment's current version: a run pinned
 * to an older version that wakes and finds a newer one current moves onto it, so no workflow code
 * ever has to replay another version's history.
 */
const continueOnCurrentVersion = makeContinueAsNewFunc<typeof emailAppendJob>({
  initialVersioningBehavior: 'AUTO_UPGRADE',
});

/**
 * createJob attempts that got no answer in time (our request timeout, or the attempt's when the
 * worker was killed): TDG may still have made a job for each, so after this many the workflow stops
 * and names them for reconciliation. Resets and 5xx are marked but not counted: an outage must not
 * fail a job before its deadline.
 */
const MAX_UNANSWERED_CREATE_ATTEMPTS = 2;
/** Follow-up checks after a hint said the job ended and `getJob` did not agree yet (a lagging read). */
const FOLLOW_UP_DELAYS_MS = [5_000, 15_000, 45_000, 2 * 60_000, 5 * 60_000];

/**
 * Task-queue priorities (1 is served first, 3 is the default): during a burst of checks that fell
 * back to activities, a new job's createJob is not queued behind them.
 */
const CREATE_PRIORITY = 1;
const CHECK_PRIORITY = 4;

/** Unreadable answers to createJob after which the workflow gives up: TDG may have created a job each time. */
const MAX_UNREADABLE_CREATE_ANSWERS = 5;
/** One attempt per activity: the workflow retries createJob itself, so it sees every attempt's outcome. */
const SINGLE_ATTEMPT: RetryPolicy = { maximumAttempts: 1 };

/**
 * Credentials can be fixed by an operator while a job runs for days; until the deadline a
 * `getJob` refused for them keeps the workflow waiting (visible in `status`) instead of
 * abandoning a job TDG is still processing.
 */
const RECOVERABLE_GET_JOB_TYPES: string[] = [FailureType.NotAuthenticated, FailureType.NotPermitted];

function failureCause(err: unknown): unknown {
  return err instanceof ActivityFailure ? err.cause : err;
}

function isDeadlineTimeout(err: unknown): boolean {
  return failureCause(err) instanceof TimeoutFailure;
}

function failureTypeOf(err: unknown): string | undefined {
  const cause = failureCause(err);
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** A TDG refusal that waiting or retrying cannot fix (credentials, permissions, the request itself). */
function isFatalTdgFailure(err: unknown): boolean {
  const type = failureTypeOf(err);
  return type !== undefined && FATAL_TDG_FAILURE_TYPES.includes(type);
}

/** A fatal TDG failure as the workflow's own typed failure; undefined for others. */
function fatalActivityError(err: unknown, what: string, job: JobState): ApplicationFailure | undefined {
  const type = failureTypeOf(err);
  if (type === undefined || !FATAL_TDG_FAILURE_TYPES.includes(type)) return undefined;
  return typedFailure(type, `${what}: ${causeMessage(err)}`, job);
}

function typedFailure(type: string, message: string, job: JobState): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: [statusOf(job)] });
}

/**
 * What the workflow fails with: its own typed failures and cancellation as they are, any other
 * Temporal failure (an activity's) as a typed `ApplicationFailure` carrying the last status. A
 * plain error (a bug) stays as it is: it fails the workflow task, so a fixed worker can go on.
 */
function asWorkflowFailure(err: unknown, job: JobState | null): unknown {
  if (!(err instanceof TemporalFailure) || err instanceof ApplicationFailure) return err;
  if (isCancellation(err) || job === null) return err;
  return typedFailure(failureTypeOf(err) ?? FailureType.Unexpected, causeMessage(err), job);
}

function describeError(err: unknown): string {
  const cause = failureCause(err);
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

function causeMessage(err: unknown): string {
  const cause = failureCause(err);
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * How long one check keeps retrying `getJob` before the workflow notes the failure (visible in
 * `status`) and waits on its slow schedule: the schedule's cap, and never less than two attempts.
 */
function getJobRetryWindowMs(policy: PollingPolicy): number {
  return Math.max(policy.maxIntervalMs, 2 * TDG_ATTEMPT_TIMEOUT);
}

function activities(
  summary: string,
  scheduleToCloseMs: number,
  retry: RetryPolicy = TDG_RETRY_POLICY,
  priorityKey = CHECK_PRIORITY,
): TdgActivities {
  const options: ActivityOptions = {
    summary,
    priority: { priorityKey },
    startToCloseTimeout: TDG_ATTEMPT_TIMEOUT,
    scheduleToCloseTimeout: Math.max(scheduleToCloseMs, 1_000),
    retry,
  };
  return proxyActivities<TdgActivities>(options);
}

/**
 * `getJob` for one check, retried for `windowMs`. It is first tried once as a local activity: its
 * answer is one marker in the same workflow task. That attempt runs only when the worker's share of
 * the TDG rate limit has a call free at once (else it fails `RateLimited` without waiting, so no
 * workflow task is held or heartbeated). Any failure falls back to the activity retried for the rest
 * of the window: its backoff is durable timers, and the task queue's rate limit paces it fleet-wide.
 */
async function getJobWithin(
  job: CreatedJobState,
  windowMs: number,
  summary: string,
  retried: (scheduleToCloseMs: number) => TdgActivities,
): Promise<JobSnapshot> {
  let leftMs: number;
  const startedAtMs = Date.now();
  try {
    return await proxyLocalActivities<TdgActivities>({
      summary,
      startToCloseTimeout: TDG_ATTEMPT_TIMEOUT,
      scheduleToCloseTimeout: Math.min(windowMs, TDG_ATTEMPT_TIMEOUT),
      retry: { ...TDG_RETRY_POLICY, maximumAttempts: 1 },
    }).getJob(job.jobId);
  } catch (err) {
    if (isCancellation(err) || isFatalTdgFailure(err)) throw err;
    // Busy locally: the task queue's limit decides when, so no timer. Otherwise wait as the
    // activity's own retry would: TDG's Retry-After, else the policy's first interval.
    const delayMs = failureTypeOf(err) === FailureType.RateLimited ? 0 : retryDelayMs(1, err);
    leftMs = windowMs - (Date.now() - startedAtMs) - delayMs;
    if (leftMs < TDG_ATTEMPT_TIMEOUT) throw err;
    if (delayMs > 0) await sleep(delayMs);
  }
  return retried(leftMs).getJob(job.jobId);
}

function remaining(job: JobState): number {
  return remainingMs(job, Date.now());
}

function publish(job: JobState): void {
  setCurrentDetails(renderDetails(statusOf(job)));
}

function deadlineExceeded(job: JobState): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.JobDeadlineExceeded,
    message: `TDG job ${job.jobId ?? '(not created)'} did not finish by its deadline ${job.deadlineAt}; last state ${
      job.snapshot?.state ?? 'unknown'
    }`,
    nonRetryable: true,
    details: [statusOf(job)],
  });
}

function listen(job: JobState): void {
  setHandler(statusQuery, () => statusOf(job));
  // The payload is unauthenticated content relayed by the listener: count it, never trust it.
  setHandler(jobNotificationSignal, (hint) =>
    recordNotification(job, new Date().toISOString(), hintedStateOf(hint?.fields)),
  );
  setHandler(jobCreatedUpdate, async (): Promise<JobCreated> => {
    await condition(() => job.jobId !== null || job.createFailure !== null);
    if (job.jobId === null) {
      const failure = job.createFailure ?? { type: FailureType.JobCancelled, message: 'no TDG job' };
      throw ApplicationFailure.create({ ...failure, nonRetryable: true });
    }
    return {
      jobId: job.jobId,
      notificationsRequested: job.notificationsRequested,
      workflowStartedAt: job.startedAt,
      possibleDuplicateTdgJob: job.possibleDuplicateTdgJob,
    };
  });
  setHandler(
    checkNowUpdate,
    async (): Promise<JobStatus> => {
      job.checkRequested = true;
      job.lastManualCheckAtMs = Date.now();
      // A getJob already in flight may have been sent before this request: wait for the next one.
      const wanted = job.checksFinished + (job.checking ? 2 : 1);
      await condition(() => job.checksFinished >= wanted || isFinished(job));
      return statusOf(job);
    },
    { validator: () => validateManualCheck(job, Date.now()) },
  );
}

function isFinished(job: JobState): boolean {
  return job.snapshot !== null && isTerminalState(job.snapshot.state);
}

/** Refuses a manual check that cannot tell anything new: the job is finished, or one just ran. */
function validateManualCheck(job: JobState, nowMs: number): void {
  const refuse = (message: string): never => {
    throw ApplicationFailure.create({ type: FailureType.CheckRefused, message, nonRetryable: true });
  };
  if (isFinished(job)) refuse(`TDG job ${job.jobId} is already ${job.snapshot?.state}: nothing to check`);
  if (job.lastManualCheckAtMs !== null && nowMs - job.lastManualCheckAtMs < MIN_MANUAL_CHECK_SPACING_MS)
    refuse(`manual checks at most one per ${formatDuration(MIN_MANUAL_CHECK_SPACING_MS)}`);
}

function createFailureOf(failure: unknown): { type: string; message: string } {
  if (failure instanceof ApplicationFailure)
    return { type: failure.type ?? 'ApplicationFailure', message: failure.message };
  if (isCancellation(failure))
    return { type: FailureType.JobCancelled, message: 'cancelled during createJob' };
  return { type: 'Unexpected', message: failure instanceof Error ? failure.message : String(failure) };
}

/**
 * A first run shows its job as being created at once; a continued run already has its job. A run
 * started with a `TdgJobState` (our client sets PENDING: not created yet) leaves it as it is.
 */
function announce(job: JobState): void {
  if (hasJob(job)) return;
  if (workflowInfo().typedSearchAttributes.get(TDG_JOB_STATE) === undefined)
    upsertSearchAttributes([{ key: TDG_JOB_STATE, value: 'CREATING' }]);
  publish(job);
}

async function create(job: JobState, input: EmailAppendJobInput): Promise<CreatedJobState> {
  let answer: CreateJobResult;
  try {
    answer = await requestJob(job, input);
  } catch (err) {
    // Whatever the last attempt met, a job still not created at its deadline ended by the deadline.
    const failure =
      remaining(job) <= 0 && !isCancellation(err) && !isFatalTdgFailure(err)
        ? deadlineExceeded(job)
        : (fatalActivityError(err, 'createJob failed', job) ?? asWorkflowFailure(err, job));
    job.createFailure = createFailureOf(failure);
    // A `jobCreated` update waiting on this call answers with the failure before the workflow ends.
    await condition(allHandlersFinished);
    throw failure;
  }
  const { jobId, notificationsRequested } = answer;
  upsertSearchAttributes([
    { key: TDG_JOB_ID, value: jobId },
    { key: TDG_JOB_STATE, value: 'CREATED' },
  ]);
  log.info('TDG job created', { jobId, notificationsRequested });
  return Object.assign(job, { jobId, notificationsRequested });
}

/**
 * `createJob` until TDG answers with a job id. Each attempt is its own activity, so a failure whose
 * outcome is unknown (TDG may have created a job: a timeout, a reset, a 5xx, an unreadable answer, a
 * worker killed mid-request) is seen here: the workflow is marked at once, an attempt that got no
 * answer is followed by one that gives TDG nearly the whole attempt to answer, and after
 * `MAX_UNANSWERED_CREATE_ATTEMPTS` unanswered attempts it stops rather than create more jobs.
 * Throws what the caller turns into the workflow's failure: fatal refusals, the deadline, cancellation.
 */
async function requestJob(job: JobState, input: EmailAppendJobInput): Promise<CreateJobResult> {
  const unanswered: string[] = [];
  let unreadableAnswers = 0;
  let requestTimeoutMs: number | undefined;
  for (let attempt = 1; ; attempt++) {
    const tdg = activities(`createJob "${job.name}"`, remaining(job), SINGLE_ATTEMPT, CREATE_PRIORITY);
    const attemptedAt = new Date().toISOString();
    try {
      // A cancellation arriving now must not leave a TDG job nobody records: it takes effect after.
      return await CancellationScope.nonCancellable(() =>
        tdg.createJob({
          workflowId: job.workflowId,
          name: job.name,
          outputFormat: input.outputFormat ?? 'JSON',
          notificationMethod: input.notificationMethod ?? null,
          ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
        }),
      );
    } catch (err) {
      if (isCancellation(err) || remaining(job) <= 0 || isFatalTdgFailure(err)) throw err;
      const outcome = createOutcomeOf(err);
      if (outcome !== 'not-sent') markPossibleDuplicate(job);
      if (outcome === 'unanswered') {
        unanswered.push(attemptedAt);
        // TDG may be slow rather than down: the retry waits nearly the whole attempt for its answer.
        requestTimeoutMs = MAX_TDG_REQUEST_TIMEOUT_MS;
        if (unanswered.length >= MAX_UNANSWERED_CREATE_ATTEMPTS) {
          throw typedFailure(
            FailureType.CreateOutcomeUnknown,
            `createJob got no answer ${unanswered.length} times (sent at ${unanswered.join(', ')}); TDG may hold ` +
              `a job for each, named after workflow ${job.workflowId}: reconcile them at TDG before starting anew. ` +
              `Last error: ${causeMessage(err)}`,
            job,
          );
        }
      }
      if (failureTypeOf(err) === FailureType.TdgMalformedResponse) unreadableAnswers += 1;
      if (unreadableAnswers >= MAX_UNREADABLE_CREATE_ANSWERS) {
        throw typedFailure(
          FailureType.TdgMalformedResponse,
          `createJob: TDG's answer was unreadable ${unreadableAnswers} times; giving up (TDG may hold jobs named after this workflow): ${causeMessage(err)}`,
          job,
        );
      }
      job.lastError = describeError(err);
      publish(job);
      // A patient retry follows an unanswered attempt at once: waiting longer would only delay it.
      const delayMs =
        outcome === 'unanswered' && unanswered.length === 1
          ? 0
          : Math.min(retryDelayMs(attempt, err), Math.max(remaining(job), 1));
      log.warn('createJob failed; retrying', { attempt, outcome, delayMs, error: job.lastError });
      if (delayMs > 0) await sleep(delayMs);
    }
  }
}

/** The first time an attempt's outcome is unknown: status, search attribute and log say so at once. */
function markPossibleDuplicate(job: JobState): void {
  if (job.possibleDuplicateTdgJob) return;
  job.possibleDuplicateTdgJob = true;
  upsertSearchAttributes([{ key: TDG_POSSIBLE_DUPLICATE, value: true }]);
  log.warn('possible duplicate TDG job: a createJob attempt ended with its outcome unknown', {
    workflowId: job.workflowId,
  });
}

/**
 * What a failed createJob attempt may have left at TDG: nothing (`not-sent`), maybe a job whose
 * answer we could not use (`unknown`: a reset, a 5xx, an unreadable body), or maybe a job TDG was
 * still making when we stopped waiting (`unanswered`: our request timeout, or the attempt's when
 * the worker was killed mid-request).
 */
function createOutcomeOf(err: unknown): 'not-sent' | 'unknown' | 'unanswered' {
  if (isDeadlineTimeout(err)) return 'unanswered';
  const cause = failureCause(err);
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as { createOutcome?: unknown; code?: unknown } | undefined;
    if (details?.createOutcome === 'not-sent') return 'not-sent';
    if (details?.code === 'TIMEOUT') return 'unanswered';
  }
  return 'unknown';
}

/** TDG's Retry-After when given, else the shared TDG backoff (1 s doubling to 2 min). */
function retryDelayMs(attempt: number, err: unknown): number {
  const cause = failureCause(err);
  if (cause instanceof ApplicationFailure && cause.nextRetryDelay != null)
    return msToNumber(cause.nextRetryDelay);
  const initial = msToNumber(TDG_RETRY_POLICY.initialInterval ?? '1 second');
  const max = msToNumber(TDG_RETRY_POLICY.maximumInterval ?? '2 minutes');
  return Math.min(max, initial * (TDG_RETRY_POLICY.backoffCoefficient ?? 2) ** (attempt - 1));
}

/** One `getJob` answer folded into `job`; a changed job state is published as `TdgJobState`. */
function fold(job: CreatedJobState, latest: JobSnapshot): void {
  const from = job.snapshot?.state ?? null;
  if (recordCheck(job, latest, new Date().toISOString())) {
    upsertSearchAttributes([{ key: TDG_JOB_STATE, value: latest.state }]);
    log.info('TDG job state changed', { jobId: job.jobId, from, to: latest.state });
  }
}

/**
 * The deadline has passed: one last `getJob` (its own short timeout, since no time remains) so
 * that a job that finished between the last check and the deadline is reported as it ended.
 * Returns when that answer is terminal; otherwise fails with `JobDeadlineExceeded`.
 */
async function finalCheck(job: CreatedJobState): Promise<true> {
  try {
    const summary = `final getJob ${job.jobId} at the deadline`;
    const latest = await getJobWithin(job, TDG_ATTEMPT_TIMEOUT, summary, (ms) =>
      proxyActivities<TdgActivities>({
        summary,
        startToCloseTimeout: TDG_ATTEMPT_TIMEOUT,
        scheduleToCloseTimeout: ms,
        retry: TDG_RETRY_POLICY,
      }),
    );
    fold(job, latest);
  } catch (err) {
    if (isCancellation(err)) throw err;
    job.lastError = describeError(err);
    log.warn('final getJob at the deadline failed', { jobId: job.jobId, error: job.lastError });
  }
  if (!isFinished(job)) throw deadlineExceeded(job);
  return true;
}

/**
 * One `getJob`, folded into `job`. Returns false when TDG refused it for credentials: the
 * workflow then waits (at the cap) for an operator instead of failing.
 */
async function check(job: CreatedJobState, policy: PollingPolicy): Promise<boolean> {
  if (remaining(job) <= 0) return finalCheck(job);
  // Cleared before the call: a hint arriving while getJob runs triggers one more check.
  job.hintPending = false;
  job.checkRequested = false;
  job.nextCheckAt = null;
  job.checking = true;
  job.lastCheckStartedAtMs = Date.now();
  publish(job);
  try {
    const window = Math.min(remaining(job), getJobRetryWindowMs(policy));
    const summary = `getJob ${job.jobId}`;
    const latest = await getJobWithin(job, window, summary, (ms) => activities(summary, ms));
    fold(job, latest);
    return true;
  } catch (err) {
    if (isCancellation(err)) throw err;
    if (isDeadlineTimeout(err) && remaining(job) <= 0) return await finalCheck(job);
    const type = failureTypeOf(err);
    if (type && RECOVERABLE_GET_JOB_TYPES.includes(type)) {
      job.lastError = describeError(err);
      log.warn('getJob refused; waiting for the operator to fix credentials', { jobId: job.jobId, type });
      return false;
    }
    return waitOutFailure(job, err);
  } finally {
    job.checking = false;
    job.checksFinished += 1;
  }
}

/**
 * A failed check leaves the job waiting on its slow schedule (TDG keeps processing through our
 * outages), except a 404 confirmed for `jobNotFoundAfterMs`: then TDG no longer knows the job.
 */
function waitOutFailure(job: CreatedJobState, err: unknown): false {
  const error = describeError(err);
  const notFound = failureTypeOf(err) === FailureType.JobNotFound;
  const deniedForMs = recordCheckFailure(job, error, notFound, Date.now());
  if (notFound && deniedForMs >= job.jobNotFoundAfterMs) {
    throw typedFailure(
      FailureType.JobNotFound,
      `TDG has answered 404 for job ${job.jobId} for ${formatDuration(deniedForMs)}: ${error}`,
      job,
    );
  }
  log.warn('getJob failed; waiting for the next check', { jobId: job.jobId, error });
  return false;
}

/** COMPLETED returns the result; FAILED fails the workflow with the same result as details. */
function finish(job: CreatedJobState, snapshot: JobSnapshot): EmailAppendJobResult {
  job.nextCheckAt = null;
  publish(job);
  const result = resultOf(job, snapshot);
  if (snapshot.state === 'COMPLETED') return result;
  throw ApplicationFailure.create({
    type: FailureType.JobFailed,
    message: `TDG job ${job.jobId} FAILED: ${snapshot.counts.failed} failed and ${snapshot.counts.malformed} malformed of ${totalBatches(snapshot.counts)} batches`,
    nonRetryable: true,
    details: [result],
  });
}

async function continueIfLong(
  input: EmailAppendJobInput,
  job: CreatedJobState,
  eventCap: number,
): Promise<void> {
  const info = workflowInfo();
  const due =
    info.continueAsNewSuggested ||
    info.historyLength >= eventCap ||
    // A newer version is current: this run moves onto it now that it is awake and has checked.
    info.targetWorkerDeploymentVersionChanged;
  if (!due) return;
  // A waiting checkNow needs one more check in this run: continue after it, not before.
  await condition(() => allHandlersFinished() || job.checkRequested);
  if (job.checkRequested) return;
  // A hint that arrived since the last check is carried: the next run then checks at once.
  await continueOnCurrentVersion({ ...input, carried: carriedOf(job) });
}

/** Sleeps until the schedule's next check or an earlier hint, and notes which one woke it. */
async function wait(job: CreatedJobState, policy: PollingPolicy, answered: boolean): Promise<void> {
  const scheduleState = {
    stableChecks: job.stableChecks,
    notificationsWorking: notificationsWorking(job),
    notificationFirst: job.notificationsRequested,
  };
  // After a failed check the hint it answered is lost: retry within the cap that holds without
  // notifications, never the longer one that trusts them (a duration only: replay-safe).
  const scheduled = answered ? nextPollDelayMs(policy, scheduleState, Math.random) : policy.maxIntervalMs;
  const ms = Math.max(1, Math.min(followUpDelayMs(job) ?? scheduled, scheduled, remaining(job)));
  job.nextCheckAt = new Date(Date.now() + ms).toISOString();
  publish(job);
  const why = job.notificationsRequested
    ? job.notifications > 0
      ? 'or on notification'
      : 'or on notification (none yet)'
    : 'polling only';
  const woken = await condition(() => job.hintPending || job.checkRequested, ms, {
    summary: `next check in ${formatDuration(ms)} (${why})`,
  });
  // A manual check is not a notification: it says nothing about whether notifications work.
  job.trigger = !woken ? 'timer' : job.checkRequested ? 'manual' : 'notification';
  if (job.trigger === 'notification') await spaceHintedCheck(job, policy);
}

/**
 * A hint said the job ended and the check it triggered did not see it (TDG's read may lag its
 * notification): the next follow-up's delay, seconds then minutes, until TDG agrees or the
 * follow-ups run out and the normal schedule alone takes over. undefined: nothing to follow up.
 */
function followUpDelayMs(job: CreatedJobState): number | undefined {
  if (job.followUps === null) return undefined;
  const delayMs = FOLLOW_UP_DELAYS_MS[job.followUps];
  job.followUps = delayMs === undefined ? null : job.followUps + 1;
  return delayMs;
}

/**
 * Holds a hint-triggered check until `minHintSpacingMs` after the last one started: hints arriving
 * meanwhile are answered by that same check, so a burst costs one `getJob`, not one per hint.
 */
async function spaceHintedCheck(job: CreatedJobState, policy: PollingPolicy): Promise<void> {
  if (job.lastCheckStartedAtMs === null) return;
  const gapMs = job.lastCheckStartedAtMs + policy.minHintSpacingMs - Date.now();
  if (gapMs > 0) await sleep(gapMs);
}

/**
 * The final `TdgJobState` for a workflow ending with `err`, or null when none is due: a
 * continue-as-new goes on, and a FAILED job already shows its state.
 */
function terminalStateOf(err: unknown): string | null {
  if (err instanceof ContinueAsNew) return null;
  if (isCancellation(err)) return 'CANCELLED';
  if (err instanceof ApplicationFailure && err.type === FailureType.JobFailed) return null;
  if (err instanceof ApplicationFailure && err.type === FailureType.JobDeadlineExceeded)
    return 'DEADLINE_EXCEEDED';
  return 'ERROR';
}

/**
 * Every terminal path leaves the final `TdgJobState` (termination alone cannot: see README).
 * Runs in a non-cancellable scope, so a cancelled workflow still records it before it ends.
 */
async function recordEnd(err: unknown, job: JobState | null): Promise<void> {
  const value = terminalStateOf(err);
  if (value === null) return;
  await CancellationScope.nonCancellable(() => {
    upsertSearchAttributes([{ key: TDG_JOB_STATE, value }]);
    const failure = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    log.info(`workflow ends ${value}`, {
      jobId: job?.jobId ?? null,
      lastState: job?.snapshot?.state ?? null,
      failure,
    });
    return Promise.resolve();
  });
}

/**
 * Creates a TDG asynchronous e-mail-append job and waits for it durably: adaptive polling
 * on timers, woken early by `jobNotification` hints, until COMPLETED (returns the batch
 * list) or FAILED (fails with a non-retryable `JobFailed` carrying the same result).
 */
export async function emailAppendJob(input: EmailAppendJobInput): Promise<EmailAppendJobResult> {
  let job: JobState | null = null;
  try {
    // Validated at the first run only: a continued run trusts what it carries.
    const policy = runPolicy(input);
    job = initialState(input, workflowInfo().workflowId, Date.now());
    return await run(input, policy, job);
  } catch (err) {
    await recordEnd(err, job);
    throw asWorkflowFailure(err, job);
  }
}

async function run(
  input: EmailAppendJobInput,
  policy: PollingPolicy,
  job: JobState,
): Promise<EmailAppendJobResult> {
  listen(job);
  announce(job);
  return follow(input, policy, hasJob(job) ? job : await create(job, input));
}

/** Checks and waits until the TDG job ends (or this run continues as new). */
async function follow(
  input: EmailAppendJobInput,
  policy: PollingPolicy,
  job: CreatedJobState,
): Promise<EmailAppendJobResult> {
  const eventCap = input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;
  // A new job has nothing to report yet, and a continued run checked just before it continued:
  // both wait first (the job id is published with this workflow task), unless a hint is pending.
  let waitFirst = !job.hintPending;
  let answered = true;
  for (;;) {
    if (!waitFirst) {
      answered = await check(job, policy);
      if (job.snapshot && isTerminalState(job.snapshot.state)) {
        // A checkNow waiting on this check answers before the workflow closes.
        await condition(allHandlersFinished);
        return finish(job, job.snapshot);
      }
      await continueIfLong(input, job, eventCap);
    }
    waitFirst = false;
    await wait(job, policy, answered);
  }
}
