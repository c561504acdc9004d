import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  TemporalFailure,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
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
  MIN_MANUAL_CHECK_SPACING_MS,
  checkNowUpdate,
  formatDuration,
  hintedStateOf,
  isRunningState,
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
 * Patch marker for the notification-aware schedule (floor once notifications arrive, no backoff
 * reset on an announced change, 30 s attempts). Runs recorded before it replay with the old one.
 */
const NOTIFIED_SCHEDULE_PATCH = 'notified-schedule';
/** Patch marker: one last `getJob` once the deadline has passed, before `JobDeadlineExceeded`. */
const FINAL_DEADLINE_CHECK_PATCH = 'final-deadline-check';
/** Patch marker: every terminal path sets the final `TdgJobState` (CANCELLED, DEADLINE_EXCEEDED, ERROR). */
const TERMINAL_STATE_PATCH = 'terminal-state-attribute';
/** Patch marker: `createJob` runs to its end even when cancellation arrives, so its job id is recorded. */
const NON_CANCELLABLE_CREATE_PATCH = 'non-cancellable-create';
/** Patch marker: a continued run waits on the schedule first unless it carried a pending hint. */
const CARRIED_HINT_PATCH = 'carried-hint';
/**
 * Patch marker: a failed `getJob` (outage, unreadable answer, unexpected refusal, a 404 not yet
 * confirmed) leaves the workflow waiting on its slow schedule instead of failing it.
 */
const TRANSIENT_GET_JOB_PATCH = 'transient-get-job';
/**
 * Patch marker: a failed `createJob` attempt comes back to the workflow, which retries it and marks
 * a possible duplicate TDG job when a retry followed an attempt whose outcome is unknown.
 */
const CREATE_RETRIES_PATCH = 'create-retries';
/** Patch marker: a hint-triggered check waits until `minHintSpacingMs` after the last check started. */
const HINT_SPACING_PATCH = 'hint-spacing';
/**
 * Patch marker: notification-first waiting. A job created with a notification URL is not checked
 * right after creation, and a hint naming a non-terminal state triggers no check.
 */
const NOTIFICATION_FIRST_PATCH = 'notification-first';
/**
 * Patch marker: lean history. Each `getJob` is first tried as a local activity (one marker event
 * instead of an activity's three and a workflow task's three), the `TdgJobState` a starter set is
 * not upserted again, only TDG's known running states skip the check a hint asks for, and this
 * one marker stands for every patch above: a run that has it behaves as if each were present, so
 * a new run writes one marker instead of one per patch.
 */
const LEAN_HISTORY_PATCH = 'lean-history';

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
 * The run's patch decisions. `lean-history` is asked once, first thing in each run; when present
 * it answers for every older patch. Otherwise each older patch is asked where the decision it
 * guards is made, exactly as before, so its marker lands at the same place in history (including
 * in runs that started on pre-patch code and switch once their replay is over). The
 * `notified-schedule` answer is kept once true, as in the SDK.
 */
interface RunRules {
  lean: boolean;
  patched: (patchId: string) => boolean;
  notifiedSchedule: () => boolean;
  policy: () => PollingPolicy;
}

function runRules(policy: PollingPolicy): RunRules {
  const lean = patched(LEAN_HISTORY_PATCH);
  const has = (patchId: string): boolean => lean || patched(patchId);
  let notified = false;
  const notifiedSchedule = (): boolean => (notified ||= has(NOTIFIED_SCHEDULE_PATCH));
  return {
    lean,
    patched: has,
    notifiedSchedule,
    policy: () => (notifiedSchedule() ? policy : { ...policy, minIntervalWithNotificationsMs: 0 }),
  };
}

/**
 * How long one check keeps retrying `getJob` before the workflow notes the failure (visible in
 * `status`) and waits on its slow schedule: the schedule's cap, and never less than two attempts.
 */
function getJobRetryWindowMs(rules: RunRules): number {
  return Math.max(rules.policy().maxIntervalMs, 2 * TDG_ATTEMPT_TIMEOUT);
}

