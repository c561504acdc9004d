/**
 * `npm run worker` (the container runs the compiled `dist/src/bin/worker.js`): the long-running
 * process hosting `emailAppendJob` and its activities. Configuration comes from the environment,
 * validated once (config.ts). It serves Prometheus metrics from Temporal's runtime telemetry
 * (WORKER_METRICS_PORT) and `/healthz` (WORKER_HEALTH_PORT); with NODE_ENV=production it loads the
 * prebuilt workflow bundle. SIGINT/SIGTERM stop polling, let in-flight activities finish within
 * WORKER_SHUTDOWN_GRACE and exit 0: Temporal hands the rest of each workflow to another replica.
 * The configuration refuses limits that disagree (see config.ts): a grace shorter than
 * an activity attempt, or request timeouts that cannot fit inside one; the HTTP pool is sized to
 * the activity slots.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  NativeConnection,
  Runtime,
  type NativeConnectionOptions,
  type Worker,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { ConfigError } from '../platform/env/schema.js';
import type { TemporalConfig } from '../platform/env/temporal.js';
import { loadWorkerConfig, tdgCallsPerSecondPerWorker, type WorkerConfig } from './config.js';
import { formatDuration } from '../contract/index.js';
import { activitiesFromConfig, runtimeLogger } from './activities-from-config.js';
import { connectionOptions, describeConnectionSecurity } from '../platform/temporal-connection.js';
import { bundleWorkflows, createTdgWorker, prebuiltWorkflowBundle, workflowCodeOf } from './factory.js';
import { describeVersion, versionOf, type VersionStatus, type WorkerVersioning } from './versioning.js';
import { watchVersion, type VersionWatcher } from './version-watch.js';
import { startHealthServer, workerHealth, type HealthServer } from './health.js';
import { workerLogger } from './worker-logger.js';
import { DETECTION_DELAY_BUCKETS_S, DETECTION_DELAY_METRIC } from './workflow-metrics.js';

export class ConnectAborted extends Error {
  override name = 'ConnectAborted';
}

/** Temporal may still be starting (compose, CI): retry with backoff instead of dying at once. */
export async function connectWithRetry(
  temporal: TemporalConfig,
  maxWaitMs = 120_000,
  options: { connection?: Omit<NativeConnectionOptions, 'address'>; signal?: AbortSignal } = {},
): Promise<NativeConnection> {
  const started = Date.now();
  for (let delay = 500; ; delay = Math.min(delay * 2, 10_000)) {
    if (options.signal?.aborted) throw new ConnectAborted('stopped while connecting to Temporal');
    try {
      return await NativeConnection.connect({ ...options.connection, address: temporal.address });
    } catch (err) {
      if (Date.now() - started + delay > maxWaitMs) throw err;
      process.stderr.write(
        `Temporal at ${temporal.address} not reachable yet (${(err as Error).message}); retrying in ${delay} ms\n`,
      );
      try {
        await sleep(delay, undefined, { signal: options.signal });
      } catch (sleepError) {
        if (options.signal?.aborted) throw new ConnectAborted('stopped while connecting to Temporal');
        throw sleepError;
      }
    }
  }
}

function installRuntime(config: WorkerConfig, version: WorkerDeploymentVersion): void {
  const { metricsBindAddress, logLevel } = config.operations;
  Runtime.install({
    logger: workerLogger(logLevel),
    ...(metricsBindAddress
      ? {
          telemetryOptions: {
            // Core labels every series with namespace and task_queue itself; the version tells
            // an old build's series from a new one's while both run during an upgrade.
            metrics: {
              globalTags: { worker_deployment: version.deploymentName, worker_build_id: version.buildId },
              prometheus: {
                bindAddress: metricsBindAddress,
                histogramBucketOverrides: { [DETECTION_DELAY_METRIC]: [...DETECTION_DELAY_BUCKETS_S] },
              },
            },
          },
        }
      : {}),
  });
}

