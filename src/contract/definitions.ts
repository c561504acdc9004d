/**
 * Names and types shared by the workflow, the activities and every process.
 * Must stay free of Node modules: the workflow bundle imports it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const WORKFLOW_TYPE = 'emailAppendJob';
/** The rollout gate (workflows/gate.ts): a new version proves it reaches TDG before it gets jobs. */
export const GATE_WORKFLOW_TYPE = 'tdgAccessGate';
/** The job id the gate asks TDG for: one that no TDG job has, so TDG answers 404. */
export const TDG_ACCESS_PROBE_JOB_ID = 'tdg-access-probe';

/** The gate's answer: TDG was reached with credentials it accepted, and when. */
export interface TdgAccessReport {
  checkedAt: string;
}
export const DEFAULT_TASK_QUEUE = 'tdg-email-append';

export const TDG_JOB_ID = defineSearchAttributeKey('TdgJobId', SearchAttributeType.KEYWORD);
export const TDG_JOB_STATE = defineSearchAttributeKey('TdgJobState', SearchAttributeType.KEYWORD);
/** True once a `createJob` retry followed an attempt whose outcome is unknown: TDG may hold a second job. */
export const TDG_POSSIBLE_DUPLICATE = defineSearchAttributeKey(
  'TdgPossibleDuplicate',
  SearchAttributeType.BOOL,
);
/**
 * `TdgJobState` and `status` while TDG's job is not created yet. A starter sets it when it starts the
 * workflow (the workflow then upserts nothing, an event per job saved); the workflow sets it when
 * none did. Our own states besides TDG's are this one and the ends in `recordEnd` (CANCELLED,
 * DEADLINE_EXCEEDED, ERROR); CREATED, set once `createJob` answers, is TDG's own first state.
 */
export const NOT_CREATED_STATE = 'CREATING';
/** Every custom search attribute the workflow writes: the namespace must have each, with its type. */
export const SEARCH_ATTRIBUTES = [TDG_JOB_ID, TDG_JOB_STATE, TDG_POSSIBLE_DUPLICATE] as const;
export const SEARCH_ATTRIBUTE_NAMES = SEARCH_ATTRIBUTES.map((key) => key.name);
/** Each with the type name the `temporal` CLI takes (`--search-attribute`, `search-attribute create --type`). */
export const SEARCH_ATTRIBUTE_SPECS = SEARCH_ATTRIBUTES.map((key) => ({
  name: key.name,
  type: key.type === SearchAttributeType.BOOL ? ('Bool' as const) : ('Keyword' as const),
}));

export const TERMINAL_STATES = ['COMPLETED', 'FAILED'] as const;
export type TerminalState = (typeof TERMINAL_STATES)[number];

export function isTerminalState(state: string): state is TerminalState {
  return (TERMINAL_STATES as readonly string[]).includes(state);
}

/** TDG's job states before it ends (its batch counters' names): a hint naming one asks for no check. */
export const RUNNING_STATES = ['CREATED', 'WAITING_FOR_UPLOAD', 'QUEUED', 'IN_PROGRESS'] as const;

export function isRunningState(state: string): boolean {
  return (RUNNING_STATES as readonly string[]).includes(state);
}

/**
 * The state a notification names (its `state` field, any case, trimmed), or null when it names
 * none readable. The listener and the workflow read hints the same way.
 */
export function hintedStateOf(fields: Readonly<Record<string, unknown>> | undefined): string | null {
  const key = Object.keys(fields ?? {}).find((k) => k.toLowerCase() === 'state');
  const value: unknown = key === undefined ? '' : fields?.[key];
  const state = typeof value === 'string' ? value.trim().toUpperCase() : '';
  return /^[A-Z_]{1,40}$/.test(state) ? state : null;
}

export type NotificationMethod = 'GET' | 'POST';
export type OutputFormat = 'JSON';

