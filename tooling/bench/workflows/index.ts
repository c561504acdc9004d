/**
 * The two polling patterns the benchmark compares `emailAppendJob` against. Workflow code only
 * (bundled for the bench worker with its own workflowsPath): deterministic, no Node imports.
 *
 * - `timerLoopJob`: the common hand-written loop, `while (!terminal) { getJob; sleep(fixed) }`.
 * - `activityRetryJob`: Temporal's documented "infrequent polling": one activity that fails while
 *   the job is not finished, retried by the server every `intervalMs` (backoff coefficient 1, no
 *   attempt limit), so the waiting writes no history at all until the final attempt.
 */
import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import { isTerminalState } from '../../../src/contract/index.js';
import {
  NOT_RETRIED_TDG_FAILURE_TYPES,
  TDG_ATTEMPT_TIMEOUT,
  TDG_RETRY_POLICY,
} from '../../../workflows/tdg-activity-options.js';
import type { BenchActivities } from '../lib/bench-activities.js';

export interface FixedIntervalJobInput {
  name: string;
  intervalMs: number;
}

export interface FixedIntervalJobResult {
  jobId: string;
  state: string;
  batchList: string[];
  /** getJob calls this workflow made (for activityRetryJob: the attempt that succeeded). */
  checks: number;
}

/** Same activity options as emailAppendJob's, so only the waiting pattern differs. */
const tdg = proxyActivities<BenchActivities>({
  startToCloseTimeout: TDG_ATTEMPT_TIMEOUT,
  retry: TDG_RETRY_POLICY,
});

async function create(name: string): Promise<string> {
  const { jobId } = await tdg.createJob({
    workflowId: workflowInfo().workflowId,
    name,
    outputFormat: 'JSON',
    notificationMethod: null,
  });
  return jobId;
}

export async function timerLoopJob(input: FixedIntervalJobInput): Promise<FixedIntervalJobResult> {
  const jobId = await create(input.name);
  for (let checks = 1; ; checks++) {
    const snapshot = await tdg.getJob(jobId);
    if (isTerminalState(snapshot.state)) {
      return { jobId, state: snapshot.state, batchList: snapshot.batchList, checks };
    }
    await sleep(input.intervalMs);
  }
}

export async function activityRetryJob(input: FixedIntervalJobInput): Promise<FixedIntervalJobResult> {
  const jobId = await create(input.name);
  const { pollUntilTerminal } = proxyActivities<BenchActivities>({
    startToCloseTimeout: TDG_ATTEMPT_TIMEOUT,
    retry: {
      initialInterval: input.intervalMs,
      backoffCoefficient: 1,
      maximumInterval: input.intervalMs,
      nonRetryableErrorTypes: NOT_RETRIED_TDG_FAILURE_TYPES,
    },
  });
  const snapshot = await pollUntilTerminal(jobId);
  return { jobId, state: snapshot.state, batchList: snapshot.batchList, checks: snapshot.attempts };
}
