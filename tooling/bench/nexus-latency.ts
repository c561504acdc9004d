/**
 * `npm run bench:nexus`: what a job costs and how soon its starter learns the end, started by a
 * caller workflow through our Nexus endpoint vs by the typed client, side by side on one stack (dev
 * server with the callers' namespace, simulator, listener, one worker process).
 *
 * Latency: from TDG's terminal state (the simulator's clock) to the starter seeing the result: the
 * caller workflow's first task after its Nexus operation completed, or the client's `waitForResult`
 * resolving; also our workflow's close to the caller's task (the callback's own hop).
 * Actions: billable actions by the published rules (tooling/bench/lib/actions.ts) on our side (the
 * job's history) and on the caller's (its Nexus operation; its own start is its business).
 * Usage: `npm run bench:nexus [-- RUNS]` (default 30 per path; `--help`).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { TdgJobs } from '../../src/client/index.js';
import { jobNameFor } from '../../src/tdg/job-name.js';
import { DEFAULT_NEXUS_ENDPOINT } from '../../src/contract/nexus-service.js';
import { ensureExampleEndpoint } from '../stack/nexus.js';
import { CALLER_NAMESPACE, CALLER_TASK_QUEUE, createCallerWorker } from '../nexus-caller/worker.js';
import type { appendViaNexus } from '../nexus-caller/workflows.js';
import {
  addActions,
  countActions,
  noActions,
  totalActions,
  type ActionCounts,
  type HistoryEvent,
} from './lib/actions.js';
import { numberFlag, parseCommandLine } from './lib/args.js';
import { buildBundles } from './lib/bundles.js';
import { startBenchStack } from './lib/bench-stack.js';
import { writeResults } from './lib/latency-bench.js';
import { percentile } from './lib/stats.js';
import { spawnWorker, workerConfig } from './lib/worker-process.js';

const USAGE = `usage: npm run bench:nexus [-- RUNS]
  RUNS        jobs per path, ${5} at a time (default 30)
  -h, --help  this text
Writes tooling/bench/results/nexus-latency.json.`;
const CONCURRENCY = 5;

const runs = parseCommandLine({ usage: USAGE, options: {}, maxPositionals: 1 }, ({ positionals }) =>
  numberFlag('RUNS', positionals[0], 30, { integer: true }),
);
const stack = await startBenchStack({ seed: 42, extraNamespaces: [CALLER_NAMESPACE] });
const bundles = await buildBundles({ bench: false });
const taskQueue = 'bench-nexus';
const worker = spawnWorker(
  workerConfig(stack, taskQueue, bundles.ours, { notifications: true, maxTdgCallsPerSecond: 20 }),
  join(tmpdir(), `tdg-bench-nexus-worker-${process.pid}.log`),
);
await worker.ready;
process.stdout.write(`${await ensureExampleEndpoint(stack.connection, 'default', taskQueue)}\n`);
// Errors only: the caller's worker says at start that it has no activities to poll for.
Runtime.install({ logger: new DefaultLogger('ERROR') });
const native = await NativeConnection.connect({ address: stack.engine.address });
const callerWorker = await createCallerWorker({ connection: native });
const callerClient = new (stack.client.constructor as typeof Client)({
  connection: stack.connection,
  namespace: CALLER_NAMESPACE,
});
const jobs = new TdgJobs(stack.client, { taskQueue });
const stamp = Date.now().toString(36);
const jobName = (path: string, i: number): string =>
  `Nexus bench ${path} ${stamp}-${i} [sim duration=3s batches=3]`;

interface Sample {
  workflowId: string;
  name: string;
  /** The client's waitForResult resolving (client path only), epoch ms. */
  clientSawAt?: number;
  callerId?: string;
}

async function inBatches(count: number, run: (i: number) => Promise<Sample>): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < count; i += CONCURRENCY)
    samples.push(
      ...(await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count - i) }, (_, k) => run(i + k)))),
    );
  return samples;
}

const eventMs = (
  event: { eventTime?: { seconds?: unknown; nanos?: number | null } | null } | undefined,
): number =>
  event?.eventTime
    ? Number(event.eventTime.seconds) * 1000 + Math.round((event.eventTime.nanos ?? 0) / 1e6)
    : NaN;

