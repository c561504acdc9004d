/**
 * What the outside sees of a job's state: the `status` query (and so the Web UI's details), the
 * workflow's result, and what the next run carries. All views of one `JobState`, so a field added
 * there cannot be forgotten in one of them.
 */
import {
  NOT_CREATED_STATE,
  type CarriedState,
  type EmailAppendJobResult,
  type JobSnapshot,
  type JobStatus,
} from '../src/contract/index.js';
import type { CreatedJobState, JobState } from './job-state.js';

/** `status`'s state once `createJob` answered and before the first check: TDG's own first state. */
const CREATED_STATE = 'CREATED';

export function statusOf(job: JobState): JobStatus {
  return {
    workflowId: job.workflowId,
    jobId: job.jobId,
    name: job.name,
    state: job.snapshot?.state ?? (job.jobId ? CREATED_STATE : NOT_CREATED_STATE),
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
    timeline: [...job.timeline],
    possibleDuplicateTdgJob: job.possibleDuplicateTdgJob,
  };
}

/** The job's outcome once `snapshot` (its latest TDG state) is terminal. */
export function resultOf(job: CreatedJobState, snapshot: Readonly<JobSnapshot>): EmailAppendJobResult {
  return {
    jobId: job.jobId,
    state: snapshot.state,
    batchList: snapshot.batchList,
    counts: snapshot.counts,
    createdDate: snapshot.createdDate,
    timeline: [...job.timeline],
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
    timeline: [...job.timeline],
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
