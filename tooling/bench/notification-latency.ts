/**
 * `npm run bench:notify`: time from the simulator sending a job's COMPLETED notification to
 * the workflow's result being available to a client, over the real path (simulator → HTTP →
 * listener → Temporal signal → workflow → getJob → result). Poll timers are set to 60 s so
 * only the notification can finish a job quickly. Prints and writes the figures.
 * Uses the shared bench wiring (tooling/bench/lib/dev-stack.ts); the worker runs as its own process.
 * Usage: `npm run bench:notify [-- RUNS]` (default 20 jobs; `--help`).
 */
import {
  WORKFLOW_TYPE,
  type EmailAppendJobResult,
  type NotificationMethod,
} from '../../src/contract/definitions.js';
import { startLatencyBench, writeResults } from './lib/latency-bench.js';
import { percentile } from './lib/stats.js';

const USAGE = `usage: npm run bench:notify [-- RUNS]
  RUNS        sequential jobs, GET and POST notifications alternating (default 20)
  -h, --help  this text
Writes tooling/bench/results/notification-latency.json.`;

const bench = await startLatencyBench(USAGE, 'notify');
const { runs: RUNS, stack, taskQueue } = bench;

const samples: { method: NotificationMethod; latencyMs: number; checks: number; detectedBy: string }[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const method: NotificationMethod = i % 2 === 0 ? 'POST' : 'GET';
    const handle = await stack.client.workflow.start(WORKFLOW_TYPE, {
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
    const sent = stack.simulator.simulator
      .job(result.jobId)
      ?.notifications.find((n) => n.state === 'COMPLETED')?.sentAt;
    if (!sent) throw new Error(`job ${result.jobId}: no COMPLETED notification was sent`);
    samples.push({
      method,
      latencyMs: resultAt - Date.parse(sent),
      checks: result.checks,
      detectedBy: result.detectedBy,
    });
  }
} finally {
  await bench.close();
}

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
};
writeResults('notification-latency.json', summary, samples);
process.stdout.write(
  `COMPLETED notification sent → workflow result available, ${summary.runs} jobs (GET and POST alternating):\n` +
    `  median ${summary.medianMs} ms, p95 ${summary.p95Ms} ms, min ${summary.minMs} ms, max ${summary.maxMs} ms; ` +
    `all detected by notification: ${summary.allDetectedByNotification}\n`,
);
