/**
 * `npm run chaos`: 200 concurrent emailAppendJob workflows while everything around them fails:
 *
 *   - the worker process is SIGKILLed 5 times at seeded random moments and restarted at once
 *     (as a process manager would);
 *   - the Temporal dev server is stopped and started again once, on the same port and SQLite file;
 *   - the simulator answers 20% 5xx, 5% 429, 2% malformed bodies, has latency spikes, and drops
 *     30% of notifications (`PUT /_sim/faults`);
 *   - TDG is fully unavailable once (`PUT /_sim/faults {"outage": true}`: 503 on every route) for
 *     several minutes of real time, scaled like the job durations, while jobs run. The other outages
 *     the simulator knows (HTML 200, 3xx, 404, resets, hangs) stay off here: the workflow does not
 *     survive all of them yet (a getJob outage can use up an activity's attempts).
 *
 * Then two pressure phases (tooling/bench/lib/pressure-phases.ts), each with its own worker: a
 * burst of COMPLETED hints (10× the rate's worth) under a tight TDG rate limit while new jobs start,
 * and TDG answering createJob in 9 s and in 25 s against the 7 s request timeout. Their targets
 * (start-to-job-id, status and checkNow p99 ≤ 2 s during the burst; ≤ 2 TDG jobs per slow-created
 * workflow, each such workflow marked) fail the run like a correctness problem.
 *
 * It checks that every workflow completed with its TDG job's batch list, counts the TDG jobs
 * created per workflow (`GET /_sim/stats` → jobsCreated.byName, names carry the workflow id) and
 * explains each duplicate from the createJob exchanges a recording proxy saw: a kill or a dev
 * server outage while that request was in flight, or an answer the worker could not read. Writes
 * tooling/bench/results/chaos.{json,md}. Exits 1 only on a correctness failure: a job lost or failed, a
 * wrong result, or a duplicate nothing explains.
 *
 * Options: see USAGE below (`npm run chaos -- --help`).
 */
import type { ProtoFailure } from '@temporalio/common';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  WorkflowExecutionAlreadyStartedError,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import proto from '@temporalio/proto';
import { msToNumber } from '@temporalio/common';
import { TDG_RETRY_POLICY } from '../../workflows/tdg-activity-options.js';
import { formatDuration } from '../../src/contract/index.js';
import { mulberry32 } from '../../src/platform/prng.js';
import {
  WORKFLOW_TYPE,
  type EmailAppendJobInput,
  type EmailAppendJobResult,
  type PollingPolicy,
} from '../../src/contract/definitions.js';
import type { StatsView } from '../simulator/app.js';
import { durationFlag, durationRangeFlag, numberFlag, parseCommandLine, RUN_FLAGS } from './lib/args.js';
import { buildBundles } from './lib/bundles.js';
import { startBenchStack } from './lib/bench-stack.js';
import { planJobs } from './lib/job-plan.js';
import { runBurstPhase, runSlowCreatePhase, type PhaseTarget } from './lib/pressure-phases.js';
import { machineDescription } from './lib/machine.js';
import { mapLimit } from './lib/map-limit.js';
import { outputDir, rawOutputDir } from './lib/paths.js';
import { startRecordingProxy, type CreateJobExchange } from './lib/recording-proxy.js';
import { jobsByWorkflow, workflowIdOfJobName } from './lib/sim-jobs.js';
import { percentile } from './lib/stats.js';
import { scaledPollingPolicy } from './lib/strategies.js';
import { spawnWorker, workerConfig, type WorkerProcess } from './lib/worker-process.js';

const USAGE = `usage: npm run chaos -- [options]
  --jobs N             concurrent jobs (default 200; --quick 30)
  --kills N            worker SIGKILLs (default 5; --quick 2)
  --durations LO..HI   real job durations, log-uniform (default 10s..20m; --quick 10s..5m)
  --time-scale N       time divided by N (default 20)
  --ramp D             starts spread evenly over D (default 20s; --quick 5s)
  --outage D           real duration of the full TDG outage, scaled like the jobs (default 5m;
                       --quick 2m; 0 for none)
  --seed N             seed of the jobs and the chaos schedule (default 7)
  --name NAME          result file name (default chaos; --quick chaos-quick)
  --out DIR            result folder (default tooling/bench/results/; --quick: a new temp dir)
  --quick              the CI variant: 30 jobs, 2 kills, shorter jobs
  -h, --help           this text`;

const { quick, jobCount, killCount, timeScale, realRange, rampMs, outageRealMs, seed, runName, outDir } =
  parseCommandLine(
    {
      usage: USAGE,
      options: { ...RUN_FLAGS, kills: { type: 'string' }, outage: { type: 'string' } },
    },
    ({ values }) => {
      const quick = values.quick;
      return {
        quick,
        jobCount: numberFlag('--jobs', values.jobs, quick ? 30 : 200, { integer: true }),
        killCount: numberFlag('--kills', values.kills, quick ? 2 : 5, { integer: true, zero: true }),
        timeScale: numberFlag('--time-scale', values['time-scale'], 20),
        realRange: durationRangeFlag('--durations', values.durations ?? (quick ? '10s..5m' : '10s..20m')),
        rampMs: durationFlag('--ramp', values.ramp ?? (quick ? '5s' : '20s')),
        outageRealMs: durationFlag('--outage', values.outage ?? (quick ? '2m' : '5m')),
        seed: numberFlag('--seed', values.seed, 7, { integer: true, zero: true }),
        runName: values.name ?? (quick ? 'chaos-quick' : 'chaos'),
        outDir: outputDir(values.out, quick, 'tdg-chaos-quick-'),
      };
    },
  );
