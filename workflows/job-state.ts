/**
 * What one run of `emailAppendJob` knows about its job (`job` in the workflow), and every way it
 * changes: named, pure transitions (state in, new state out). Outside this file the state is
 * read-only; the workflow holds it in a `JobTracker`, whose methods are these transitions and
 * nothing else. Pure (no workflow APIs): unit-tested without a server; the workflow passes in
 * the time.
 */
import {
  isRunningState,
  isTerminalState,
  totalBatches,
  type CheckTrigger,
  type CreateJobResult,
  type EmailAppendJobInput,
  type JobSnapshot,
  type TimelineEntry,
} from '../src/contract/index.js';

export const DEFAULT_DEADLINE_MS = 7 * 24 * 60 * 60_000;
export const DEFAULT_JOB_NOT_FOUND_AFTER_MS = 60 * 60_000;
/** Keeps the carried timeline (and so every run's input) small however long the job runs. */
export const MAX_TIMELINE_ENTRIES = 50;
/** Follow-up checks after a hint said the job ended and `getJob` did not agree yet (a lagging read). */
export const FOLLOW_UP_DELAYS_MS: readonly number[] = [5_000, 15_000, 45_000, 2 * 60_000, 5 * 60_000];

export interface JobState {
  readonly workflowId: string;
  readonly name: string;
  readonly startedAt: string;
  readonly deadlineAt: string;
  /** How long TDG may deny the job (404) before the workflow gives it up. */
  readonly jobNotFoundAfterMs: number;
  /** This run's number, 1 for the first: continued-as-new runs count on. */
  readonly runs: number;
  readonly jobId: string | null;
  readonly notificationsRequested: boolean;
  /** The TDG state as the last check saw it. */
  readonly snapshot: Readonly<JobSnapshot> | null;
  readonly timeline: readonly TimelineEntry[];
  readonly checks: number;
  /** Hints received (the persisted name says notifications: one hint per notification relayed). */
  readonly notifications: number;
  /** Checks since the TDG state last changed; drives the backoff (see schedule.ts). */
  readonly stableChecks: number;
  /** A hint arrived since the last check began (carried: the next run then checks at once). */
  readonly hintPending: boolean;
  readonly lastNotificationAt: string | null;
  /** The state the last hint named (only a hint: `snapshot` is what TDG answered). */
  readonly lastNotifiedState: string | null;
  readonly lastError: string | null;
  /** When TDG first answered 404 for the job, with no answer since (ISO). */
  readonly notFoundSince: string | null;
  /** A createJob attempt's outcome is unknown: TDG may hold a job of this workflow besides `jobId`. */
  readonly possibleDuplicateTdgJob: boolean;
  /**
   * A hint said the job ended but `getJob` still answered a running state (a lagging read): the
   * follow-up checks made since, on a short backoff. null when there is nothing to follow up.
   */
  readonly followUps: number | null;
  // The fields below belong to one run and are not carried.
  readonly nextCheckAt: string | null;
  /** What started the check in progress (or the last one). */
  readonly trigger: CheckTrigger;
  /** A `checkNow` update waits for a check: the next wait ends at once. */
  readonly checkRequested: boolean;
  /** Workflow time (ms) of the last accepted `checkNow`, for its minimum spacing. */
  readonly lastManualCheckAtMs: number | null;
  /** Checks finished in this run, answered or refused: what a `checkNow` waits on. */
  readonly checksFinished: number;
  /** A `getJob` is in flight: a `checkNow` arriving now waits for the one after it. */
  readonly checking: boolean;
  /** Workflow time (ms) the last check of this run started, for the hint spacing. */
  readonly lastCheckStartedAtMs: number | null;
  /** Why `createJob` failed, for a `jobCreated` update waiting on it. */
  readonly createFailure: { readonly type: string; readonly message: string } | null;
}

/** A `JobState` once `createJob` answered (or in every continued run): the job id is known. */
export type CreatedJobState = JobState & { readonly jobId: string };

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

// ── Transitions: every change to a job's state ──────────────────────────────────────────────────

/** `createJob` answered: the job id is known. */
export function onCreated(job: JobState, answer: CreateJobResult): CreatedJobState {
  return { ...job, jobId: answer.jobId, notificationsRequested: answer.notificationsRequested };
}

/** A `createJob` attempt failed and another follows; `error` is shown in `status`. */
export function onCreateAttemptFailed<S extends JobState>(job: S, error: string): S {
  return { ...job, lastError: error };
}

/** A `createJob` attempt's outcome is unknown: TDG may hold a job of this workflow. */
export function onPossibleDuplicate<S extends JobState>(job: S): S {
  return { ...job, possibleDuplicateTdgJob: true };
}

/** `createJob` failed for good: a `jobCreated` update waiting on it answers with this. */
export function onCreateFailed<S extends JobState>(job: S, failure: { type: string; message: string }): S {
  return { ...job, createFailure: { type: failure.type, message: failure.message } };
}

/**
 * A hint (the `jobNotification` signal): counted, and it wakes the wait unless it names one of TDG's
 * known running states (a state TDG names in words we do not know is checked at once). Its payload
 * never moves the TDG state: a hint that says COMPLETED, or nothing readable, only triggers a
 * `getJob`, so a forged or stale hint costs at most one check (and a few follow-ups).
 */
