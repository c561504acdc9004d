/** The four ways of waiting for a TDG job that the benchmark compares, and how each is started. */
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import {
  NOT_CREATED_STATE,
  TDG_JOB_STATE,
  WORKFLOW_TYPE,
  type EmailAppendJobInput,
  type PollingPolicy,
} from '../../../src/contract/definitions.js';
import type { FixedIntervalJobInput } from '../workflows/index.js';
import { DEFAULT_POLLING_POLICY } from '../../../workflows/schedule.js';

export const STRATEGY_IDS = ['ours', 'ours-polling', 'timer-loop', 'activity-retry'] as const;
export type StrategyId = (typeof STRATEGY_IDS)[number];

export interface StrategyInfo {
  id: StrategyId;
  letter: string;
  label: string;
  bundle: 'ours' | 'bench';
  notifications: boolean;
}

export const STRATEGIES: Record<StrategyId, StrategyInfo> = {
  ours: {
    id: 'ours',
    letter: 'a',
    label: 'ours: adaptive + notifications',
    bundle: 'ours',
    notifications: true,
  },
  'ours-polling': {
    id: 'ours-polling',
    letter: 'b',
    label: 'ours, notifications off',
    bundle: 'ours',
    notifications: false,
  },
  'timer-loop': {
    id: 'timer-loop',
    letter: 'c',
    label: 'fixed-interval timer loop',
    bundle: 'bench',
    notifications: false,
  },
  'activity-retry': {
    id: 'activity-retry',
    letter: 'd',
    label: 'activity retries, fixed interval',
    bundle: 'bench',
    notifications: false,
  },
};

/** Our default policy with every interval divided by `timeScale` (the SDK needs timers ≥ 100 ms here). */
export function scaledPollingPolicy(timeScale: number): PollingPolicy {
  const scale = (ms: number): number => Math.round(ms / timeScale);
  return {
    ...DEFAULT_POLLING_POLICY,
    initialIntervalMs: Math.max(100, scale(DEFAULT_POLLING_POLICY.initialIntervalMs)),
    maxIntervalMs: scale(DEFAULT_POLLING_POLICY.maxIntervalMs),
    maxIntervalWithNotificationsMs: scale(DEFAULT_POLLING_POLICY.maxIntervalWithNotificationsMs),
    minIntervalWithNotificationsMs: scale(DEFAULT_POLLING_POLICY.minIntervalWithNotificationsMs),
  };
}

export function parseStrategies(text: string): StrategyId[] {
  const ids = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const byLetter = new Map(Object.values(STRATEGIES).map((s) => [s.letter, s.id]));
  return ids.map((id) => {
    const found = (STRATEGY_IDS as readonly string[]).includes(id) ? (id as StrategyId) : byLetter.get(id);
    if (!found)
      throw new Error(`unknown strategy ${JSON.stringify(id)} (known: ${STRATEGY_IDS.join(', ')} or a-d)`);
    return found;
  });
}

export interface StartSpec {
  workflowId: string;
  taskQueue: string;
  /** The job name, with its `[sim ...]` tag. */
  name: string;
  polling: PollingPolicy;
  fixedIntervalMs: number;
}

export async function startStrategy(
  client: Client,
  strategy: StrategyId,
  spec: StartSpec,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const common = { workflowId: spec.workflowId, taskQueue: spec.taskQueue };
  switch (strategy) {
    case 'ours':
    case 'ours-polling': {
      const input: EmailAppendJobInput = {
        name: spec.name,
        notificationMethod: strategy === 'ours' ? 'POST' : null,
        polling: spec.polling,
      };
      // Started as our client starts it (src/client), search attribute included.
      return client.workflow.start(WORKFLOW_TYPE, {
        ...common,
        args: [input],
        typedSearchAttributes: new TypedSearchAttributes([{ key: TDG_JOB_STATE, value: NOT_CREATED_STATE }]),
      });
    }
    case 'timer-loop':
    case 'activity-retry': {
      const input: FixedIntervalJobInput = { name: spec.name, intervalMs: spec.fixedIntervalMs };
      return client.workflow.start(strategy === 'timer-loop' ? 'timerLoopJob' : 'activityRetryJob', {
        ...common,
        args: [input],
      });
    }
  }
}