const [realLoMs, realHiMs] = realRange;
mkdirSync(outDir, { recursive: true });
const rawDir = rawOutputDir(outDir);

const FAULTS = {
  errorRate: 0.2,
  rateLimitRate: 0.05,
  retryAfterSeconds: 1,
  malformedRate: 0.02,
  dropNotificationRate: 0.3,
  latencyMs: 0,
  latencyJitterMs: 150,
};
/** A latency spike: every request waits this long (plus jitter) while it lasts. */
const SPIKE = { latencyMs: 2_500, durationMs: 2_000, everyMs: 6_000, probability: 0.4 };
/** After this long past a createJob answer, a killed worker may still have lost it (completion not yet reported). */
const REPORT_SLACK_MS = 2_000;
/** A request written just before a SIGKILL can reach the proxy just after it: the kernel still sends the bytes. */
const SEND_SLACK_MS = 1_000;

const polling: PollingPolicy = scaledPollingPolicy(timeScale);

const t0 = Date.now();
const log = (message: string): void => {
  process.stdout.write(`[chaos ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${message}\n`);
};
const random = mulberry32(seed);
const plan = planJobs(random, jobCount, realRange, timeScale);
const maxSimMs = Math.max(...plan.map((p) => p.simMs));
// Chaos happens while jobs are being created and running, in [2 s, ramp + maxSim/2]: the window is cut
// into one slot per kill and each kill falls at a random moment of its slot (random, yet spread out).
const chaosWindowMs = rampMs + maxSimMs / 2;
const slotMs = (chaosWindowMs - 2_000) / Math.max(1, killCount);
const killOffsets = Array.from({ length: killCount }, (_, i) => 2_000 + (i + random.next()) * slotMs);
const restartOffset = rampMs / 2 + random.next() * (chaosWindowMs - rampMs / 2);
// The full outage is a phase of its own, right after the chaos window (and after the last kill or
// restart has finished): every job has been started and most still run, and a refusal is never
// confused with a kill or a dev server outage.
const outageMs = Math.round(outageRealMs / timeScale);
const outageOffset = chaosWindowMs;

const machine = machineDescription();
log(
  `${jobCount} jobs, durations ${formatDuration(realLoMs)}..${formatDuration(realHiMs)} real ÷${timeScale} → up to ${formatDuration(maxSimMs)}; ` +
    `${killCount} worker kills (after the first start) at ${killOffsets.map((k) => `${(k / 1000).toFixed(1)}s`).join(', ')}; ` +
    `dev server restart at ${(restartOffset / 1000).toFixed(1)}s; ` +
    (outageMs > 0
      ? `TDG outage of ${formatDuration(outageMs)} (${formatDuration(outageRealMs)} real) from ${(outageOffset / 1000).toFixed(1)}s (after the kills and the restart); `
      : 'no TDG outage; ') +
    `load average ${machine.loadAverage.join(' ')}`,
);

const dataDir = mkdtempSync(join(tmpdir(), 'tdg-chaos-'));
const dbFilename = join(dataDir, 'temporal.sqlite');
const [stack, bundles] = await Promise.all([
  startBenchStack({ dbFilename, seed, devServerLog: join(rawDir, `${runName}-dev-server.log`) }),
  buildBundles({ bench: false }),
]);
const proxy = await startRecordingProxy(stack.simulator.url);
log(
  `dev server ${stack.engine.address} (SQLite ${dbFilename}), simulator ${stack.simulator.url} behind proxy ${proxy.url}`,
);

