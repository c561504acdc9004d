/**
 * Following the created TDG job to its end: check, then wait — for the schedule's next check, a hint
 * or a manual check — until TDG answers COMPLETED or FAILED, continuing as new when history grows
 * long or a newer version is current.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import {
  FailureType,
  formatDuration,
  isTerminalState,
  totalBatches,
  type EmailAppendJobInput,
  type EmailAppendJobResult,
  type JobSnapshot,
  type PollingPolicy,
} from '../src/contract/index.js';
import { check } from './check.js';
import { followUpDelayMs, notificationsWorking, remainingMs } from './job-state.js';
import type { CreatedJobTracker } from './job-tracker.js';
import { carriedOf, resultOf } from './job-views.js';
import { nextPollDelayMs } from './schedule.js';
import { publish } from './visibility.js';

const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 4_000;

/**
 * Every continue-as-new lets the next run start on the deployment's current version: a run pinned
 * to an older version that wakes and finds a newer one current moves onto it, so no workflow code
 * ever has to replay another version's history.
 */
const continueOnCurrentVersion = makeContinueAsNewFunc<
  (input: EmailAppendJobInput) => Promise<EmailAppendJobResult>
>({ initialVersioningBehavior: 'AUTO_UPGRADE' });

/** Checks and waits until the TDG job ends (or this run continues as new). */
export async function follow(
  input: EmailAppendJobInput,
  policy: PollingPolicy,
  job: CreatedJobTracker,
): Promise<EmailAppendJobResult> {
  const eventCap = input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;
  // A new job has nothing to report yet, and a continued run checked just before it continued:
  // both wait first (the job id is published with this workflow task), unless a hint is pending.
  let waitFirst = !job.state.hintPending;
  let answered = true;
  for (;;) {
    if (!waitFirst) {
      answered = await check(job, policy);
      const { snapshot } = job.state;
      if (snapshot && isTerminalState(snapshot.state)) {
        // A checkNow waiting on this check answers before the workflow closes.
        await condition(allHandlersFinished);
        return finish(job, snapshot);
      }
      await continueIfLong(input, job, eventCap);
    }
    waitFirst = false;
    await wait(job, policy, answered);
  }
}

/** COMPLETED returns the result; FAILED fails the workflow with the same result as details. */
function finish(job: CreatedJobTracker, snapshot: Readonly<JobSnapshot>): EmailAppendJobResult {
  job.jobEnded();
  publish(job.state);
  const result = resultOf(job.state, snapshot);
  if (snapshot.state === 'COMPLETED') return result;
  throw ApplicationFailure.create({
    type: FailureType.JobFailed,
    message: `TDG job ${job.state.jobId} FAILED: ${snapshot.counts.failed} failed and ${snapshot.counts.malformed} malformed of ${totalBatches(snapshot.counts)} batches`,
    nonRetryable: true,
    details: [result],
  });
}

async function continueIfLong(
  input: EmailAppendJobInput,
  job: CreatedJobTracker,
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
  await condition(() => allHandlersFinished() || job.state.checkRequested);
  if (job.state.checkRequested) return;
  // A hint that arrived since the last check is carried: the next run then checks at once.
  await continueOnCurrentVersion({ ...input, carried: carriedOf(job.state) });
}

/** Sleeps until the schedule's next check or an earlier hint, and notes which one woke it. */
async function wait(job: CreatedJobTracker, policy: PollingPolicy, answered: boolean): Promise<void> {
  const scheduleState = {
    stableChecks: job.state.stableChecks,
    notificationsWorking: notificationsWorking(job.state),
    notificationsRequested: job.state.notificationsRequested,
  };
  // After a failed check the hint it answered is lost: retry within the cap that holds without
  // notifications, never the longer one that trusts them (a duration only: replay-safe).
  const scheduled = answered ? nextPollDelayMs(policy, scheduleState, Math.random) : policy.maxIntervalMs;
  const remaining = remainingMs(job.state, Date.now());
  const ms = Math.max(1, Math.min(followUpDelayMs(job.state) ?? scheduled, scheduled, remaining));
  job.waitStarted(new Date(Date.now() + ms).toISOString());
  publish(job.state);
  const woken = await condition(() => job.state.hintPending || job.state.checkRequested, ms, {
    summary: `next check in ${formatDuration(ms)} (${waitingFor(job)})`,
  });
  // A manual check is not a notification: it says nothing about whether notifications work.
  job.woken(!woken ? 'timer' : job.state.checkRequested ? 'manual' : 'notification');
  if (job.state.trigger === 'notification') await spaceHintedCheck(job, policy);
}

function waitingFor(job: CreatedJobTracker): string {
  if (!job.state.notificationsRequested) return 'polling only';
  return job.state.notifications > 0 ? 'or on notification' : 'or on notification (none yet)';
}

/**
 * Holds a hint-triggered check until `minHintSpacingMs` after the last one started: hints arriving
 * meanwhile are answered by that same check, so a burst costs one `getJob`, not one per hint.
 */
async function spaceHintedCheck(job: CreatedJobTracker, policy: PollingPolicy): Promise<void> {
  const startedAtMs = job.state.lastCheckStartedAtMs;
  if (startedAtMs === null) return;
  const gapMs = startedAtMs + policy.minHintSpacingMs - Date.now();
  if (gapMs > 0) await sleep(gapMs);
}
