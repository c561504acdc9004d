import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { TdgActivities } from '../activities/index.js';
import {
  FailureType,
  formatDuration,
  TDG_JOB_ID,
  TDG_JOB_STATE,
  isTerminalState,
  jobNotificationSignal,
  statusQuery,
  totalBatches,
  type CarriedState,
  type CheckTrigger,
  type EmailAppendJobInput,
  type EmailAppendJobResult,
  type JobSnapshot,
  type JobStatus,
  type PollingPolicy,
} from '../src/contract/index.js';
import { intervalCapMs, nextPollDelayMs, resolvePollingPolicy } from './schedule.js';
import { renderDetails } from './details.js';
import { FATAL_TDG_FAILURE_TYPES, TDG_ATTEMPT_TIMEOUT, TDG_RETRY_POLICY } from './tdg-activity-options.js';

const DEFAULT_DEADLINE_MS = 7 * 24 * 60 * 60_000;
const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 4_000;
const MAX_NAME_LENGTH = 200;
/** Keeps the carried timeline (and so every run's input) small however long the job runs. */
const MAX_TIMELINE_ENTRIES = 50;
/**
 * Patch marker for the notification-aware schedule (floor once notifications arrive, no backoff
 * reset on an announced change, 30 s attempts). Runs recorded before it replay with the old one.
 */
const NOTIFIED_SCHEDULE_PATCH = 'notified-schedule';

/**
 * Credentials can be fixed by an operator while a job runs for days; until the deadline a
 * `getJob` refused for them keeps the workflow waiting (visible in `status`) instead of
 * abandoning a job TDG is still processing.
 */
const RECOVERABLE_GET_JOB_TYPES: string[] = [FailureType.NotAuthenticated, FailureType.NotPermitted];

function activities(summary: string, scheduleToCloseMs: number): TdgActivities {
  const options: ActivityOptions = {
    summary,
    startToCloseTimeout: patched(NOTIFIED_SCHEDULE_PATCH) ? TDG_ATTEMPT_TIMEOUT : '1 minute',
    scheduleToCloseTimeout: Math.max(scheduleToCloseMs, 1_000),
    retry: TDG_RETRY_POLICY,
  };
  return proxyActivities<TdgActivities>(options);
}