async function putFaults(faults: Record<string, number | boolean>): Promise<void> {
  const response = await fetch(`${stack.simulator.url}/_sim/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!response.ok) throw new Error(`PUT /_sim/faults: HTTP ${response.status} ${await response.text()}`);
}
await putFaults(FAULTS);

// ---------------------------------------------------------------- the supervised worker
const taskQueue = `chaos-${Date.now().toString(36)}`;
const config = workerConfig(stack, taskQueue, bundles.ours, {
  notifications: true,
  maxTdgCallsPerSecond: 20 * timeScale,
  tdgBaseUrl: proxy.url,
});
const workerLog = join(rawDir, `${runName}-worker.log`);
let worker: WorkerProcess = spawnWorker(config, workerLog);
let supervising = true;
const kills: { at: number; pid: number }[] = [];
const unexpectedExits: { at: number; pid: number; code: number | null; signal: string | null }[] = [];
let restarts = 0;
let workerCpuSeconds = 0;
let workerPeakRssMiB = 0;
const supervise = (current: WorkerProcess): void => {
  void current.exited.then(async ({ code, signal }) => {
    const usage = current.usage();
    workerCpuSeconds += usage.cpuSeconds;
    workerPeakRssMiB = Math.max(workerPeakRssMiB, Math.round(usage.peakRssBytes / 2 ** 20));
    if (!supervising) return;
    if (!kills.some((k) => k.pid === current.pid))
      unexpectedExits.push({ at: Date.now(), pid: current.pid, code, signal });
    await sleep(200);
    if (!supervising) return;
    worker = spawnWorker(config, workerLog);
    restarts++;
    supervise(worker);
  });
};
supervise(worker);
await worker.ready;
log(`worker ready (pid ${worker.pid})`);

// ---------------------------------------------------------------- chaos schedule
const started = Date.now();
const chaosLog: { at: number; what: string }[] = [];
let devServerDown: { from: number; to: number } | null = null;
const chaosDone = (async () => {
  const events = [
    ...killOffsets.map((offset) => ({ offset, kind: 'kill' as const })),
    { offset: restartOffset, kind: 'restart' as const },
  ].sort((a, b) => a.offset - b.offset);
  for (const event of events) {
    const wait = started + event.offset - Date.now();
    if (wait > 0) await sleep(wait);
    if (event.kind === 'kill') {
      // Never kill a process that is already dead or still starting: wait for the restarted worker to poll.
      for (
        let waited = 0;
        (worker.child.exitCode !== null || worker.child.signalCode !== null) && waited < 30_000;
        waited += 100
      ) {
        await sleep(100);
      }
      await worker.ready.catch(() => undefined);
      const victim = worker;
      kills.push({ at: Date.now(), pid: victim.pid });
      victim.kill('SIGKILL');
      chaosLog.push({ at: Date.now(), what: `SIGKILL worker pid ${victim.pid}` });
      log(`SIGKILL worker pid ${victim.pid}`);
    } else {
      const from = Date.now();
      log('stopping the dev server');
      const { downMs } = await stack.engine.restart();
      devServerDown = { from, to: Date.now() };
      chaosLog.push({ at: from, what: `dev server stopped and restarted (down ${downMs} ms)` });
      log(`dev server back after ${downMs} ms`);
    }
  }
})();

// The full TDG outage: every TDG route answers 503 while it lasts.
interface OutageRecord {
  from: number;
  to: number;
  /** Requests the simulator refused with 503 during the outage (faultsInjected.outage). */
  refused: number;
  refusedByRoute: Record<string, number>;
}
let outage: OutageRecord | null = null;
const simStats = async (): Promise<StatsView> =>
  (await (await fetch(`${stack.simulator.url}/_sim/stats`)).json()) as StatsView;
const outageDone = (async () => {
  if (outageMs <= 0) return;
  const wait = started + outageOffset - Date.now();
  if (wait > 0) await sleep(wait);
  await chaosDone;
  // Not yet waiting for the restarted worker to poll: an outage that hits its getJob polls uses up
  // activity attempts, and an unreadable answer after the 5th attempt then fails the workflow
  // (the gap the outages still leave). Until that is fixed the outage mostly refuses the restarted worker's login.
  const before = await simStats();
  const from = Date.now();
  await putFaults({ outage: true });
  log(`TDG outage: every TDG route answers 503 for ${formatDuration(outageMs)}`);
  chaosLog.push({ at: from, what: `TDG outage begins (${formatDuration(outageMs)})` });
  await sleep(outageMs);
  await putFaults({ outage: false });
  const to = Date.now();
  const after = await simStats();
  const refusedByRoute: Record<string, number> = {};
  for (const [route, n] of Object.entries(after.requests)) {
    const delta = n - (before.requests[route as keyof StatsView['requests']] ?? 0);
    if (delta > 0) refusedByRoute[route] = delta;
  }
  outage = {
    from,
    to,
    refused: after.faultsInjected.outage - before.faultsInjected.outage,
    refusedByRoute,
  };
  chaosLog.push({ at: to, what: `TDG outage ends: ${outage.refused} requests refused` });
  log(`TDG back after ${to - from} ms: ${outage.refused} requests refused ${JSON.stringify(refusedByRoute)}`);
})();

// Latency spikes until the run ends.
let spiking = true;
const spikes: { at: number; ms: number }[] = [];
const spikeLoop = (async () => {
  while (spiking) {
    await sleep(SPIKE.everyMs);
    if (!spiking) break;
    if (random.next() < SPIKE.probability) {
      spikes.push({ at: Date.now(), ms: SPIKE.latencyMs });
      await putFaults({ latencyMs: SPIKE.latencyMs });
      await sleep(SPIKE.durationMs);
      await putFaults({ latencyMs: FAULTS.latencyMs });
    }
  }
})();

// ---------------------------------------------------------------- the jobs
interface Tracked {
  index: number;
  workflowId: string;
  simMs: number;
  handle?: WorkflowHandle;
  startError: string | null;
}
const runTag = Date.now().toString(36);
const tracked: Tracked[] = plan.map((p) => ({
  index: p.index,
  workflowId: `chaos-${runTag}-${p.index}`,
  simMs: p.simMs,
  startError: null,
}));

/** Starts are retried through the dev server outage; an id already started counts as started. */
async function startWithRetry(t: Tracked, p: (typeof plan)[number]): Promise<void> {
  const input: EmailAppendJobInput = {
    name: `Chaos job ${p.index} [sim duration=${p.simMs}ms batches=${p.batches}]`,
    notificationMethod: p.index % 2 === 0 ? 'POST' : 'GET',
    polling,
  };
  const until = Date.now() + 120_000;
  for (;;) {
    try {
      t.handle = await stack.client.workflow.start(WORKFLOW_TYPE, {
        workflowId: t.workflowId,
        taskQueue,
        args: [input],
      });
      return;
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        t.handle = stack.client.workflow.getHandle(t.workflowId);
        return;
      }
      if (Date.now() > until) {
        t.startError = (error as Error).message;
        return;
      }
      await sleep(1_000);
    }
  }
}

await mapLimit(tracked, 16, async (t, i) => {
  const due = started + (rampMs * i) / tracked.length;
  if (due > Date.now()) await sleep(due - Date.now());
  await startWithRetry(t, plan[i] ?? plan[0]!);
});
log(`${tracked.filter((t) => t.handle).length} of ${jobCount} workflows started`);

// Wait until every workflow is closed (visibility query; errors while the server is down are retried).
const closedStatuses = new Map<string, string>();
// After the outage an activity may sit in retry backoff for up to the retry policy's longest
// interval, twice if the first try after it meets an injected fault: a job is lost only past that.
const retryCeilingMs = 2 * msToNumber(TDG_RETRY_POLICY.maximumInterval ?? '2 minutes');
const deadline = started + chaosWindowMs + outageMs + maxSimMs + retryCeilingMs + (quick ? 60_000 : 120_000);
let lastReport = 0;
for (;;) {
  try {
    for await (const execution of stack.client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus != 'Running'`,
    })) {
      if (execution.status.name !== 'CONTINUED_AS_NEW')
        closedStatuses.set(execution.workflowId, execution.status.name);
    }
  } catch {
    // the dev server is restarting
  }
  const open = tracked.filter((t) => t.handle && !closedStatuses.has(t.workflowId)).length;
  if (open === 0 || Date.now() > deadline) break;
  if (Date.now() - lastReport > 15_000) {
    lastReport = Date.now();
    log(`${jobCount - open} of ${jobCount} closed`);
  }
  await sleep(2_000);
}
await chaosDone;
await outageDone;
spiking = false;
await spikeLoop;
supervising = false;
const endUsage = worker.usage();
await worker.stop();
workerPeakRssMiB = Math.max(workerPeakRssMiB, Math.round(endUsage.peakRssBytes / 2 ** 20));
await putFaults({
  errorRate: 0,
  rateLimitRate: 0,
  malformedRate: 0,
  dropNotificationRate: 0,
  latencyMs: 0,
  latencyJitterMs: 0,
  outage: false,
});
log('chaos over; checking every workflow');

