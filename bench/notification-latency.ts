/**
 * `npm run bench:notify`: time from the simulator sending a job's COMPLETED notification to
 * the workflow's result being available to a client, over the real path (simulator → HTTP →
 * listener → Temporal signal → workflow → getJob → result). Poll timers are set to 60 s so
 * only the notification can finish a job quickly. Prints and writes the figures.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startDevServer } from '../src/dev/dev-server.js';
import { createTemporalNotifier, startListener } from '../src/listener/main.js';
import { startSimulator } from '../src/simulator/main.js';
import {
  WORKFLOW_TYPE,
  type EmailAppendJobResult,
  type NotificationMethod,
} from '../src/shared/definitions.js';
import { activitiesFromConfig } from '../src/tdg-wiring.js';
import { createTdgWorker } from '../src/worker-factory.js';

const RUNS = Number(process.argv[2] ?? 20);
const secret = (): string => randomBytes(32).toString('hex');
const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

Runtime.install({ logger: new DefaultLogger('WARN') });
const server = await startDevServer({ uiPort: null });
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
const notifySecret = secret();
const notifier = createTemporalNotifier(client);
const listener = await startListener({ secrets: [notifySecret], notifier }, { port: 0, host: '127.0.0.1' });
const apiKey = secret();
const sim = await startSimulator(
  { apiKey, username: 'bench', password: 'bench-password', seed: 42 },
  { port: 0, host: '127.0.0.1' },
);
const nativeConnection = await NativeConnection.connect({ address: server.address });
const taskQueue = 'bench-notify';
const worker = await createTdgWorker({
  connection: nativeConnection,
  namespace: 'default',
  taskQueue,
  activities: activitiesFromConfig(
    {
      baseUrl: sim.url,
      apiVersion: 'v3',
      apiKey,
      auth: { kind: 'password', username: 'bench', password: 'bench-password', tokenTtlMs: 3_600_000 },
      requestTimeoutMs: 5_000,
    },
    { publicUrl: `${listener.url}/notifications`, secret: notifySecret },
  ),
});

const samples: { method: NotificationMethod; latencyMs: number; checks: number; detectedBy: string }[] = [];
await worker.runUntil(async () => {
  for (let i = 0; i < RUNS; i++) {
    const method: NotificationMethod = i % 2 === 0 ? 'POST' : 'GET';
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: `latency-${Date.now()}-${i}`,
      taskQueue,
      args: [
        {
          name: `Latency ${i} [sim duration=2s batches=3]`,
          notificationMethod: method,
          polling: {
            initialIntervalMs: 60_000,
            maxIntervalMs: 60_000,
            maxIntervalWithNotificationsMs: 60_000,
          },
        },
      ],
    });
    const result = (await handle.result()) as EmailAppendJobResult;
    const resultAt = Date.now();
    const sent = sim.simulator.job(result.jobId)?.notifications.find((n) => n.state === 'COMPLETED')?.sentAt;
    if (!sent) throw new Error(`job ${result.jobId}: no COMPLETED notification was sent`);
    samples.push({
      method,
      latencyMs: resultAt - Date.parse(sent),
      checks: result.checks,
      detectedBy: result.detectedBy,
    });
  }
});

const sorted = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
const summary = {
  runs: samples.length,
  medianMs: percentile(sorted, 50),
  p95Ms: percentile(sorted, 95),
  minMs: sorted[0],
  maxMs: sorted.at(-1),
  allDetectedByNotification: samples.every((s) => s.detectedBy === 'notification'),
  machine: `${process.platform} ${process.arch}, node ${process.version}`,
  at: new Date().toISOString(),
  samples,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/notification-latency.json', import.meta.url),
  `${JSON.stringify(summary, null, 2)}\n`,
);
process.stdout.write(
  `COMPLETED notification sent → workflow result available, ${summary.runs} jobs (GET and POST alternating):\n` +
    `  median ${summary.medianMs} ms, p95 ${summary.p95Ms} ms, min ${summary.minMs} ms, max ${summary.maxMs} ms; ` +
    `all detected by notification: ${summary.allDetectedByNotification}\n`,
);

await listener.close();
await notifier.idle();
await sim.close();
await nativeConnection.close();
await connection.close();
await server.stop();
