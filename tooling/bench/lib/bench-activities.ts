/**
 * Activities for the comparison workflows in tooling/bench/workflows/: the real TDG activities (the same
 * client, error mapping and retries as production) plus `pollUntilTerminal`, the activity behind
 * Temporal's documented "infrequent polling" pattern: it checks once and throws a retryable error
 * while the job is not finished, so the activity's retry policy does the polling.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { TdgActivities } from '../../../activities/index.js';
import { isTerminalState, type JobSnapshot } from '../../../src/contract/definitions.js';

export const JOB_NOT_TERMINAL = 'JobNotTerminal';

export interface PolledSnapshot extends JobSnapshot {
  /** The attempt that saw the terminal state: how many getJob calls the retries made. */
  attempts: number;
}

export function createBenchActivities(base: TdgActivities) {
  return {
    ...base,
    pollUntilTerminal: async (jobId: string): Promise<PolledSnapshot> => {
      const snapshot = await base.getJob(jobId);
      if (!isTerminalState(snapshot.state)) {
        throw ApplicationFailure.create({
          type: JOB_NOT_TERMINAL,
          message: `TDG job ${jobId} is ${snapshot.state}`,
          nonRetryable: false,
        });
      }
      return { ...snapshot, attempts: Context.current().info.attempt };
    },
  };
}

export type BenchActivities = ReturnType<typeof createBenchActivities>;