// ---------------------------------------------------------------- verification
const stats = await simStats();
const outageRecord = outage as OutageRecord | null;
const seconds = (ms: number): number => Math.round((ms - started) / 100) / 10;
const simByWorkflow = jobsByWorkflow(stack.simulator.simulator.jobs());
const createdByWorkflow = new Map<string, number>();
for (const [name, count] of Object.entries(stats.jobsCreated.byName)) {
  const id = workflowIdOfJobName(name);
  if (id) createdByWorkflow.set(id, (createdByWorkflow.get(id) ?? 0) + count);
}
const exchangesByWorkflow = new Map<string, CreateJobExchange[]>();
for (const exchange of proxy.exchanges) {
  const id = exchange.name ? workflowIdOfJobName(exchange.name) : null;
  if (!id) continue;
  exchangesByWorkflow.set(id, [...(exchangesByWorkflow.get(id) ?? []), exchange]);
}

interface Outcome {
  workflowId: string;
  /** The TDG job the workflow's result names. */
  jobId: string | null;
  status: string;
  tdgJobsCreated: number;
  detectionMs: number | null;
  detectedBy: string | null;
  /** The workflow's own mark: a createJob retry followed an attempt whose outcome was unknown. */
  markedPossibleDuplicate: boolean;
  problem: string | null;
}
/** A lost workflow's history goes next to the report, and what it waits on into the log, so a CI failure explains itself. */
async function writeLostDiagnosis(
  workflowId: string,
  description: WorkflowExecutionDescription,
): Promise<void> {
  const handle = stack.client.workflow.getHandle(workflowId);
  const history = await handle.fetchHistory();
  const file = join(rawDir, `${runName}-${workflowId}.history.json`);
  writeFileSync(file, historyToJSON(history));
  const pending = (description.raw.pendingActivities ?? []).map(
    (a) =>
      `${a.activityType?.name} attempt ${a.attempt ?? 0} state ${String(a.state)}` +
      (a.lastFailure ? ` (last failure: ${failureMessage(a.lastFailure)})` : ''),
  );
  const events = (history.events ?? []).slice(-12).map((e) => {
    const at = e.eventTime?.seconds ? Number(e.eventTime.seconds) * 1000 - started : 0;
    return `${String(e.eventId)} ${proto.temporal.api.enums.v1.EventType[e.eventType ?? 0]} +${Math.round(at / 100) / 10}s`;
  });
  log(
    `lost ${workflowId}: run ${description.runId}, ${history.events?.length ?? 0} events; pending activities: ` +
      `${pending.join('; ') || 'none'}; last events: ${events.join(', ')}; history in ${file}`,
  );
}

