/**
 * Does a Temporal server hand out activity tasks by priority? Four background-priority activities
 * (the priority of a polled getJob) wait in the backlog of a task queue nobody polls, then two
 * interactive ones (createJob's and a manual check's) join them; a worker with one slot then takes
 * them one at a time. A server that honours priority hands out the interactive two first; one that
 * ignores it (the old matcher, `matching.useNewMatcher=false`) hands out the oldest first.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, Worker, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import { BACKGROUND_PRIORITY, INTERACTIVE_PRIORITY } from '../../src/contract/index.js';
import type { ProbeActivity, schedulePriorityProbe } from '../fixtures/priority-order-workflow.js';

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
let bundle: Promise<WorkflowBundle> | undefined;

export const BACKGROUND: ProbeActivity[] = [1, 2, 3, 4].map((i) => ({
  label: `background-${i}`,
  priorityKey: BACKGROUND_PRIORITY,
}));
export const INTERACTIVE: ProbeActivity[] = [1, 2].map((i) => ({
  label: `interactive-${i}`,
  priorityKey: INTERACTIVE_PRIORITY,
}));

/** The labels in the order the server handed their tasks to the one-slot worker. */
export async function priorityDispatchOrder(options: {
  client: Client;
  connection: NativeConnection;
  namespace: string;
}): Promise<string[]> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: join(PROJECT_ROOT, 'test', 'fixtures', 'priority-order-workflow.ts'),
    logger: quiet,
  });
  const id = randomUUID().slice(0, 8);
  const workflowQueue = `priority-probe-wf-${id}`;
  const activityQueue = `priority-probe-act-${id}`;
  const { connection, namespace, client } = options;
  const workflowWorker = await Worker.create({
    connection,
    namespace,
    taskQueue: workflowQueue,
    workflowBundle: await bundle,
  });
  return workflowWorker.runUntil(async () => {
    const handle = await client.workflow.start<typeof schedulePriorityProbe>('schedulePriorityProbe', {
      workflowId: `priority-probe-${id}`,
      taskQueue: workflowQueue,
      args: [activityQueue, BACKGROUND, INTERACTIVE],
    });
    const all = BACKGROUND.length + INTERACTIVE.length;
    for (let waited = 0; ; waited += 100) {
      const pending = (await handle.describe()).raw.pendingActivities?.length ?? 0;
      if (pending >= all) break;
      if (waited > 10_000) throw new Error(`only ${pending} of ${all} probe activities were scheduled`);
      await sleep(100);
    }
    // The last ones reach the backlog just after history records them.
    await sleep(300);
    const order: string[] = [];
    const activityWorker = await Worker.create({
      connection,
      namespace,
      taskQueue: activityQueue,
      maxConcurrentActivityTaskExecutions: 1,
      activities: {
        record: async (label: string) => {
          order.push(label);
          await sleep(20);
          return label;
        },
      },
    });
    await activityWorker.runUntil(handle.result());
    return order;
  });
}