function activities(
  rules: RunRules,
  summary: string,
  scheduleToCloseMs: number,
  retry: RetryPolicy = TDG_RETRY_POLICY,
): TdgActivities {
  const options: ActivityOptions = {
    summary,
    startToCloseTimeout: rules.notifiedSchedule() ? TDG_ATTEMPT_TIMEOUT : '1 minute',
    scheduleToCloseTimeout: Math.max(scheduleToCloseMs, 1_000),
    retry,
  };
  return proxyActivities<TdgActivities>(options);
}

/**
 * `getJob` for one check, retried for `windowMs`. A lean run first tries once as a local activity:
 * its answer is one marker in the same workflow task (the TDG rate limit then holds through the
 * TDG client's own limiter, as local activities bypass the task queue's). Only when that attempt
 * fails does it fall back to the activity retried for the rest of the window: its backoff is
 * durable timers, where a local activity's would hold the workflow task open (and heartbeat it).
 */
async function getJobWithin(
  job: CreatedJobState,
  rules: RunRules,
  windowMs: number,
  summary: string,
  retried: (scheduleToCloseMs: number) => TdgActivities,
): Promise<JobSnapshot> {
  let leftMs = windowMs;
  if (rules.lean) {
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
      // As the activity's own retry would: wait TDG's Retry-After, else the policy's first interval.
      const delayMs = retryDelayMs(1, err);
      leftMs = windowMs - (Date.now() - startedAtMs) - delayMs;
      if (leftMs < TDG_ATTEMPT_TIMEOUT) throw err;
      await sleep(delayMs);
    }
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

function listen(job: JobState, rules: RunRules): void {
  setHandler(statusQuery, () => statusOf(job));
  // The payload is unauthenticated content relayed by the listener: count it, never trust it.
  setHandler(jobNotificationSignal, (hint) =>
    recordNotification(
      job,
      new Date().toISOString(),
      hintedStateOf(hint?.fields),
      () => rules.patched(NOTIFICATION_FIRST_PATCH),
      rules.lean ? isRunningState : undefined,
    ),
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
 * A first run shows its job as being created at once; a continued run already has its job. A lean
 * run started with a `TdgJobState` (our client sets PENDING: not created yet) leaves it as it is.
 */
function announce(job: JobState, rules: RunRules): void {
  if (hasJob(job)) return;
  const started = workflowInfo().typedSearchAttributes.get(TDG_JOB_STATE);
  if (!(rules.lean && started !== undefined))
    upsertSearchAttributes([{ key: TDG_JOB_STATE, value: 'CREATING' }]);
  publish(job);
}

async function create(job: JobState, rules: RunRules, input: EmailAppendJobInput): Promise<CreatedJobState> {
  let created: CreatedJobState;
  try {
    const answer = await requestJob(job, rules, input);
    created = Object.assign(job, {
      jobId: answer.jobId,
      notificationsRequested: answer.notificationsRequested,
    });
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
  upsertSearchAttributes([
    { key: TDG_JOB_ID, value: created.jobId },
    { key: TDG_JOB_STATE, value: 'CREATED' },
    ...(created.possibleDuplicateTdgJob ? [{ key: TDG_POSSIBLE_DUPLICATE, value: true }] : []),
  ]);
  log.info('TDG job created', {
    jobId: created.jobId,
    notificationsRequested: created.notificationsRequested,
  });
  if (created.possibleDuplicateTdgJob) {
    log.warn('possible duplicate TDG job: a createJob retry followed an attempt whose outcome is unknown', {
      jobId: created.jobId,
    });
  }
  return created;
}

/**
 * `createJob` until TDG answers with a job id. Each attempt is its own activity, so a failure whose
 * outcome is unknown (TDG may have created a job: a timeout, a reset, a 5xx, an unreadable answer, a
 * worker killed mid-request) is seen here, and a later success is marked as a possible duplicate.
 * Throws what the caller turns into the workflow's failure: fatal refusals, the deadline, cancellation.
 */
async function requestJob(
  job: JobState,
  rules: RunRules,
  input: EmailAppendJobInput,
): Promise<CreateJobResult> {
  let unknownOutcomes = 0;
  let unreadableAnswers = 0;
  for (let attempt = 1; ; attempt++) {
    const tdg = activities(rules, `createJob "${job.name}"`, remaining(job), SINGLE_ATTEMPT);
    const request = () =>
      tdg.createJob({
        workflowId: job.workflowId,
        name: job.name,
        outputFormat: input.outputFormat ?? 'JSON',
        notificationMethod: input.notificationMethod ?? null,
      });
    try {
      // A cancellation arriving now must not leave a TDG job nobody records: it takes effect after.
      const answer = await (rules.patched(NON_CANCELLABLE_CREATE_PATCH)
        ? CancellationScope.nonCancellable(request)
        : request());
      if (unknownOutcomes > 0) job.possibleDuplicateTdgJob = true;
      return answer;
    } catch (err) {
      if (isCancellation(err) || remaining(job) <= 0 || isFatalTdgFailure(err)) throw err;
      // Before this patch the activity retried by itself: a failure reaching here was final.
      if (!rules.patched(CREATE_RETRIES_PATCH)) throw err;
      const outcome = createOutcomeOf(err);
      if (outcome === 'unknown') unknownOutcomes += 1;
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
      const delayMs = Math.min(retryDelayMs(attempt, err), Math.max(remaining(job), 1));
      log.warn('createJob failed; retrying', { attempt, outcome, delayMs, error: job.lastError });
      await sleep(delayMs);
    }
  }
}

/** What a failed createJob attempt may have left at TDG; a timeout (a killed worker, a hung request) may have created a job. */
function createOutcomeOf(err: unknown): 'not-sent' | 'unknown' {
  const cause = failureCause(err);
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as { createOutcome?: unknown } | undefined;
    if (details?.createOutcome === 'not-sent') return 'not-sent';
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

/** One `getJob` answer into the state; a changed state is published as `TdgJobState`. */
function fold(job: CreatedJobState, rules: RunRules, latest: JobSnapshot): void {
  const from = job.snapshot?.state ?? null;
  if (recordCheck(job, latest, new Date().toISOString(), rules.notifiedSchedule)) {
    upsertSearchAttributes([{ key: TDG_JOB_STATE, value: latest.state }]);
    log.info('TDG job state changed', { jobId: job.jobId, from, to: latest.state });
  }
}

/**
 * The deadline has passed: one last `getJob` (its own short timeout, since no time remains) so
 * that a job that finished between the last poll and the deadline is reported as it ended.
 * Returns when that answer is terminal; otherwise fails with `JobDeadlineExceeded`.
 */
async function finalCheck(job: CreatedJobState, rules: RunRules): Promise<true> {
  if (!rules.patched(FINAL_DEADLINE_CHECK_PATCH)) throw deadlineExceeded(job);
  try {
    const summary = `final getJob ${job.jobId} at the deadline`;
    const latest = await getJobWithin(job, rules, TDG_ATTEMPT_TIMEOUT, summary, (ms) =>
      proxyActivities<TdgActivities>({
        summary,
        startToCloseTimeout: TDG_ATTEMPT_TIMEOUT,
        scheduleToCloseTimeout: ms,
        retry: TDG_RETRY_POLICY,
      }),
    );
    fold(job, rules, latest);
  } catch (err) {
    if (isCancellation(err)) throw err;
    job.lastError = describeError(err);
    log.warn('final getJob at the deadline failed', { jobId: job.jobId, error: job.lastError });
  }
  if (!isFinished(job)) throw deadlineExceeded(job);
  return true;
}

/**
 * One `getJob`, folded into the state. Returns false when TDG refused it for credentials: the
 * workflow then waits (at the cap) for an operator instead of failing.
 */
async function check(job: CreatedJobState, rules: RunRules): Promise<boolean> {
  if (remaining(job) <= 0) return finalCheck(job, rules);
  // Cleared before the call: a hint arriving while getJob runs triggers one more check.
  job.hintPending = false;
  job.checkRequested = false;
  job.nextCheckAt = null;
  job.checking = true;
  job.lastCheckStartedAtMs = Date.now();
  publish(job);
  try {
    const window = Math.min(remaining(job), getJobRetryWindowMs(rules));
    const summary = `getJob ${job.jobId}`;
    const latest = await getJobWithin(job, rules, window, summary, (ms) => activities(rules, summary, ms));
    fold(job, rules, latest);
    return true;
  } catch (err) {
    if (isCancellation(err)) throw err;
    if (isDeadlineTimeout(err) && remaining(job) <= 0) return await finalCheck(job, rules);
    const type = failureTypeOf(err);
    if (type && RECOVERABLE_GET_JOB_TYPES.includes(type)) {
      job.lastError = describeError(err);
      log.warn('getJob refused; waiting for the operator to fix credentials', { jobId: job.jobId, type });
      return false;
    }
    if (!rules.patched(TRANSIENT_GET_JOB_PATCH))
      throw fatalActivityError(err, `getJob ${job.jobId} failed`, job) ?? err;
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
  if (!workflowInfo().continueAsNewSuggested && workflowInfo().historyLength < eventCap) return;
  // A waiting checkNow needs one more check in this run: continue after it, not before.
  await condition(() => allHandlersFinished() || job.checkRequested);
  if (job.checkRequested) return;
  // A hint that arrived since the last check is carried: the next run then checks at once.
  await continueAsNew<typeof emailAppendJob>({ ...input, carried: carriedOf(job) });
}

/** Sleeps until the schedule's next check or an earlier hint, and notes which one woke it. */
async function wait(job: CreatedJobState, rules: RunRules, answered: boolean): Promise<void> {
  const policy = rules.policy();
  const scheduleState = {
    stableChecks: job.stableChecks,
    notificationsWorking: notificationsWorking(job),
    notificationFirst: job.notificationsRequested,
  };
  // After a failed check the hint it answered is lost: retry within the cap that holds without
  // notifications, never the longer one that trusts them (a duration only: replay-safe).
  const delay = answered ? nextPollDelayMs(policy, scheduleState, Math.random) : policy.maxIntervalMs;
  const ms = Math.max(1, Math.min(delay, remaining(job)));
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
  if (job.trigger === 'notification') await spaceHintedCheck(job, rules);
}

/**
 * Holds a hint-triggered check until `minHintSpacingMs` after the last one started: hints arriving
 * meanwhile are answered by that same check, so a burst costs one `getJob`, not one per hint.
 */
async function spaceHintedCheck(job: CreatedJobState, rules: RunRules): Promise<void> {
  if (job.lastCheckStartedAtMs === null) return;
  const gapMs = job.lastCheckStartedAtMs + rules.policy().minHintSpacingMs - Date.now();
  if (gapMs > 0 && rules.patched(HINT_SPACING_PATCH)) await sleep(gapMs);
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
async function recordEnd(err: unknown, job: JobState | null, rules: RunRules | null): Promise<void> {
  const value = terminalStateOf(err);
  if (value === null || !(rules?.patched ?? patched)(TERMINAL_STATE_PATCH)) return;
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
  let known: JobState | null = null;
  let rules: RunRules | null = null;
  try {
    // Validated at the first run only: a continued run trusts the state it carries.
    const policy = runPolicy(input);
    known = initialState(input, workflowInfo().workflowId, Date.now());
    rules = runRules(policy);
    return await run(input, rules, known);
  } catch (err) {
    await recordEnd(err, known, rules);
    throw asWorkflowFailure(err, known);
  }
}

async function run(
  input: EmailAppendJobInput,
  rules: RunRules,
  state: JobState,
): Promise<EmailAppendJobResult> {
  const eventCap = input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;
  listen(state, rules);
  announce(state, rules);
  const continued = hasJob(state);
  const job = continued ? state : await create(state, rules, input);
  // A continued run checked just before it continued: it checks at once only for a pending hint.
  // A new job TDG will notify about is first checked when a hint or the safety-net poll asks.
  let waitFirst = continued
    ? input.carried !== undefined && !job.hintPending && rules.patched(CARRIED_HINT_PATCH)
    : job.notificationsRequested && !job.hintPending && rules.patched(NOTIFICATION_FIRST_PATCH);
  let answered = true;
  for (;;) {
    if (!waitFirst) {
      answered = await check(job, rules);
      if (job.snapshot && isTerminalState(job.snapshot.state)) {
        // A checkNow waiting on this check answers before the workflow closes.
        await condition(allHandlersFinished);
        return finish(job, job.snapshot);
      }
      await continueIfLong(input, job, eventCap);
    }
    waitFirst = false;
    await wait(job, rules, answered);
  }
}