const outcomes: Outcome[] = await mapLimit(tracked, 16, async (t): Promise<Outcome> => {
  const base = {
    workflowId: t.workflowId,
    jobId: null,
    tdgJobsCreated: createdByWorkflow.get(t.workflowId) ?? 0,
    markedPossibleDuplicate: false,
  };
  if (!t.handle)
    return {
      ...base,
      status: 'NOT_STARTED',
      detectionMs: null,
      detectedBy: null,
      problem: `not started: ${t.startError}`,
    };
  const handle = stack.client.workflow.getHandle(t.workflowId);
  const description = await handle.describe();
  const status = description.status.name;
  if (status !== 'COMPLETED') {
    if (status === 'RUNNING') await writeLostDiagnosis(t.workflowId, description);
    return {
      ...base,
      status,
      detectionMs: null,
      detectedBy: null,
      problem: status === 'RUNNING' ? 'lost: still running at the deadline' : `workflow ${status}`,
    };
  }
  const result = (await handle.result()) as EmailAppendJobResult;
  const followed = (simByWorkflow.get(t.workflowId) ?? []).find((j) => j.jobId === result.jobId);
  let problem: string | null = null;
  if (!followed) problem = `result names TDG job ${result.jobId}, which this workflow never created`;
  else if (
    followed.state !== 'COMPLETED' ||
    JSON.stringify(followed.batchList) !== JSON.stringify(result.batchList)
  ) {
    problem = `result differs from TDG job ${result.jobId} (${followed.state}, ${followed.batchList.length} batches vs ${result.batchList.length})`;
  }
  const closeTime = description.closeTime?.getTime();
  const terminalAt = followed?.terminalAt ? Date.parse(followed.terminalAt) : null;
  return {
    ...base,
    jobId: result.jobId,
    status,
    detectionMs: closeTime !== undefined && terminalAt !== null ? closeTime - terminalAt : null,
    detectedBy: result.detectedBy,
    markedPossibleDuplicate: result.possibleDuplicateTdgJob === true,
    problem,
  };
});

// Every extra TDG job must be explained by what happened to the createJob exchange that made it.
type DuplicateCause =
  'worker killed' | 'dev server outage' | 'unreadable answer' | 'client timeout' | 'unexplained';
interface Duplicate {
  workflowId: string;
  tdgJobsCreated: number;
  explanations: string[];
  causes: DuplicateCause[];
  explained: boolean;
}
const duplicates: Duplicate[] = [];
for (const outcome of outcomes) {
  if (outcome.tdgJobsCreated <= 1) continue;
  const explanations: string[] = [];
  const causes: DuplicateCause[] = [];
  let unexplained = 0;
  // Every exchange that created a job, except the one whose answer the workflow went on with, lost its answer.
  const creating = (exchangesByWorkflow.get(outcome.workflowId) ?? []).filter((e) => e.status === 200);
  let usedSeen = false;
  for (const exchange of creating) {
    if (!usedSeen && exchange.jobId !== null && exchange.jobId === outcome.jobId) {
      usedSeen = true;
      continue;
    }
    const end = (exchange.answeredAt ?? exchange.startedAt) + REPORT_SLACK_MS;
    const kill = kills.find((k) => k.at >= exchange.startedAt - SEND_SLACK_MS && k.at <= end);
    const down = devServerDown as { from: number; to: number } | null;
    const at = (ms: number): string => `${((ms - started) / 1000).toFixed(1)}s`;
    if (exchange.jobId === null) {
      causes.push('unreadable answer');
      explanations.push(
        `answer at ${at(exchange.answeredAt ?? exchange.startedAt)} was unreadable (injected malformed body): the job existed, the worker could not know its id and retried`,
      );
    } else if (kill) {
      causes.push('worker killed');
      explanations.push(
        `worker pid ${kill.pid} SIGKILLed at ${at(kill.at)} while createJob was in flight (sent ${at(exchange.startedAt)}, answered ${exchange.answeredAt ? at(exchange.answeredAt) : 'never'})`,
      );
    } else if (down && down.from <= end && down.to >= exchange.startedAt) {
      causes.push('dev server outage');
      explanations.push(
        `dev server down ${at(down.from)}–${at(down.to)} while createJob (sent ${at(exchange.startedAt)}) was being reported`,
      );
    } else if (exchange.clientGone) {
      causes.push('client timeout');
      explanations.push(`worker hung up before the answer (request timeout) at ${at(exchange.startedAt)}`);
    } else {
      unexplained++;
      causes.push('unexplained');
      explanations.push(
        `UNEXPLAINED: createJob sent ${at(exchange.startedAt)}, answered ${exchange.answeredAt ? at(exchange.answeredAt) : 'never'} with job ${exchange.jobId}`,
      );
    }
  }
  const missing = outcome.tdgJobsCreated - 1 - explanations.length;
  if (missing > 0) {
    unexplained += missing;
    causes.push('unexplained');
    explanations.push(`UNEXPLAINED: ${missing} more TDG job(s) than lost answers`);
  }
  duplicates.push({
    workflowId: outcome.workflowId,
    tdgJobsCreated: outcome.tdgJobsCreated,
    explanations,
    causes,
    explained: unexplained === 0,
  });
}

