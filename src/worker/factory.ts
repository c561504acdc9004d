/**
 * Builds the Temporal worker that hosts `emailAppendJob` and the TDG activities. Shared by
 * the worker process, the embedded dev stack and the tests, so all run the same wiring.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  bundleWorkflowCode,
  Worker,
  type NativeConnection,
  type WorkflowBundle,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import type { TdgActivities } from '../../activities/index.js';
import {
  DEFAULT_WORKER_MAX_CACHED_WORKFLOWS,
  DEFAULT_WORKER_MAX_CONCURRENT_ACTIVITIES,
  DEFAULT_WORKER_SHUTDOWN_GRACE,
  type WorkerLimits,
} from './config.js';
import type { PayloadCodec } from '@temporalio/common';
import { FAILURE_CONVERTER_PATH, workerDataConverter } from '../platform/data-converter.js';
import { parseDuration } from '../platform/duration.js';
import { PROJECT_ROOT } from '../platform/project-root.js';
import { tdgEmailAppendNexusHandler } from '../nexus/handler.js';
import { instrumentActivities } from './tdg-metrics.js';
import { versionOf, type WorkerVersioning } from './versioning.js';

export const WORKFLOWS_PATH = join(PROJECT_ROOT, 'workflows', 'index.ts');
/** Written by `npm run build` (`build:bundle`); production workers load it instead of bundling at start-up. */
export const PREBUILT_BUNDLE_PATH = join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');

/** The prebuilt bundle for `NODE_ENV=production`; a clear error when it was not built. */
export function prebuiltWorkflowBundle(path: string = PREBUILT_BUNDLE_PATH): {
  codePath: string;
  sizeBytes: number;
} {
  if (!existsSync(path)) {
    throw new Error(`NODE_ENV=production needs the prebuilt workflow bundle at ${path} (npm run build)`);
  }
  return { codePath: path, sizeBytes: statSync(path).size };
}

/** Our workflow-side metrics (jobs by final state, notifications), bundled with the workflows. */
export const WORKFLOW_METRICS_PATH = join(PROJECT_ROOT, 'src', 'worker', 'workflow-metrics.ts');

export async function bundleWorkflows(): Promise<WorkflowBundle> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [WORKFLOW_METRICS_PATH],
    // Failure messages and stack traces as payloads, so the codec encrypts them (codec on or off:
    // one bundle, one build id, whatever the keys).
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: quietBundlerLogger,
  });
  return { code };
}

const noop = (): void => undefined;
/** The bundler's logger, quiet but for errors. */
export const quietBundlerLogger = {
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
  /** A bundle built once (tests; the worker process's prebuilt one, per its config); omitted: bundled now. */
  workflowBundle?: WorkflowBundleOption;
  /**
   * The Worker Deployment this worker polls as a version of (build id from the bundle's content);
   * null only where the server cannot version workers (the time-skipping test server).
   */
  versioning: WorkerVersioning | null;
  /** Milliseconds or an ms-style string; default WORKER_SHUTDOWN_GRACE's (45 s: one attempt fits). */
  shutdownGraceTime?: string | number;
  identity?: string;
  /** The payload codec (PAYLOAD_CODEC_KEYS); null or absent: payloads in plain JSON. */
  payloadCodec?: PayloadCodec | null;
}

export async function createTdgWorker(options: TdgWorkerOptions): Promise<Worker> {
  const workflowBundle = options.workflowBundle ?? (await bundleWorkflows());
  const versioning = options.versioning;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: instrumentActivities(options.activities),
    // The Nexus service's handler starts and asks jobs through the client: no TDG call, no slot of its own.
    nexusServices: [tdgEmailAppendNexusHandler()],
    workflowBundle,
    dataConverter: workerDataConverter(options.payloadCodec ?? null),
    ...(versioning
      ? {
          workerDeploymentOptions: {
            version: versionOf(versioning, workflowCodeOf(workflowBundle)),
            useWorkerVersioning: true,
            defaultVersioningBehavior: versioning.defaultBehavior,
          },
        }
      : {}),
    maxConcurrentActivityTaskExecutions:
      options.limits?.maxConcurrentActivities ?? DEFAULT_WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxCachedWorkflows: options.limits?.maxCachedWorkflows ?? DEFAULT_WORKER_MAX_CACHED_WORKFLOWS,
    // getJob checks run as local activities first: the same number of slots.
    maxConcurrentLocalActivityExecutions:
      options.limits?.maxConcurrentActivities ?? DEFAULT_WORKER_MAX_CONCURRENT_ACTIVITIES,
    ...(options.limits?.maxTdgCallsPerSecond
      ? { maxTaskQueueActivitiesPerSecond: options.limits.maxTdgCallsPerSecond }
      : {}),
    shutdownGraceTime: options.shutdownGraceTime ?? parseDuration(DEFAULT_WORKER_SHUTDOWN_GRACE),
    ...(options.identity ? { identity: options.identity } : {}),
  });
}

export function workflowCodeOf(bundle: WorkflowBundleOption): string {
  return 'code' in bundle ? bundle.code : readFileSync(bundle.codePath, 'utf8');
}
