/**
 * What one run of `emailAppendJob` knows about its TDG job, in one object. The `status` query,
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

/** After `createJob` (or in every continued run) the job id is known. */
export type CreatedJobState = JobState & { jobId: string };

export function hasJob(state: JobState): state is CreatedJobState {
  return state.jobId !== null;
}

/** A first run's fresh state, or the state a continued run picks up from `input.carried`. */
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

export function statusOf(state: JobState): JobStatus {
  return {
    workflowId: state.workflowId,
    jobId: state.jobId,
    name: state.name,
    state: state.snapshot?.state ?? (state.jobId ? 'CREATED' : 'CREATING'),
    counts: state.snapshot?.counts ?? null,
    batchList: state.snapshot?.batchList ?? [],
    checks: state.checks,
    notifications: state.notifications,
    notificationsRequested: state.notificationsRequested,
    nextCheckAt: state.nextCheckAt,
    lastError: state.lastError,
    lastNotificationAt: state.lastNotificationAt,
    lastNotifiedState: state.lastNotifiedState,
    deadlineAt: state.deadlineAt,
    runs: state.runs,
    timeline: state.timeline,
    possibleDuplicateTdgJob: state.possibleDuplicateTdgJob,
  };
}

/** The job's outcome once `snapshot` (the state's latest) is terminal. */
export function resultOf(state: CreatedJobState, snapshot: JobSnapshot): EmailAppendJobResult {
  return {
    jobId: state.jobId,
    state: snapshot.state,
    batchList: snapshot.batchList,
    counts: snapshot.counts,
    createdDate: snapshot.createdDate,
    timeline: state.timeline,
    checks: state.checks,
    notifications: state.notifications,
    detectedBy: state.trigger,
    possibleDuplicateTdgJob: state.possibleDuplicateTdgJob,
  };
}

/** What the next run needs; `initialState` reads it back. */
export function carriedOf(state: CreatedJobState): CarriedState {
  return {
    jobId: state.jobId,
    notificationsRequested: state.notificationsRequested,
    startedAt: state.startedAt,
    deadlineAt: state.deadlineAt,
    lastSnapshot: state.snapshot,
    timeline: state.timeline,
    checks: state.checks,
    notifications: state.notifications,
    runs: state.runs,
    stableChecks: state.stableChecks,
    lastError: state.lastError,
    lastNotificationAt: state.lastNotificationAt,
    lastNotifiedState: state.lastNotifiedState,
    hintPending: state.hintPending,
    notFoundSince: state.notFoundSince,
    possibleDuplicateTdgJob: state.possibleDuplicateTdgJob,
    followUps: state.followUps,
  };
}

/**
 * Notes a failed `getJob` (a 404 starts or continues the not-found period; anything else leaves it
 * as it is: an outage between two 404s neither confirms nor refutes them). Returns how long TDG
 * has denied the job, 0 when this failure was not a 404.
 */
export function recordCheckFailure(state: JobState, error: string, notFound: boolean, nowMs: number): number {
  state.lastError = error;
  if (!notFound) return 0;
  state.notFoundSince ??= new Date(nowMs).toISOString();
  return nowMs - Date.parse(state.notFoundSince);
}

export function notificationsWorking(state: JobState): boolean {
  return state.notificationsRequested && state.notifications > 0;
}

export function remainingMs(state: JobState, nowMs: number): number {
  return Date.parse(state.deadlineAt) - nowMs;
}

/**
 * A `jobNotification` hint: counted, and it wakes the wait unless it names one of TDG's known
 * running states (a state TDG names in words we do not know is checked at once). Its payload never
 * moves the job's state: a hint that says COMPLETED, or nothing readable, only triggers a `getJob`,
 * so a forged or stale hint costs at most one check (and a few follow-ups, see `recordCheck`).
 */
export function recordNotification(state: JobState, at: string, hintedState: string | null): void {
  state.notifications += 1;
  state.lastNotificationAt = at;
  state.lastNotifiedState = hintedState;
  if (hintedState !== null && isRunningState(hintedState)) return;
  if (hintedState !== null && isTerminalState(hintedState)) state.followUps = 0;
  state.hintPending = true;
}

/** Folds one `getJob` answer into the state. Returns whether the job's state changed. */
export function recordCheck(state: JobState, latest: JobSnapshot, at: string): boolean {
  state.checks += 1;
  const changed = latest.state !== state.snapshot?.state;
  if (changed) {
    // A change a notification announced says the channel works: the next one will be
    // announced too, so only a change found by a poll (a lost notification) resets the backoff.
    const announced = state.trigger === 'notification' && notificationsWorking(state);
    state.stableChecks = announced ? state.stableChecks + 1 : 0;
    state.timeline.push({
      at,
      state: latest.state,
      completed: latest.counts.completed,
      total: totalBatches(latest.counts),
    });
    // The first entry stays so the timeline still shows when the job was first seen.
    if (state.timeline.length > MAX_TIMELINE_ENTRIES)
      state.timeline.splice(1, state.timeline.length - MAX_TIMELINE_ENTRIES);
  } else {
    state.stableChecks += 1;
  }
  state.lastError =
    latest.missingFields.length > 0 ? `TDG response lacked: ${latest.missingFields.join(', ')}` : null;
  state.snapshot = latest;
  state.notFoundSince = null;
  return changed;
}
