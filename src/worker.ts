/**
 * `npm run worker`: the long-running process hosting `emailAppendJob` and its activities.
 * Configuration comes from the environment (validated once); SIGINT/SIGTERM drain in-flight
 * activities within the grace period, and Temporal hands unfinished work to another worker.
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { ConfigError, loadWorkerConfig, type TemporalConfig } from './config.js';
import { activitiesFromConfig } from './tdg-wiring.js';
import { createTdgWorker } from './worker-factory.js';

/** Temporal may still be starting (compose, CI): retry with backoff instead of dying at once. */
export async function connectWithRetry(
  temporal: TemporalConfig,
  maxWaitMs = 120_000,
): Promise<NativeConnection> {
  const started = Date.now();
  for (let delay = 500; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      return await NativeConnection.connect({ address: temporal.address });
    } catch (err) {
      if (Date.now() - started + delay > maxWaitMs) throw err;
      process.stderr.write(
        `Temporal at ${temporal.address} not reachable yet (${(err as Error).message}); retrying in ${delay} ms\n`,
      );
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

async function main(): Promise<number> {
  let config;
  try {
    config = loadWorkerConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`worker: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  Runtime.install({ logger: new DefaultLogger((process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO') });
  const log = Runtime.instance().logger;
  const connection = await connectWithRetry(config.temporal);
  const worker = await createTdgWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: activitiesFromConfig(config.tdg, config.notify, {
      info: (message, meta) => {
        log.info(message, meta);
      },
      warn: (message, meta) => {
        log.warn(message, meta);
      },
    }),
    limits: config.limits,
  });
  log.info('worker started', {
    address: config.temporal.address,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    tdg: `${config.tdg.baseUrl}/${config.tdg.apiVersion}`,
    notifications: config.notify ? config.notify.publicUrl : 'off (polling only)',
    maxTdgCallsPerSecond: config.limits.maxTdgCallsPerSecond,
  });
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
  log.info('worker stopped');
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`worker: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
