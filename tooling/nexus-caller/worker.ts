/**
 * The caller team's worker, as that team would run it: its own namespace and task queue, its own
 * workflows, no dependency on ours but the service contract and the endpoint's name.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type NativeConnection } from '@temporalio/worker';
import { quietBundlerLogger } from '../../src/worker/factory.js';

/** The namespace `npm run dev` and `npm run cluster` create for the caller's side of the example. */
export const CALLER_NAMESPACE = 'tdg-caller';
export const CALLER_TASK_QUEUE = 'tdg-caller';

export async function createCallerWorker(options: {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
}): Promise<Worker> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./index.ts', import.meta.url)),
    logger: quietBundlerLogger,
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? CALLER_NAMESPACE,
    taskQueue: options.taskQueue ?? CALLER_TASK_QUEUE,
    workflowBundle: { code },
  });
}
