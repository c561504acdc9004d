/**
 * What the workflow shows outside its history: the Web UI's current details and the search
 * attributes `list` and the Web UI filter on. Each change of state that shows goes through here.
 */
import {
  CancellationScope,
  ContinueAsNew,
  log,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
  ApplicationFailure,
  isCancellation,
} from '@temporalio/workflow';
import {
  FailureType,
  NOT_CREATED_STATE,
  TDG_JOB_ID,
  TDG_JOB_STATE,
  TDG_POSSIBLE_DUPLICATE,
} from '../src/contract/index.js';
import { renderDetails } from './details.js';
import type { JobState } from './job-state.js';
import { statusOf } from './job-views.js';

export function publish(job: JobState): void {
  setCurrentDetails(renderDetails(statusOf(job)));
}

/** A first run shows its job as not created yet at once, unless its starter already set that. */
export function announceCreation(job: JobState): void {
  if (workflowInfo().typedSearchAttributes.get(TDG_JOB_STATE) === undefined)
    upsertSearchAttributes([{ key: TDG_JOB_STATE, value: NOT_CREATED_STATE }]);
  publish(job);
}

/** `createJob` answered: the job id, and TDG's first state. */
export function showCreated(jobId: string): void {
  upsertSearchAttributes([
    { key: TDG_JOB_ID, value: jobId },
    { key: TDG_JOB_STATE, value: 'CREATED' },
  ]);
}

export function showPossibleDuplicate(): void {
  upsertSearchAttributes([{ key: TDG_POSSIBLE_DUPLICATE, value: true }]);
}

/** A check saw the TDG state change. */
export function showTdgState(state: string): void {
  upsertSearchAttributes([{ key: TDG_JOB_STATE, value: state }]);
}

/**
 * The final `TdgJobState` for a workflow ending with `err`, or null when none is due: a
 * continue-as-new goes on, and a FAILED job already shows its state.
 */
function endStateOf(err: unknown): string | null {
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
export async function recordEnd(err: unknown, job: JobState | null): Promise<void> {
  const value = endStateOf(err);
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
