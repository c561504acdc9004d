/**
 * A bench worker as its own process, so its CPU time and peak RSS can be measured alone and it
 * can be SIGKILLed (chaos). Started by `spawnWorker` (worker-process.ts) with its whole configuration in
 * BENCH_WORKER_CONFIG; it loads a workflow bundle the parent built once, tells the parent over IPC
 * when it polls, and stops on SIGTERM/SIGINT (the SDK's runtime shuts the worker down).
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { connectWithRetry } from '../../../src/worker/run.js';
import { activitiesFromConfig } from '../../../src/worker/activities-from-config.js';
import { createTdgWorker } from '../../../src/worker/factory.js';
import { promoteVersion, workerVersion } from '../../../src/worker/versioning.js';
import { createBenchActivities } from './bench-activities.js';
import { payloadCodecFor } from '../../../src/platform/data-converter.js';
import { parseCodecKeys } from '../../../src/platform/payload-codec.js';
import type { WorkerProcessConfig } from './worker-process.js';

const raw = process.env.BENCH_WORKER_CONFIG;
if (!raw)
  throw new Error(
    'BENCH_WORKER_CONFIG is not set (this script is started by tooling/bench/lib/worker-process.ts)',
  );
const config = JSON.parse(raw) as WorkerProcessConfig;

Runtime.install({ logger: new DefaultLogger((config.logLevel ?? 'ERROR') as LogLevel) });
const log = (message: string): void => {
  process.stderr.write(`${new Date().toISOString()} [bench-worker ${config.taskQueue}] ${message}\n`);
};

const connection = await connectWithRetry(
  { address: config.address, namespace: config.namespace, taskQueue: config.taskQueue },
  600_000,
  config.tls
    ? {
        connection: {
          tls: {
            serverRootCACertificate: Buffer.from(config.tls.ca),
            clientCertPair: { crt: Buffer.from(config.tls.cert), key: Buffer.from(config.tls.key) },
            ...(config.tls.serverName ? { serverNameOverride: config.tls.serverName } : {}),
          },
        },
      }
    : {},
);
const base = activitiesFromConfig(
  {
    baseUrl: config.tdg.baseUrl,
    apiVersion: 'v3',
    apiKey: config.tdg.apiKey,
    auth: {
      kind: 'password',
      username: config.tdg.username,
      password: config.tdg.password,
      tokenTtlMs: 3_600_000,
    },
    requestTimeoutMs: config.tdg.requestTimeoutMs,
  },
  config.notify,
  undefined,
  // One worker per strategy: the whole rate is its own, enforced where local-activity checks call TDG.
  config.maxTdgCallsPerSecond,
);
const worker = await createTdgWorker({
  connection,
  namespace: config.namespace,
  taskQueue: config.taskQueue,
  // The extra pollUntilTerminal activity is only called by the bench workflows.
  activities: createBenchActivities(base),
  workflowBundle: { codePath: config.bundlePath },
  payloadCodec: config.codecKeys ? payloadCodecFor(parseCodecKeys(config.codecKeys)) : null,
  limits: {
    maxConcurrentActivities: config.maxConcurrentActivities,
    maxTdgCallsPerSecond: config.maxTdgCallsPerSecond,
    ...(config.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: config.maxCachedWorkflows }),
  },
  shutdownGraceTime: '2 seconds',
  identity: `bench-worker-${process.pid}`,
  // Each strategy's task queue is a deployment of its own, pinned like production.
  versioning: { deploymentName: `bench-${config.taskQueue}`, defaultBehavior: 'PINNED' },
});
const running = worker.run();
await promoteVersion(connection, config.namespace, workerVersion(worker)!);
process.send?.({ type: 'ready', pid: process.pid });
log('polling');
await running;
await connection.close();
log('stopped');
