/**
 * What one run of `emailAppendJob` knows about its TDG job, in one object (`job` in the
 * workflow; `snapshot` in it is the job state, as the last check saw it). The `status` query,
 * the current details, the result and the next run's input are all views of it, so a field
 * added here cannot be forgotten in one of them. Pure (no workflow APIs): unit-tested without
 * a server; the workflow passes in the time.
 */
import {
  isRunningState,
  isTerminalState,
  totalBatches,
  type CarriedState,
  type CheckTrigger,
  type EmailAppendJobInput,
  type EmailAppendJobResult,
  type JobSnapshot,
  type JobStatus,
  type TimelineEntry,
} from '../src/contract/index.js';

export const DEFAULT_DEADLINE_MS = 7 * 24 * 60 * 60_000;
export const DEFAULT_JOB_NOT_FOUND_AFTER_MS = 60 * 60_000;
/** Keeps the carried timeline (and so every run's input) small however long the job runs. */
export const MAX_TIMELINE_ENTRIES = 50;

export interface JobState {
  readonly workflowId: string;
  readonly name: string;
  readonly startedAt: string;
  readonly deadlineAt: string;
  /** How long TDG may deny the job (404) before the workflow gives it up. */
  readonly jobNotFoundAfterMs: number;
  /** This run's number, 1 for the first: continued-as-new runs count on. */
  readonly runs: number;
  jobId: string | null;
  notificationsRequested: boolean;
  snapshot: JobSnapshot | null;
  timeline: TimelineEntry[];
  checks: number;
  notifications: number;
  /** Checks since the job's state last changed; drives the backoff (see schedule.ts). */
  stableChecks: number;
  /** A hint arrived since the last check began (carried: the next run then checks at once). */
  hintPending: boolean;
  lastNotificationAt: string | null;
  /** The state the last notification named (only a hint: `snapshot` is what TDG answered). */
  lastNotifiedState: string | null;
  lastError: string | null;
  /** When TDG first answered 404 for the job, with no answer since (ISO). */
  notFoundSince: string | null;
  /** A createJob attempt's outcome is unknown: TDG may hold a job of this workflow besides `jobId`. */
  possibleDuplicateTdgJob: boolean;
  /**
   * A hint said the job ended but `getJob` still answered a running state (a lagging read): the
   * follow-up checks made since, on a short backoff. null when there is nothing to follow up.
   */
  followUps: number | null;
  // The fields below belong to one run and are not carried.
  nextCheckAt: string | null;
  /** What started the check in progress (or the last one). */
  trigger: CheckTrigger;
  /** A `checkNow` update waits for a check: the next wait ends at once. */
  checkRequested: boolean;
  /** Workflow time (ms) of the last accepted `checkNow`, for its minimum spacing. */
  lastManualCheckAtMs: number | null;
  /** Checks finished in this run, answered or refused: what a `checkNow` waits on. */
  checksFinished: number;
  /** A `getJob` is in flight: a `checkNow` arriving now waits for the one after it. */
  checking: boolean;
  /** Workflow time (ms) the last check of this run started, for the hint spacing. */
  lastCheckStartedAtMs: number | null;
  /** Why `createJob` failed, for a `jobCreated` update waiting on it. */
  createFailure: { type: string; message: string } | null;
}

/** A `JobState` once `createJob` answered (or in every continued run): the job id is known. */
export type CreatedJobState = JobState & { jobId: string };

export function hasJob(job: JobState): job is CreatedJobState {
  return job.jobId !== null;
}

/** A first run's fresh `JobState`, or the one a continued run picks up from `input.carried`. */
export function initialState(input: EmailAppendJobInput, workflowId: string, nowMs: number): JobState {
  const carried = input.carried;
  return {
    workflowId,
    name: input.name,
    startedAt: carried?.startedAt ?? new Date(nowMs).toISOString(),
    deadlineAt:
      carried?.deadlineAt ?? new Date(nowMs + (input.deadlineMs ?? DEFAULT_DEADLINE_MS)).toISOString(),
    jobNotFoundAfterMs: input.jobNotFoundAfterMs ?? DEFAULT_JOB_NOT_FOUND_AFTER_MS,
    runs: (carried?.runs ?? 0) + 1,
    jobId: carried?.jobId ?? null,
    notificationsRequested: carried?.notificationsRequested ?? false,
    snapshot: carried?.lastSnapshot ?? null,
    timeline: carried?.timeline ? [...carried.timeline] : [],
    checks: carried?.checks ?? 0,
    notifications: carried?.notifications ?? 0,
    stableChecks: carried?.stableChecks ?? 0,
    hintPending: carried?.hintPending ?? false,
    lastNotificationAt: carried?.lastNotificationAt ?? null,
    lastNotifiedState: carried?.lastNotifiedState ?? null,
    lastError: carried?.lastError ?? null,
    notFoundSince: carried?.notFoundSince ?? null,
    possibleDuplicateTdgJob: carried?.possibleDuplicateTdgJob ?? false,
    followUps: carried?.followUps ?? null,
    nextCheckAt: null,
    trigger: carried ? 'continue-as-new' : 'creation',
    checkRequested: false,
    lastManualCheckAtMs: null,
    checksFinished: 0,
    checking: false,
    lastCheckStartedAtMs: null,
    createFailure: null,
  };
}