export async function main(): Promise<number> {
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`worker: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { temporal, operations } = config;
  let workflowBundle: WorkflowBundleOption;
  let workflowCode = 'bundled at start-up from workflows/ (development)';
  if (config.prebuiltWorkflowBundle) {
    const prebuilt = prebuiltWorkflowBundle();
    workflowBundle = { codePath: prebuilt.codePath };
    workflowCode = `prebuilt bundle ${prebuilt.codePath} (${Math.round(prebuilt.sizeBytes / 1024)} KiB)`;
  } else {
    workflowBundle = await bundleWorkflows();
  }
  const versioning: WorkerVersioning = { ...config.deployment, defaultBehavior: 'PINNED' };
  const version = versionOf(versioning, workflowCodeOf(workflowBundle));
  try {
    installRuntime(config, version);
  } catch (err) {
    process.stderr.write(
      `worker: cannot start the Temporal runtime (metrics on ${operations.metricsBindAddress ?? 'off'}): ${(err as Error).message}\n`,
    );
    return 1;
  }
  const log = Runtime.instance().logger;

  // Until the worker exists the SDK only notes a signal: stop the connect loop here ourselves.
  const stopping = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info(`${signal}: stopping`);
    stopping.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let worker: Worker | null = null;
  let phase = 'connecting';
  let health: HealthServer | undefined;
  const deployment = { version, status: 'unknown' as VersionStatus };
  if (operations.health) {
    health = await startHealthServer({
      ...operations.health,
      report: () =>
        workerHealth(worker, {
          namespace: temporal.namespace,
          taskQueue: temporal.taskQueue,
          phase,
          deployment,
        }),
    });
  }

  let connection: NativeConnection | undefined;
  let watcher: VersionWatcher | undefined;
  try {
    try {
      connection = await connectWithRetry(temporal, 120_000, {
        connection: connectionOptions(config),
        signal: stopping.signal,
      });
    } catch (err) {
      if (err instanceof ConnectAborted) {
        log.info('worker stopped before it connected to Temporal');
        return 0;
      }
      throw err;
    }
    phase = 'starting';
    worker = await createTdgWorker({
      connection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      // The runtime's logger (installed above) for the activities, the client and the token provider.
      activities: activitiesFromConfig(
        config.tdg,
        config.notify,
        runtimeLogger,
        tdgCallsPerSecondPerWorker(config.limits),
      ),
      limits: config.limits,
      shutdownGraceTime: operations.shutdownGraceMs,
      workflowBundle,
      versioning,
    });
    // From here the SDK's runtime handles SIGINT/SIGTERM (after a signal that came while this
    // process was connecting, it shuts the new worker down at once).
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    log.info('worker started', {
      address: temporal.address,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      connection: describeConnectionSecurity(config.temporalSecurity),
      workflowCode,
      version: describeVersion(version),
      promote: config.deployment.promote,
      versionsManagedBy: config.deployment.managedBy,
      tdg: `${config.tdg.baseUrl}/${config.tdg.apiVersion}`,
      notifications: config.notify ? config.notify.publicUrl : 'off (polling only)',
      maxConcurrentActivities: config.limits.maxConcurrentActivities,
      tdgHttpPool: config.tdg.maxSockets,
      tdgRequestTimeout: formatDuration(config.tdg.requestTimeoutMs),
      maxTdgCallsPerSecond: config.limits.maxTdgCallsPerSecond,
      tdgCallsPerSecondThisWorker: tdgCallsPerSecondPerWorker(config.limits),
      shutdownGrace: formatDuration(operations.shutdownGraceMs),
      metrics: operations.metricsBindAddress ? `http://${operations.metricsBindAddress}/metrics` : 'off',
      health: health?.url ?? 'off',
    });
    const running = worker.run();
    watcher = watchVersion({
      connection,
      namespace: temporal.namespace,
      version,
      promote: config.deployment.promote,
      managedBy: config.deployment.managedBy,
      log,
      onStatus: (status) => (deployment.status = status),
    });
    await running;
    log.info('worker stopped');
    return 0;
  } finally {
    watcher?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await connection?.close().catch(() => undefined);
    await health?.close();
  }
}