// runUntil stops the caller's worker when its jobs are done.
const nexusSamples = await callerWorker.runUntil(
  inBatches(runs, async (i) => {
    const workflowId = `bench-nexus-${stamp}-${i}`;
    const name = jobName('nexus', i);
    const callerId = `caller-${workflowId}`;
    const outcome = await callerClient.workflow.execute<typeof appendViaNexus>('appendViaNexus', {
      taskQueue: CALLER_TASK_QUEUE,
      workflowId: callerId,
      args: [{ endpoint: DEFAULT_NEXUS_ENDPOINT, businessKey: workflowId, name }],
    });
    if (outcome.outcome !== 'COMPLETED') throw new Error(`${workflowId}: ${outcome.outcome}`);
    return { workflowId, name, callerId };
  }),
);
const clientSamples = await inBatches(runs, async (i) => {
  const workflowId = `bench-client-${stamp}-${i}`;
  const name = jobName('client', i);
  const started = await jobs.startJob({ name, workflowId });
  if (!started.jobId) throw new Error(`${workflowId}: no job id`);
  await jobs.waitForResult(workflowId);
  return { workflowId, name, clientSawAt: Date.now() };
});

const terminalAt = new Map(
  stack.simulator.simulator
    .jobs()
    .map((job) => [job.name, job.terminalAt ? Date.parse(job.terminalAt) : NaN] as const),
);
const historyOf = async (client: Client, id: string): Promise<HistoryEvent[]> =>
  (await client.workflow.getHandle(id).fetchHistory()).events ?? [];

interface Measured {
  tdgToSeenMs: number[];
  tdgToOurCloseMs: number[];
  ourCloseToSeenMs: number[];
  ours: ActionCounts;
  nexusOperations: number;
}
async function measure(samples: Sample[]): Promise<Measured> {
  const m: Measured = {
    tdgToSeenMs: [],
    tdgToOurCloseMs: [],
    ourCloseToSeenMs: [],
    ours: noActions(),
    nexusOperations: 0,
  };
  for (const sample of samples) {
    const tdgEnd = terminalAt.get(jobNameFor(sample.name, sample.workflowId)) ?? NaN;
    const ours = await historyOf(stack.client, sample.workflowId);
    m.ours = addActions(m.ours, countActions(ours));
    const ourClose = eventMs(ours.at(-1));
    let seen = sample.clientSawAt ?? NaN;
    if (sample.callerId) {
      const caller = await callerClient.workflow.getHandle(sample.callerId).fetchHistory();
      const events = caller.events ?? [];
      m.nexusOperations += events.filter((e) => e.nexusOperationScheduledEventAttributes).length;
      const completed = events.findIndex((e) => e.nexusOperationCompletedEventAttributes);
      seen = eventMs(events.slice(completed).find((e) => e.workflowTaskStartedEventAttributes));
    }
    m.tdgToSeenMs.push(seen - tdgEnd);
    m.tdgToOurCloseMs.push(ourClose - tdgEnd);
    m.ourCloseToSeenMs.push(seen - ourClose);
  }
  return m;
}

const [nexus, client] = [await measure(nexusSamples), await measure(clientSamples)];
await native.close();
await worker.stop();
await stack.close();
bundles.remove();

const dist = (values: number[]): { p50Ms: number; p99Ms: number; maxMs: number } => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50Ms: Math.round(percentile(sorted, 50)),
    p99Ms: Math.round(percentile(sorted, 99)),
    maxMs: Math.round(sorted.at(-1) ?? NaN),
  };
};
const perJob = (m: Measured, n: number) => ({
  ourSide: Number((totalActions(m.ours) / n).toFixed(2)),
  ourSideByKind: Object.fromEntries(
    Object.entries(m.ours)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => [k, Number((v / n).toFixed(2))]),
  ),
  callerNexusOperations: Number((m.nexusOperations / n).toFixed(2)),
});
const summary = {
  runs,
  concurrency: CONCURRENCY,
  nexus: {
    tdgToCallerSeesResult: dist(nexus.tdgToSeenMs),
    tdgToOurWorkflowClose: dist(nexus.tdgToOurCloseMs),
    ourCloseToCallerTask: dist(nexus.ourCloseToSeenMs),
    actionsPerJob: perJob(nexus, nexusSamples.length),
  },
  client: {
    tdgToClientSeesResult: dist(client.tdgToSeenMs),
    tdgToOurWorkflowClose: dist(client.tdgToOurCloseMs),
    ourCloseToClientResolves: dist(client.ourCloseToSeenMs),
    actionsPerJob: perJob(client, clientSamples.length),
  },
  tdgJobsCreated: stack.simulator.simulator.stats().jobsCreated.total,
  machine: `${process.platform} ${process.arch}, node ${process.version}`,
  at: new Date().toISOString(),
};
writeResults('nexus-latency.json', summary, { nexus, client });
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