/** Failure types the workflow and activities raise; the starter and tests match on them. */
export const FailureType = {
  JobFailed: 'JobFailed',
  JobDeadlineExceeded: 'JobDeadlineExceeded',
  InvalidJobRequest: 'InvalidJobRequest',
  NotPermitted: 'NotPermitted',
  NotAuthenticated: 'NotAuthenticated',
  JobNotFound: 'JobNotFound',
  TdgUnavailable: 'TdgUnavailable',
  TdgRateLimited: 'TdgRateLimited',
  /**
   * This worker's own TDG rate limit had no call slot (at once, for a local activity; in time, for
   * an activity): nothing was sent. Retryable; `nextRetryDelay` is when a slot is expected.
   */
  RateLimited: 'RateLimited',
  TdgMalformedResponse: 'TdgMalformedResponse',
  InvalidWorkflowInput: 'InvalidWorkflowInput',
  /** createJob got no answer too many times: TDG may hold jobs of this workflow to reconcile. */
  CreateOutcomeUnknown: 'CreateOutcomeUnknown',
  /** `checkNow` refused: the job is finished, or manual checks came faster than allowed. */
  CheckRefused: 'CheckRefused',
  /** The workflow was cancelled before TDG's job id was known. */
  JobCancelled: 'JobCancelled',
  /** A failure that is none of the above (a bug, an unknown activity failure): message says which. */
  Unexpected: 'Unexpected',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export interface JobCounts {
  waitingForUpload: number;
  queued: number;
  inProgress: number;
  completed: number;
  failed: number;
  malformed: number;
}

/** A normalised `getJob` response. */
export interface JobSnapshot {
  jobId: string;
  /** Upper-cased; free text because TDG documents only COMPLETED. */
  state: string;
  counts: JobCounts;
  /** ISO-8601, or null when TDG did not send a readable `created_date`. */
  createdDate: string | null;
  outputFormat: string | null;
  batchList: string[];
  /** Fields TDG's response lacked or carried in an unreadable form (reported, not guessed). */
  missingFields: string[];
}

export interface CreateJobRequest {
  workflowId: string;
  name: string;
  outputFormat: OutputFormat;
  /** null: send no notification URL, rely on polling alone. */
  notificationMethod: NotificationMethod | null;
  /**
   * This attempt's request timeout for the job call, chosen by the workflow instead of the worker's
   * escalation of TDG_REQUEST_TIMEOUT: after an attempt whose outcome is unknown (TDG may be slower
   * than the timeout), give the next one more time. Capped to MAX_TDG_REQUEST_TIMEOUT_MS, and cut to
   * the attempt's remaining time (the rule: `escalatedRequestTimeoutMs` in activities/call-budget.ts,
   * where this is `workflowRequestTimeoutMs`).
   */
  requestTimeoutMs?: number;
}

export interface CreateJobResult {
  jobId: string;
  /** Whether a notification URL was sent to TDG (false when the worker has no listener configured). */
  notificationsRequested: boolean;
}

/** Polling schedule; every duration in milliseconds. */
export interface PollingPolicy {
  initialIntervalMs: number;
  backoffFactor: number;
  maxIntervalMs: number;
  /** Cap used while notifications are known to be arriving: polling is then only a safety net. */
  maxIntervalWithNotificationsMs: number;
  /** Shortest interval once notifications arrive (0 keeps initialIntervalMs): polls then only catch a lost one. */
  minIntervalWithNotificationsMs: number;
  /** 0..1: each interval is spread by ±jitter, deterministically (seeded workflow PRNG). */
  jitter: number;
  /**
   * Least time between the starts of two checks when the second is woken by a hint (default 1 s):
   * a burst of notifications, valid or forged, costs at most one `getJob` per spacing.
   */
  minHintSpacingMs: number;
}

export interface EmailAppendJobInput {
  name: string;
  outputFormat?: OutputFormat;
  notificationMethod?: NotificationMethod | null;
  polling?: Partial<PollingPolicy>;
  /** Total time allowed for the job, from the first run's start. Default 7 days. */
  deadlineMs?: number;
  /**
   * How long TDG must keep answering 404 for the job it gave us before the workflow fails with
   * `JobNotFound` (default 1 h): a 404 right after an outage or a failover can be temporary.
   */
  jobNotFoundAfterMs?: number;
  /** Continue as new once history reaches this many events (default 4,000; Temporal warns at 10,240). */
  continueAsNewAfterEvents?: number;
  /** Set by the workflow itself when it continues as new. */
  carried?: CarriedState;
}

export interface TimelineEntry {
  /** ISO time the workflow observed the state. */
  at: string;
  state: string;
  completed: number;
  total: number;
}

/** Everything a continued-as-new run needs to pick up where the last one stopped. */
export interface CarriedState {
  jobId: string;
  notificationsRequested: boolean;
  startedAt: string;
  deadlineAt: string;
  lastSnapshot: JobSnapshot | null;
  timeline: TimelineEntry[];
  checks: number;
  notifications: number;
  runs: number;
  stableChecks: number;
  lastError: string | null;
  lastNotificationAt: string | null;
  lastNotifiedState: string | null;
  /** A hint arrived after the last check: the next run checks at once instead of waiting. */
  hintPending: boolean;
  /** When TDG first answered 404 for the job with no answer since (ISO), or null. */
  notFoundSince: string | null;
  possibleDuplicateTdgJob: boolean;
  /** Follow-up checks of a terminal hint `getJob` has not confirmed yet; null when none is due. */
  followUps: number | null;
}

/** What made the workflow run the check that saw the terminal state. */
export type CheckTrigger = 'creation' | 'timer' | 'notification' | 'manual' | 'continue-as-new';

export interface EmailAppendJobResult {
  jobId: string;
  state: string;
  batchList: string[];
  counts: JobCounts;
  createdDate: string | null;
  timeline: TimelineEntry[];
  checks: number;
  notifications: number;
  detectedBy: CheckTrigger;
  possibleDuplicateTdgJob: boolean;
}

/** The small, sanitised payload the listener attaches to a `jobNotification` signal. */
export interface NotificationHint {
  method: string;
  receivedAt: string;
  /** At most ~1 KiB of the query/body fields, for display only: never decides the outcome. */
  fields?: Record<string, string>;
}

export interface JobStatus {
  workflowId: string;
  jobId: string | null;
  name: string;
  state: string;
  counts: JobCounts | null;
  batchList: string[];
  checks: number;
  notifications: number;
  notificationsRequested: boolean;
  nextCheckAt: string | null;
  lastError: string | null;
  lastNotificationAt: string | null;
  /** The state the last notification named: a hint only; `state` is what TDG's `getJob` answered. */
  lastNotifiedState: string | null;
  deadlineAt: string;
  runs: number;
  timeline: TimelineEntry[];
  /** A createJob retry followed an attempt whose outcome is unknown: TDG may hold another job of this workflow. */
  possibleDuplicateTdgJob: boolean;
}

/** The `jobCreated` update's answer: TDG's job id, as soon as `createJob` has returned. */
export interface JobCreated {
  jobId: string;
  notificationsRequested: boolean;
  /** When the workflow's first run started (ISO): tells a caller whether it started it. */
  workflowStartedAt: string;
  possibleDuplicateTdgJob?: boolean;
}

/** A hint: the listener relays a notification. `jobNotification` is persisted (histories, running jobs). */
export const hintSignal = defineSignal<[NotificationHint]>('jobNotification');
export const statusQuery = defineQuery<JobStatus>('status');
/** Answered once TDG's job id is known; fails with createJob's failure type when it cannot be. */
export const jobCreatedUpdate = defineUpdate<JobCreated>('jobCreated');
/** A manual check: getJob now (not a notification), then the fresh status. */
export const checkNowUpdate = defineUpdate<JobStatus>('checkNow');
/** Manual checks closer together than this are refused by the update's validator. */
export const MIN_MANUAL_CHECK_SPACING_MS = 1_000;

/**
 * How long one attempt of a TDG activity may run (its start-to-close timeout). The workflow gives it
 * to every TDG activity (workflows/tdg-activity-options.ts); the worker's configuration checks its
 * own limits against it (src/worker/config.ts): the shutdown grace must cover one attempt, and
 * TDG_REQUEST_TIMEOUT × the requests one attempt can make must fit inside it — the start-up half of
 * the request timeout's rule (`escalatedRequestTimeoutMs` in activities/call-budget.ts).
 */
export const TDG_ATTEMPT_TIMEOUT_MS = 30_000;

/**
 * The most a retried attempt's escalated request timeout may ask for (activities/call-budget.ts):
 * the attempt less 2 s, its 1 s report margin and at least 1 s in which to wait for a rate-limit
 * slot. A token request before the call takes from the same attempt: the client cuts the request to
 * the time left before the attempt's deadline, so even this one never outlives the attempt.
 */
export const MAX_TDG_REQUEST_TIMEOUT_MS = TDG_ATTEMPT_TIMEOUT_MS - 2_000;

/** Counts of a job with no batches yet: every state at zero. */
export function noBatches(): JobCounts {
  return { waitingForUpload: 0, queued: 0, inProgress: 0, completed: 0, failed: 0, malformed: 0 };
}

export function totalBatches(counts: JobCounts): number {
  return (
    counts.waitingForUpload +
    counts.queued +
    counts.inProgress +
    counts.completed +
    counts.failed +
    counts.malformed
  );
}
