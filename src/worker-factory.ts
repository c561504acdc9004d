/**
 * Builds the Temporal worker that hosts `emailAppendJob` and the TDG activities. Shared by
 * the worker process, the embedded dev stack and the tests, so all run the same wiring.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  Worker,
  type NativeConnection,
  type WorkflowBundle,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import type { TdgActivities } from '../activities/index.js';
import type { WorkerLimits } from './config.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** Written by `npm run build:bundle`; production workers load it instead of bundling at start-up. */
export const PREBUILT_BUNDLE_PATH = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));

export async function bundleWorkflows(): Promise<WorkflowBundle> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return { code };
}

const noop = (): void => undefined;
const quietBundlerLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  log: noop,
  warn: noop,
  error: console.error,
};

export interface TdgWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: TdgActivities;
  limits?: Partial<WorkerLimits>;
  /** A bundle built once (tests, production); omitted: the prebuilt file in production, else bundled now. */
  workflowBundle?: WorkflowBundleOption;
  shutdownGraceTime?: string;
  identity?: string;
}

export async function createTdgWorker(options: TdgWorkerOptions): Promise<Worker> {
  let workflowBundle = options.workflowBundle;
  if (!workflowBundle && process.env.NODE_ENV === 'production') {
    if (!existsSync(PREBUILT_BUNDLE_PATH)) {
      throw new Error(
        `NODE_ENV=production needs the prebuilt workflow bundle at ${PREBUILT_BUNDLE_PATH} (npm run build)`,
      );
    }
    workflowBundle = { codePath: PREBUILT_BUNDLE_PATH };
  }
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: {} }),
    maxConcurrentActivityTaskExecutions: options.limits?.maxConcurrentActivities ?? 100,
    ...(options.limits?.maxTdgCallsPerSecond
      ? { maxTaskQueueActivitiesPerSecond: options.limits.maxTdgCallsPerSecond }
      : {}),
    shutdownGraceTime: options.shutdownGraceTime ?? '20 seconds',
    ...(options.identity ? { identity: options.identity } : {}),
  });
}