function validateInput(input: EmailAppendJobInput): PollingPolicy {
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
  if (input?.deadlineMs !== undefined && !(input.deadlineMs >= 1_000))
    problems.push('deadlineMs must be ≥ 1000');
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

function failureCause(err: unknown): unknown {
  return err instanceof ActivityFailure ? err.cause : err;
}

function isDeadlineTimeout(err: unknown): boolean {
  return failureCause(err) instanceof TimeoutFailure;
}

function fatalActivityError(err: unknown, what: string): ApplicationFailure | undefined {
  const cause = failureCause(err);
  if (cause instanceof ApplicationFailure && cause.type && FATAL_TDG_FAILURE_TYPES.includes(cause.type)) {
    return ApplicationFailure.create({
      type: cause.type,
      message: `${what}: ${cause.message}`,
      nonRetryable: true,
    });
  }
  return undefined;
}

function describeError(err: unknown): string {
  const cause = failureCause(err);
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

/**
 * Creates a TDG asynchronous e-mail-append job and waits for it durably: adaptive polling
 * on timers, woken early by `jobNotification` hints, until COMPLETED (returns the batch
 * list) or FAILED (fails with a non-retryable `JobFailed` carrying the same result).
 */
export async function emailAppendJob(input: EmailAppendJobInput): Promise<EmailAppendJobResult> {
  const policy = validateInput(input);
  const info = workflowInfo();
  const eventCap = input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;
  const carried: CarriedState | undefined = input.carried;
  const startedAt = carried?.startedAt ?? new Date().toISOString();
  const deadlineAt =
    carried?.deadlineAt ?? new Date(Date.now() + (input.deadlineMs ?? DEFAULT_DEADLINE_MS)).toISOString();

  let jobId: string | null = carried?.jobId ?? null;
  let notificationsRequested = carried?.notificationsRequested ?? false;
  let snapshot: JobSnapshot | null = carried?.lastSnapshot ?? null;
  const timeline = carried?.timeline ? [...carried.timeline] : [];
  let checks = carried?.checks ?? 0;
  let notifications = carried?.notifications ?? 0;
  let stableChecks = carried?.stableChecks ?? 0;
  const runs = (carried?.runs ?? 0) + 1;
  let hintPending = false;
  let lastNotificationAt: string | null = null;
  let lastError: string | null = null;
  let nextCheckAt: string | null = null;
  let trigger: CheckTrigger = carried ? 'continue-as-new' : 'creation';

  const status = (): JobStatus => ({
    workflowId: info.workflowId,
    jobId,
    name: input.name,
    state: snapshot?.state ?? (jobId ? 'CREATED' : 'CREATING'),
    counts: snapshot?.counts ?? null,
    batchList: snapshot?.batchList ?? [],
    checks,
    notifications,
    notificationsRequested,
    nextCheckAt,
    lastError,
    lastNotificationAt,
    deadlineAt,
    runs,
    timeline,
  });
  const publish = (): void => setCurrentDetails(renderDetails(status()));

  setHandler(statusQuery, status);
  setHandler(jobNotificationSignal, () => {
    // The payload is unauthenticated content relayed by the listener: count it, never trust it.
    notifications += 1;
    lastNotificationAt = new Date().toISOString();
    hintPending = true;
  });

  const notificationsWorking = (): boolean => notificationsRequested && notifications > 0;
  const remainingMs = (): number => Date.parse(deadlineAt) - Date.now();
  const deadlineExceeded = (): ApplicationFailure =>
    ApplicationFailure.create({
      type: FailureType.JobDeadlineExceeded,
      message: `TDG job ${jobId ?? '(not created)'} did not finish by its deadline ${deadlineAt}; last state ${
        snapshot?.state ?? 'unknown'
      }`,
      nonRetryable: true,
      details: [status()],
    });

  if (jobId === null) {
    upsertSearchAttributes([{ key: TDG_JOB_STATE, value: 'CREATING' }]);
    publish();
    try {
      const created = await activities(`createJob "${input.name}"`, remainingMs()).createJob({
        workflowId: info.workflowId,
        name: input.name,
        outputFormat: input.outputFormat ?? 'JSON',
        notificationMethod: input.notificationMethod ?? null,
      });
      jobId = created.jobId;
      notificationsRequested = created.notificationsRequested;
    } catch (err) {
      if (isDeadlineTimeout(err)) throw deadlineExceeded();
      throw fatalActivityError(err, 'createJob failed') ?? err;
    }
    upsertSearchAttributes([
      { key: TDG_JOB_ID, value: jobId },
      { key: TDG_JOB_STATE, value: 'CREATED' },
    ]);
    log.info('TDG job created', { jobId, notificationsRequested });
  }
  const currentJobId: string = jobId;

  for (;;) {
    if (remainingMs() <= 0) throw deadlineExceeded();
    // Cleared before the call: a hint arriving while getJob runs triggers one more check.
    hintPending = false;
    nextCheckAt = null;
    publish();
    let recoverableFailure = false;
    try {
      const latest = await activities(`getJob ${currentJobId}`, remainingMs()).getJob(currentJobId);
      checks += 1;
      lastError = null;
      if (latest.state !== snapshot?.state) {
        // A change a notification announced says the channel works: the next one will be
        // announced too, so only a change found by a poll (a lost notification) resets the backoff.
        const announced = trigger === 'notification' && notificationsWorking();
        stableChecks = announced && patched(NOTIFIED_SCHEDULE_PATCH) ? stableChecks + 1 : 0;
        timeline.push({
          at: new Date().toISOString(),
          state: latest.state,
          completed: latest.counts.completed,
          total: totalBatches(latest.counts),
        });
        if (timeline.length > MAX_TIMELINE_ENTRIES)
          timeline.splice(1, timeline.length - MAX_TIMELINE_ENTRIES);
        upsertSearchAttributes([{ key: TDG_JOB_STATE, value: latest.state }]);
        log.info('TDG job state changed', {
          jobId: currentJobId,
          from: snapshot?.state ?? null,
          to: latest.state,
        });
      } else {
        stableChecks += 1;
      }
      if (latest.missingFields.length > 0)
        lastError = `TDG response lacked: ${latest.missingFields.join(', ')}`;
      snapshot = latest;
    } catch (err) {
      if (isDeadlineTimeout(err)) throw deadlineExceeded();
      const cause = failureCause(err);
      const type = cause instanceof ApplicationFailure ? cause.type : undefined;
      if (type && RECOVERABLE_GET_JOB_TYPES.includes(type)) {
        recoverableFailure = true;
        lastError = describeError(err);
        log.warn('getJob refused; waiting for the operator to fix credentials', {
          jobId: currentJobId,
          type,
        });
      } else {
        throw fatalActivityError(err, `getJob ${currentJobId} failed`) ?? err;
      }
    }

    if (snapshot && isTerminalState(snapshot.state)) {
      nextCheckAt = null;
      publish();
      const result: EmailAppendJobResult = {
        jobId: currentJobId,
        state: snapshot.state,
        batchList: snapshot.batchList,
        counts: snapshot.counts,
        createdDate: snapshot.createdDate,
        timeline,
        checks,
        notifications,
        detectedBy: trigger,
      };
      if (snapshot.state === 'COMPLETED') return result;
      throw ApplicationFailure.create({
        type: FailureType.JobFailed,
        message: `TDG job ${currentJobId} FAILED: ${snapshot.counts.failed} failed and ${snapshot.counts.malformed} malformed of ${totalBatches(snapshot.counts)} batches`,
        nonRetryable: true,
        details: [result],
      });
    }

    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= eventCap) {
      await condition(allHandlersFinished);
      const next: EmailAppendJobInput = {
        ...input,
        carried: {
          jobId: currentJobId,
          notificationsRequested,
          startedAt,
          deadlineAt,
          lastSnapshot: snapshot,
          timeline,
          checks,
          notifications,
          runs,
          stableChecks,
        },
      };
      // A hint that arrived in this run must not be lost: the next run then starts with a check anyway.
      await continueAsNew<typeof emailAppendJob>(next);
    }

    const scheduleState = { stableChecks, notificationsWorking: notificationsWorking() };
    const activePolicy = patched(NOTIFIED_SCHEDULE_PATCH)
      ? policy
      : { ...policy, minIntervalWithNotificationsMs: 0 };
    const delay = recoverableFailure
      ? intervalCapMs(activePolicy, scheduleState)
      : nextPollDelayMs(activePolicy, scheduleState, Math.random);
    const wait = Math.max(1, Math.min(delay, remainingMs()));
    nextCheckAt = new Date(Date.now() + wait).toISOString();
    publish();
    const why = notificationsRequested
      ? notifications > 0
        ? 'or on notification'
        : 'or on notification (none yet)'
      : 'polling only';
    const hinted = await condition(() => hintPending, wait, {
      summary: `next check in ${formatDuration(wait)} (${why})`,
    });
    trigger = hinted ? 'notification' : 'timer';
  }
}
