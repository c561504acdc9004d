/**
 * `npm run bench:job-id`: how long a caller waits for TDG's job id. Side by side on the same stack
 * (dev server, simulator, one worker process): (a) `startJob` (update-with-start: one call returns
 * the id), (b) the way before it: start the workflow, then poll the status query every 250 ms
 * until it shows the id, and (c) `startJob` again with an existing workflow id (no new TDG job).
 * Usage: `npm run bench:job-id [-- RUNS]` (default 20 per path; `--help`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TdgJobs } from '../../src/client/index.js';
import { WORKFLOW_TYPE, statusQuery } from '../../src/contract/index.js';
import { startLatencyBench, writeResults } from './lib/latency-bench.js';
import { percentile } from './lib/stats.js';

const USAGE = `usage: npm run bench:job-id [-- RUNS]
  RUNS        jobs per path, one at a time (default 20)
  -h, --help  this text
Writes tooling/bench/results/job-id-latency.json.`;

const bench = await startLatencyBench(USAGE, 'job-id');
const { runs: RUNS, stack, taskQueue } = bench;
const jobs = new TdgJobs(stack.client, { taskQueue });
const timings = {
  updateWithStart: [] as number[],
  startThenPoll: [] as number[],
  repeatStart: [] as number[],
};
const name = (path: string, i: number): string => `Job id ${path} ${i} [sim duration=1h batches=2]`;

try {
  for (let i = 0; i < RUNS; i++) {
    const workflowId = `job-id-uws-${Date.now()}-${i}`;
    let began = performance.now();
    const started = await jobs.startJob({ name: name('a', i), workflowId });
    timings.updateWithStart.push(performance.now() - began);
    if (!started.jobId) throw new Error(`${workflowId}: no job id`);

    began = performance.now();
    const again = await jobs.startJob({ name: name('a', i), workflowId });
    timings.repeatStart.push(performance.now() - began);
    if (again.jobId !== started.jobId || !again.alreadyStarted)
      throw new Error(`${workflowId}: a second job`);

    const pollId = `job-id-poll-${Date.now()}-${i}`;
    began = performance.now();
    const handle = await stack.client.workflow.start(WORKFLOW_TYPE, {
      workflowId: pollId,
      taskQueue,
      args: [{ name: name('b', i), notificationMethod: 'POST' }],
    });
    for (;;) {
      const status = await handle.query(statusQuery).catch(() => null);
      if (status?.jobId) break;
      await sleep(250);
    }
    timings.startThenPoll.push(performance.now() - began);
    await Promise.all([
      stack.client.workflow.getHandle(workflowId).terminate('bench done'),
      handle.terminate('bench done'),
    ]);
  }
} finally {
  await bench.close();
}

const figures = Object.fromEntries(
  Object.entries(timings).map(([path, samples]) => {
    const sorted = [...samples].sort((a, b) => a - b);
    const round = (ms: number | undefined): number => Math.round(ms ?? NaN);
    return [
      path,
      {
        p50Ms: round(percentile(sorted, 50)),
        p95Ms: round(percentile(sorted, 95)),
        maxMs: round(sorted.at(-1)),
      },
    ];
  }),
);
const summary = {
  runs: RUNS,
  figures,
  tdgJobsCreated: stack.simulator.simulator.stats().jobsCreated.total,
  machine: `${process.platform} ${process.arch}, node ${process.version}`,
  at: new Date().toISOString(),
};
writeResults('job-id-latency.json', summary);
for (const [path, f] of Object.entries(figures))
  process.stdout.write(`${path.padEnd(16)} p50 ${f.p50Ms} ms, p95 ${f.p95Ms} ms, max ${f.maxMs} ms\n`);
process.stdout.write(
  `${summary.tdgJobsCreated} TDG jobs for ${RUNS * 2} workflows (each repeat start created none)\n`,
);
