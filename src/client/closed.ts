/**
 * How a workflow that has ended ended, from Temporal alone (its close status, its result or
 * failure, its search attributes): what `getStatus`, `checkNow`, `cancel` and a repeated
 * `startJob` report for a closed job, the same truth `listJobs` shows.
 */
import type { EmailAppendJobResult, JobStatus } from '../contract/index.js';

/** The ending as the CLI and `list` name it (TdgJobState's final values, plus TERMINATED). */
export type JobEnding = 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'DEADLINE_EXCEEDED' | 'ERROR' | 'TERMINATED';

export interface ClosedJob {
  workflowId: string;
  runId: string;
  /** Temporal's close status: COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT. */
  workflowStatus: string;
  ending: JobEnding;
  /** The workflow's failure (type and message) when it did not complete. */
  failure: { type: string; message: string } | null;
  /** TDG's job id and the final TdgJobState (as `list` shows them). */
  jobId: string | null;
  state: string | null;
  /** The last status the workflow recorded (its failure's details), when it recorded one. */
  lastStatus: JobStatus | null;
  /** COMPLETED, or FAILED by TDG: the result with the batch list. */
  result: EmailAppendJobResult | null;
  startTime: string;
  closeTime: string | null;
}

/** One line: `ended FAILED (InvalidWorkflowInput: …) at 2026-…`. */
export function describeEnding(closed: ClosedJob): string {
  const why = closed.failure ? ` (${closed.failure.type}: ${closed.failure.message})` : '';
  const job = closed.jobId ? `, TDG job ${closed.jobId}` : ', no TDG job';
  const at = closed.closeTime ? ` at ${closed.closeTime}` : '';
  return `ended ${closed.ending}${why}${at}${job}`;
}
