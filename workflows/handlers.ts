/**
 * The job's message handlers: the `status` query, hints (the `jobNotification` signal), and the
 * `jobCreated` and `checkNow` updates. They read the job and change it only by its transitions; the
 * workflow's loop answers what they ask for (a check) and they wait on it.
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import {
  FailureType,
  MIN_MANUAL_CHECK_SPACING_MS,
  checkNowUpdate,
  formatDuration,
  hintedStateOf,
  jobCreatedUpdate,
  hintSignal,
  statusQuery,
  type JobCreated,
  type JobStatus,
} from '../src/contract/index.js';
import type { JobState } from './job-state.js';
import type { JobTracker } from './job-tracker.js';
import { isFinished, statusOf } from './job-views.js';

export function setUpHandlers(job: JobTracker): void {
  setHandler(statusQuery, () => statusOf(job.state));
  // The payload is unauthenticated content relayed by the listener: count it, never trust it.
  setHandler(hintSignal, (hint) => job.hint(new Date().toISOString(), hintedStateOf(hint?.fields)));
  setHandler(jobCreatedUpdate, () => jobCreated(job));
  setHandler(checkNowUpdate, () => checkNow(job), {
    validator: () => validateManualCheck(job.state, Date.now()),
  });
}

/** Answers once `createJob` has: the job id, or createJob's failure. */
async function jobCreated(job: JobTracker): Promise<JobCreated> {
  await condition(() => job.state.jobId !== null || job.state.createFailure !== null);
  const { jobId, createFailure, notificationsRequested, startedAt, possibleDuplicateTdgJob } = job.state;
  if (jobId === null) {
    const failure = createFailure ?? { type: FailureType.JobCancelled, message: 'no TDG job' };
    throw ApplicationFailure.create({ ...failure, nonRetryable: true });
  }
  return { jobId, notificationsRequested, workflowStartedAt: startedAt, possibleDuplicateTdgJob };
}

/** A manual check: asks the loop for one and answers with the status it leaves. */
async function checkNow(job: JobTracker): Promise<JobStatus> {
  job.manualCheckRequested(Date.now());
  // A getJob already in flight may have been sent before this request: wait for the next one.
  const wanted = job.state.checksFinished + (job.state.checking ? 2 : 1);
  await condition(() => job.state.checksFinished >= wanted || isFinished(job.state));
  return statusOf(job.state);
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