export function statusOf(job: JobState): JobStatus {
  return {
    workflowId: job.workflowId,
    jobId: job.jobId,
    name: job.name,
    state: job.snapshot?.state ?? (job.jobId ? 'CREATED' : 'CREATING'),
    counts: job.snapshot?.counts ?? null,
    batchList: job.snapshot?.batchList ?? [],
    checks: job.checks,
    notifications: job.notifications,
    notificationsRequested: job.notificationsRequested,
    nextCheckAt: job.nextCheckAt,
    lastError: job.lastError,
    lastNotificationAt: job.lastNotificationAt,
    lastNotifiedState: job.lastNotifiedState,
    deadlineAt: job.deadlineAt,
    runs: job.runs,
    timeline: job.timeline,
    possibleDuplicateTdgJob: job.possibleDuplicateTdgJob,
  };
}

/** The job's outcome once `snapshot` (its latest job state) is terminal. */
export function resultOf(job: CreatedJobState, snapshot: JobSnapshot): EmailAppendJobResult {
  return {
    jobId: job.jobId,
    state: snapshot.state,
    batchList: snapshot.batchList,
    counts: snapshot.counts,
    createdDate: snapshot.createdDate,
    timeline: job.timeline,
    checks: job.checks,
    notifications: job.notifications,
    detectedBy: job.trigger,
    possibleDuplicateTdgJob: job.possibleDuplicateTdgJob,
  };
}

/** What the next run needs; `initialState` reads it back. */
export function carriedOf(job: CreatedJobState): CarriedState {
  return {
    jobId: job.jobId,
    notificationsRequested: job.notificationsRequested,
    startedAt: job.startedAt,
    deadlineAt: job.deadlineAt,
    lastSnapshot: job.snapshot,
    timeline: job.timeline,
    checks: job.checks,
    notifications: job.notifications,
    runs: job.runs,
    stableChecks: job.stableChecks,
    lastError: job.lastError,
    lastNotificationAt: job.lastNotificationAt,
    lastNotifiedState: job.lastNotifiedState,
    hintPending: job.hintPending,
    notFoundSince: job.notFoundSince,
    possibleDuplicateTdgJob: job.possibleDuplicateTdgJob,
    followUps: job.followUps,
  };
}

/**
 * Notes a failed `getJob` (a 404 starts or continues the not-found period; anything else leaves it
 * as it is: an outage between two 404s neither confirms nor refutes them). Returns how long TDG
 * has denied the job, 0 when this failure was not a 404.
 */
export function recordCheckFailure(job: JobState, error: string, notFound: boolean, nowMs: number): number {
  job.lastError = error;
  if (!notFound) return 0;
  job.notFoundSince ??= new Date(nowMs).toISOString();
  return nowMs - Date.parse(job.notFoundSince);
}

export function notificationsWorking(job: JobState): boolean {
  return job.notificationsRequested && job.notifications > 0;
}

export function remainingMs(job: JobState, nowMs: number): number {
  return Date.parse(job.deadlineAt) - nowMs;
}

/**
 * A `jobNotification` hint: counted, and it wakes the wait unless it names one of TDG's known
 * running states (a state TDG names in words we do not know is checked at once). Its payload never
 * moves the job's state: a hint that says COMPLETED, or nothing readable, only triggers a `getJob`,
 * so a forged or stale hint costs at most one check (and a few follow-ups, see `recordCheck`).
 */
export function recordNotification(job: JobState, at: string, hintedState: string | null): void {
  job.notifications += 1;
  job.lastNotificationAt = at;
  job.lastNotifiedState = hintedState;
  if (hintedState !== null && isRunningState(hintedState)) return;
  if (hintedState !== null && isTerminalState(hintedState)) job.followUps = 0;
  job.hintPending = true;
}

/** Folds one `getJob` answer (a check) into `job`. Returns whether the job state changed. */
export function recordCheck(job: JobState, latest: JobSnapshot, at: string): boolean {
  job.checks += 1;
  const changed = latest.state !== job.snapshot?.state;
  if (changed) {
    // A change a notification announced says the channel works: the next one will be
    // announced too, so only a change no notification announced (a lost one) resets the backoff.
    const announced = job.trigger === 'notification' && notificationsWorking(job);
    job.stableChecks = announced ? job.stableChecks + 1 : 0;
    job.timeline.push({
      at,
      state: latest.state,
      completed: latest.counts.completed,
      total: totalBatches(latest.counts),
    });
    // The first entry stays so the timeline still shows when the job was first seen.
    if (job.timeline.length > MAX_TIMELINE_ENTRIES)
      job.timeline.splice(1, job.timeline.length - MAX_TIMELINE_ENTRIES);
  } else {
    job.stableChecks += 1;
  }
  job.lastError =
    latest.missingFields.length > 0 ? `TDG response lacked: ${latest.missingFields.join(', ')}` : null;
  job.snapshot = latest;
  job.notFoundSince = null;
  return changed;
}
