/**
 * The caller team's worker, as that team would run it: its own namespace and task queue, its own
 * workflows, no dependency on ours but the service contract and the endpoint's name.
 */
import { fileURLToPath } from 'node:url';
import type { PayloadCodec } from '@temporalio/common';
import { bundleWorkflowCode, Worker, type NativeConnection } from '@temporalio/worker';
import { quietBundlerLogger } from '../../src/worker/factory.js';
import { CALLER_NAMESPACE } from '../stack/nexus.js';

export { CALLER_NAMESPACE };
export const CALLER_TASK_QUEUE = 'tdg-caller';

export async function createCallerWorker(options: {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /**
   * Where our workers encrypt payloads, the job's result reaches the caller's history as they wrote
   * it: the caller decodes it with the same keys (docs/nexus.md).
   */
  payloadCodec?: PayloadCodec | null;
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
    ...(options.payloadCodec ? { dataConverter: { payloadCodecs: [options.payloadCodec] } } : {}),
  });
}