const completed = outcomes.filter((o) => o.status === 'COMPLETED' && o.problem === null);
const detections = outcomes
  .map((o) => o.detectionMs)
  .filter((v): v is number => v !== null)
  .sort((a, b) => a - b);
const worst = outcomes
  .filter((o) => o.detectionMs !== null)
  .sort((a, b) => (b.detectionMs ?? 0) - (a.detectionMs ?? 0))[0];
const unmarked = outcomes.filter(
  (o) => o.status === 'COMPLETED' && o.tdgJobsCreated > 1 && !o.markedPossibleDuplicate,
);
const markedWithoutDuplicate = outcomes.filter(
  (o) => o.markedPossibleDuplicate && o.tdgJobsCreated <= 1,
).length;
const problems = [
  ...outcomes.filter((o) => o.problem !== null).map((o) => `${o.workflowId}: ${o.problem}`),
  ...unmarked.map(
    (o) =>
      `${o.workflowId}: ${o.tdgJobsCreated} TDG jobs, but the workflow is not marked possibleDuplicateTdgJob`,
  ),
  ...duplicates
    .filter((d) => !d.explained)
    .map(
      (d) =>
        `${d.workflowId}: ${d.tdgJobsCreated} TDG jobs, not all explained (${d.explanations.join('; ')})`,
    ),
];
const extraJobsByCause: Record<string, number> = {};
for (const d of duplicates)
  for (const cause of d.causes) extraJobsByCause[cause] = (extraJobsByCause[cause] ?? 0) + 1;
const crashCauses = new Set<string>(['worker killed', 'dev server outage']);
const nonCrashExtra = Object.entries(extraJobsByCause)
  .filter(([cause]) => !crashCauses.has(cause))
  .reduce((sum, [, n]) => sum + n, 0);

/**
 * A failure's message as the client reads it: the failure converter keeps the message in encoded
 * attributes (the raw field says only "Encoded failure").
 */
function failureMessage(failure: ProtoFailure): string {
  const { failureConverter, payloadConverter } = stack.client.options.loadedDataConverter;
  return failureConverter.failureToError(failure, payloadConverter).message;
}

/** What slowed the worst detections down: the activity attempts that failed or timed out before. */
async function diagnose(workflowId: string): Promise<string[]> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const notes: string[] = [];
  for (const event of history.events ?? []) {
    const startedEvent = event.activityTaskStartedEventAttributes;
    if (startedEvent && (startedEvent.attempt ?? 1) > 1) {
      notes.push(
        `an activity needed ${startedEvent.attempt} attempts (last failure: ${startedEvent.lastFailure ? failureMessage(startedEvent.lastFailure) : '?'})`,
      );
    }
    if (event.workflowTaskTimedOutEventAttributes)
      notes.push('a workflow task timed out (its worker was killed)');
  }
  return [...new Set(notes)];
}
const worstDiagnoses = await mapLimit(
  outcomes
    .filter((o) => o.detectionMs !== null)
    .sort((a, b) => (b.detectionMs ?? 0) - (a.detectionMs ?? 0))
    .slice(0, 3),
  3,
  async (o) => ({
    workflowId: o.workflowId,
    detectionMs: o.detectionMs,
    detectedBy: o.detectedBy,
    why: await diagnose(o.workflowId),
  }),
);

const detectedBy: Record<string, number> = {};
for (const o of outcomes) if (o.detectedBy) detectedBy[o.detectedBy] = (detectedBy[o.detectedBy] ?? 0) + 1;

// ---------------------------------------------------------------- pressure phases
const phaseContext = {
  stack,
  bundlePath: bundles.ours,
  logPrefix: join(rawDir, runName),
  quick,
  log,
};
const burst = await runBurstPhase(phaseContext);
const slowCreate = await runSlowCreatePhase(phaseContext);
const pressureTargets: PhaseTarget[] = [...burst.targets, ...slowCreate.targets];
// Like the rest of this run, only correctness fails it; a missed speed target is reported.
const pressureProblems = pressureTargets
  .filter((t) => !t.met && !t.speed)
  .map((t) => `pressure: ${t.target} (${t.note ?? ''})`);