export function onHint<S extends JobState>(job: S, at: string, hintedState: string | null): S {
  const counted = { ...job, notifications: job.notifications + 1, lastNotificationAt: at };
  const hinted = { ...counted, lastNotifiedState: hintedState };
  if (hintedState !== null && isRunningState(hintedState)) return hinted;
  const followUps = hintedState !== null && isTerminalState(hintedState) ? 0 : job.followUps;
  return { ...hinted, followUps, hintPending: true };
}

/** An accepted `checkNow`: the next wait ends at once. */
export function onManualCheckRequested<S extends JobState>(job: S, nowMs: number): S {
  return { ...job, checkRequested: true, lastManualCheckAtMs: nowMs };
}

/**
 * The workflow waits until `nextCheckAt` (or a hint or a manual check); a follow-up this wait
 * counts as is used up (see `followUpDelayMs`).
 */
export function onWaitStarted<S extends JobState>(job: S, nextCheckAt: string): S {
  const followUps =
    job.followUps === null || FOLLOW_UP_DELAYS_MS[job.followUps] === undefined ? null : job.followUps + 1;
  return { ...job, nextCheckAt, followUps };
}

/** The wait ended; `trigger` is what ended it, and what the next check is credited to. */
export function onWoken<S extends JobState>(job: S, trigger: CheckTrigger): S {
  return { ...job, trigger };
}

/** A check begins: hints and manual requests so far are answered by it. */
export function onCheckStarted<S extends JobState>(job: S, nowMs: number): S {
  return {
    ...job,
    hintPending: false,
    checkRequested: false,
    nextCheckAt: null,
    checking: true,
    lastCheckStartedAtMs: nowMs,
  };
}

/** One `getJob` answer (a check) folded in. */
export function onCheckAnswered<S extends JobState>(job: S, latest: JobSnapshot, at: string): S {
  const changed = latest.state !== job.snapshot?.state;
  // A change a working notification announced says the channel works: the next one will be
  // announced too, so only a change no notification announced (a lost one) resets the backoff.
  const announced = job.trigger === 'notification' && notificationsWorking(job);
  const entry = {
    at,
    state: latest.state,
    completed: latest.counts.completed,
    total: totalBatches(latest.counts),
  };
  return {
    ...job,
    checks: job.checks + 1,
    stableChecks: changed && !announced ? 0 : job.stableChecks + 1,
    timeline: changed ? boundedTimeline([...job.timeline, entry]) : job.timeline,
    lastError:
      latest.missingFields.length > 0 ? `TDG response lacked: ${latest.missingFields.join(', ')}` : null,
    snapshot: latest,
    notFoundSince: null,
  };
}

/**
 * A check failed with `error`. A 404 starts or continues the not-found period; anything else leaves
 * it as it is: an outage between two 404s neither confirms nor refutes them.
 */
export function onCheckFailed<S extends JobState>(
  job: S,
  error: string,
  notFound: boolean,
  nowMs: number,
): S {
  const notFoundSince = notFound ? (job.notFoundSince ?? new Date(nowMs).toISOString()) : job.notFoundSince;
  return { ...job, lastError: error, notFoundSince };
}

/** A check is over, answered or not: a `checkNow` waiting on it may answer. */
export function onCheckFinished<S extends JobState>(job: S): S {
  return { ...job, checking: false, checksFinished: job.checksFinished + 1 };
}

/** The TDG job ended: no check is coming. */
export function onJobEnded<S extends JobState>(job: S): S {
  return { ...job, nextCheckAt: null };
}

/** The first entry stays so the timeline still shows when the job was first seen. */
function boundedTimeline(timeline: TimelineEntry[]): TimelineEntry[] {
  if (timeline.length > MAX_TIMELINE_ENTRIES) timeline.splice(1, timeline.length - MAX_TIMELINE_ENTRIES);
  return timeline;
}

// ── Questions about a state ─────────────────────────────────────────────────────────────────────

export function hasJob(job: JobState): job is CreatedJobState {
  return job.jobId !== null;
}

/** The last check saw COMPLETED or FAILED. */
export function isFinished(job: JobState): boolean {
  return job.snapshot !== null && isTerminalState(job.snapshot.state);
}

export function notificationsWorking(job: JobState): boolean {
  return job.notificationsRequested && job.notifications > 0;
}

export function remainingMs(job: JobState, nowMs: number): number {
  return Date.parse(job.deadlineAt) - nowMs;
}

/** How long TDG has denied the job (404 with no answer since); 0 when it has not. */
export function notFoundForMs(job: JobState, nowMs: number): number {
  return job.notFoundSince === null ? 0 : nowMs - Date.parse(job.notFoundSince);
}

/**
 * The next follow-up's delay, seconds then minutes, until TDG agrees with a hint that said the job
 * ended or the follow-ups run out and the normal schedule alone takes over. undefined: none is due.
 */
export function followUpDelayMs(job: JobState): number | undefined {
  return job.followUps === null ? undefined : FOLLOW_UP_DELAYS_MS[job.followUps];
}