const report = {
  name: runName,
  command: ['npm run chaos', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
  at: new Date().toISOString(),
  machine: { ...machine, loadAverageAtEnd: machineDescription().loadAverage },
  settings: {
    jobs: jobCount,
    seed,
    timeScale,
    realDurations: `${formatDuration(realLoMs)}..${formatDuration(realHiMs)} (log-uniform)`,
    maxScaledDurationMs: maxSimMs,
    rampMs,
    polling,
    faults: FAULTS,
    latencySpikes: SPIKE,
    outage: { realMs: outageRealMs, scaledMs: outageMs },
  },
  chaos: {
    kills: kills.map((k) => ({ atSeconds: Math.round((k.at - started) / 100) / 10, pid: k.pid })),
    workerRestarts: restarts,
    unexpectedWorkerExits: unexpectedExits.map((e) => ({
      ...e,
      at: Math.round((e.at - started) / 100) / 10,
    })),
    devServerDownSeconds: devServerDown
      ? [
          Math.round(((devServerDown as { from: number }).from - started) / 100) / 10,
          Math.round(((devServerDown as { to: number }).to - started) / 100) / 10,
        ]
      : null,
    latencySpikes: spikes.map((s) => Math.round((s.at - started) / 100) / 10),
    tdgOutage: outageRecord
      ? {
          fromSeconds: seconds(outageRecord.from),
          toSeconds: seconds(outageRecord.to),
          durationMs: outageRecord.to - outageRecord.from,
          requestsRefused: outageRecord.refused,
          refusedByRoute: outageRecord.refusedByRoute,
        }
      : null,
    log: chaosLog.map((c) => ({ atSeconds: Math.round((c.at - started) / 100) / 10, what: c.what })),
  },
  jobs: {
    started: tracked.filter((t) => t.handle).length,
    completed: completed.length,
    failed: outcomes.filter((o) => !['COMPLETED', 'RUNNING', 'NOT_STARTED'].includes(o.status)).length,
    lost: outcomes.filter((o) => o.status === 'RUNNING' || o.status === 'NOT_STARTED').length,
    wrongResult: outcomes.filter((o) => o.status === 'COMPLETED' && o.problem !== null).length,
    detectedBy,
  },
  tdgJobsCreated: {
    total: stats.jobsCreated.total,
    extraJobsByCause,
    workflowsWithOneJob: outcomes.filter((o) => o.tdgJobsCreated === 1).length,
    workflowsWithDuplicates: duplicates.length,
    duplicates,
  },
  detectionMs: {
    p50: percentile(detections, 50),
    p95: percentile(detections, 95),
    p99: percentile(detections, 99),
    worst: worst
      ? { ms: worst.detectionMs, workflowId: worst.workflowId, detectedBy: worst.detectedBy }
      : null,
    worstThree: worstDiagnoses,
  },
  targets: [
    { target: 'every job completes', met: completed.length === jobCount },
    { target: 'none lost', met: outcomes.every((o) => o.status !== 'RUNNING' && o.status !== 'NOT_STARTED') },
    {
      target: 'no duplicate outside a crash inside a createJob request',
      met: nonCrashExtra === 0,
      note:
        nonCrashExtra === 0
          ? 'every extra TDG job traces back to a kill or outage during its createJob'
          : `${nonCrashExtra} extra TDG job(s) came from createJob answers the worker could not read or did not wait for (no crash): TDG created the job, its id never reached the worker, and the API has no idempotency key or job listing to find it again`,
    },
    { target: 'no unexplained duplicate (CI gate)', met: duplicates.every((d) => d.explained) },
    {
      target: 'every extra TDG job marked as a possible duplicate (CI gate)',
      met: unmarked.length === 0,
      note: `${outcomes.filter((o) => o.markedPossibleDuplicate).length} workflow(s) marked, ${markedWithoutDuplicate} of them without an extra TDG job (an unknown outcome that had created nothing)`,
    },
  ],
  pressure: { burst, slowCreate, targets: pressureTargets },
  worker: { cpuSeconds: Math.round(workerCpuSeconds * 10) / 10, peakRssMiB: workerPeakRssMiB },
  simulator: stats,
  correctnessProblems: problems,
  totalSeconds: Math.round((Date.now() - t0) / 1000),
};

const md = [
  `# Chaos run: ${runName}`,
  '',
  `Produced by \`${report.command}\` at ${report.at} in ${report.totalSeconds} s (${machine.nproc} CPUs, node ${machine.node}, load average ${machine.loadAverage.join(' ')} → ${report.machine.loadAverageAtEnd.join(' ')}).`,
  '',
  `${jobCount} jobs (${report.settings.realDurations} real ÷${timeScale}), ${kills.length} worker SIGKILLs at ${report.chaos.kills.map((k) => `${k.atSeconds} s`).join(', ')} ` +
    `(${restarts} restarts, ${unexpectedExits.length} other exits), dev server down ${report.chaos.devServerDownSeconds ? `${report.chaos.devServerDownSeconds[0]}–${report.chaos.devServerDownSeconds[1]} s` : 'never'}, ` +
    `${spikes.length} latency spikes of ${SPIKE.latencyMs} ms, faults ${JSON.stringify(FAULTS)}.`,
  '',
  outageRecord
    ? `TDG outage (every route 503): ${formatDuration(outageRecord.to - outageRecord.from)} ` +
      `(${formatDuration(outageRealMs)} real ÷${timeScale}) at ${seconds(outageRecord.from)}–${seconds(outageRecord.to)} s, ` +
      `${outageRecord.refused} requests refused (${
        Object.entries(outageRecord.refusedByRoute)
          .map(([route, n]) => `${route} ${n}`)
          .join(', ') || 'none'
      }).`
    : 'TDG outage: none (--outage 0).',
  '',
  '| started | completed | failed | lost | wrong result | TDG jobs created | workflows with a duplicate (explained) | detection p50 | p95 | worst |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  `| ${report.jobs.started} | ${report.jobs.completed} | ${report.jobs.failed} | ${report.jobs.lost} | ${report.jobs.wrongResult} | ${stats.jobsCreated.total} | ` +
    `${duplicates.length} (${duplicates.filter((d) => d.explained).length}) | ${report.detectionMs.p50} ms | ${report.detectionMs.p95} ms | ${report.detectionMs.worst?.ms ?? '–'} ms |`,
  '',
  `Simulator: ${stats.faultsInjected.error} injected 5xx, ${stats.faultsInjected.rateLimit} 429, ${stats.faultsInjected.malformed} malformed; ` +
    `notifications ${stats.notifications.delivered} delivered, ${stats.notifications.dropped} dropped, ${stats.notifications.failed} failed. ` +
    `Worker: ${report.worker.cpuSeconds} CPU s over all its processes, peak RSS ${report.worker.peakRssMiB} MiB. Detected by: ${JSON.stringify(detectedBy)}.`,
  '',
  '| target (chaos run) | met |',
  '| --- | --- |',
  ...report.targets.map(
    (t) => `| ${t.target} | ${t.met ? 'yes' : '**no**'}${'note' in t && t.note ? ` — ${t.note}` : ''} |`,
  ),
  '',
  `Extra TDG jobs by cause: ${
    Object.keys(extraJobsByCause).length > 0
      ? Object.entries(extraJobsByCause)
          .map(([c, n]) => `${c} ${n}`)
          .join(', ')
      : 'none'
  }.`,
  '',
  'Slowest detections:',
  '',
  ...worstDiagnoses.map(
    (w) =>
      `- \`${w.workflowId}\`: ${w.detectionMs} ms (${w.detectedBy}) — ${w.why.length > 0 ? w.why.join('; ') : 'no failed attempt: waited for its poll timer (notification dropped)'}`,
  ),
  '',
  ...(duplicates.length > 0
    ? [
        'Duplicates:',
        '',
        ...duplicates.map(
          (d) => `- \`${d.workflowId}\`: ${d.tdgJobsCreated} TDG jobs — ${d.explanations.join('; ')}`,
        ),
        '',
      ]
    : ['No duplicate TDG job.', '']),
  '## Pressure phases',
  '',
  `Burst: ${burst.openJobs} open jobs, ${burst.hints} COMPLETED hints at once at ${burst.ratePerSecond} TDG calls/s ` +
    `(10× the rate's worth), ${burst.newJobs} new jobs started during it. Start-to-job-id p99 ${burst.startToJobIdMs.p99} ms ` +
    `(max ${burst.startToJobIdMs.max} ms, ${burst.startsWithoutJobId} without a job id), status query p99 ${burst.statusQueryMs.p99} ms, ` +
    `checkNow p99 ${burst.checkNowMs.p99} ms${burst.checkNowErrors.length > 0 ? ` (${burst.checkNowErrors.length} failed: ${burst.checkNowErrors[0]})` : ''}; ` +
    `longest time with no successful TDG call ${burst.longestTdgSilenceMs} ms; peak ${burst.peakCallsPerSecond} TDG calls in one second; ` +
    `history events per open job p50 ${burst.historyEventsPerJob.p50}, max ${burst.historyEventsPerJob.max}.`,
  '',
  `Slow create (request timeout ${slowCreate.requestTimeoutMs / 1000} s, ${slowCreate.windowMs / 1000} s window): ` +
    slowCreate.cases
      .map(
        (c) =>
          `createJob in ${c.createLatencyMs / 1000} s → TDG jobs per workflow ${c.tdgJobsPerWorkflow.join(', ')}, ` +
          `${c.withJobId}/${c.workflows} with a job id (p99 ${c.startToJobIdMs.p99} ms), ${c.unmarkedDuplicates} unmarked duplicate(s)`,
      )
      .join('; ') +
    '.',
  '',
  '| target (pressure phases) | met |',
  '| --- | --- |',
  ...pressureTargets.map(
    (t) => `| ${t.target} | ${t.met ? 'yes' : '**no**'}${t.note ? ` — ${t.note}` : ''} |`,
  ),
  '',
  problems.length > 0
    ? `**Correctness problems:** ${problems.join('; ')}`
    : 'Correctness: every job completed with its TDG batch list; every duplicate is explained.',
  '',
].join('\n');
writeFileSync(join(outDir, `${runName}.json`), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(outDir, `${runName}.md`), md);
process.stdout.write(`\n${md}\n`);
log(`wrote ${join(outDir, `${runName}.json`)} and .md`);

await proxy.close();
await stack.close();
bundles.remove();
rmSync(dataDir, { recursive: true, force: true });
if (problems.length > 0) {
  process.stderr.write(`CORRECTNESS FAILURE:\n  ${problems.join('\n  ')}\n`);
  process.exitCode = 1;
}
if (pressureProblems.length > 0) {
  process.stderr.write(`PRESSURE TARGETS MISSED:\n  ${pressureProblems.join('\n  ')}\n`);
  process.exitCode = 1;
}
