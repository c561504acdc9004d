/**
 * The chaos run's pressure phases, each on its own task queue and worker process:
 *
 *   - burst: a tight TDG rate limit, jobs open, then 10× the rate's worth of COMPLETED hints at
 *     once while new jobs start; measures start-to-job-id, status-query and checkNow latency
 *     during the burst, the longest time with no successful TDG call, the peak TDG call rate and
 *     the history events per job;
 *   - slow create: TDG answers createJob in 9 s and in 25 s (`[sim createLatency=…]`) against the
 *     default 7 s request timeout; counts the TDG jobs each workflow made and whether it is marked.
 *
 * Each phase returns its figures and its targets, met or not.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { TdgJobs } from '../../../src/client/tdg-jobs.js';
// The configured request timeout the pressure phases run against: the worker's default.
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../../src/tdg/index.js';
import {
  WORKFLOW_TYPE,
  hintSignal,
  statusQuery,
  type EmailAppendJobInput,
  type JobStatus,
} from '../../../src/contract/index.js';
import type { StatsView } from '../../simulator/app.js';
import type { BenchStack } from './bench-stack.js';
import { mapLimit } from './map-limit.js';
import { workflowIdOfJobName } from './sim-jobs.js';
import { distribution } from './stats.js';
import { spawnWorker, workerConfig, type WorkerProcess } from './worker-process.js';
import type { Distribution } from './report.js';

export interface PhaseContext {
  stack: BenchStack;
  bundlePath: string;
  /** Worker logs go to `<logPrefix>-<phase>-worker.log`. */
  logPrefix: string;
  quick: boolean;
  log: (message: string) => void;
}

export interface PhaseTarget {
  target: string;
  met: boolean;
  note?: string;
  /** A speed target is reported, never fails the run (timings depend on the machine's load). */
  speed?: boolean;
}

async function simStats(stack: BenchStack): Promise<StatsView> {
  return (await (await fetch(`${stack.simulator.url}/_sim/stats`)).json()) as StatsView;
}

/** Successful job calls (createJob and getJob answered 200) so far. */
function successfulCalls(stats: StatsView): number {
  return (stats.responses['GET /job']['200'] ?? 0) + (stats.responses['POST /job']['200'] ?? 0);
}

function jobCalls(stats: StatsView): number {
  return stats.requests['GET /job'] + stats.requests['POST /job'];
}

async function startWorker(
  ctx: PhaseContext,
  phase: string,
  taskQueue: string,
  opts: Parameters<typeof workerConfig>[3],
): Promise<WorkerProcess> {
  const worker = spawnWorker(
    workerConfig(ctx.stack, taskQueue, ctx.bundlePath, opts),
    `${ctx.logPrefix}-${phase}-worker.log`,
  );
  await worker.ready;
  return worker;
}

async function timed<T>(
  run: () => Promise<T>,
): Promise<{ ms: number; value: T | null; error: string | null }> {
  const started = Date.now();
  try {
    const value = await run();
    return { ms: Date.now() - started, value, error: null };
  } catch (err) {
    return { ms: Date.now() - started, value: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/** A workflow's events after `fromMs` as "+ms type(detail)", for reading where a wait went. */
async function timeline(stack: BenchStack, workflowId: string, fromMs = 0): Promise<string> {
  const { events } = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const at = (e: NonNullable<typeof events>[number]): number =>
    Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
  const start = Math.max(fromMs, at(events?.[0] ?? {}));
  return (events ?? [])
    .filter((e) => at(e) >= start)
    .map((e) => {
      const type = String(proto.temporal.api.enums.v1.EventType[e.eventType ?? 0])
        .replace(/^EVENT_TYPE_/, '')
        .toLowerCase();
      const priority = e.activityTaskScheduledEventAttributes?.priority?.priorityKey;
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      return `+${at(e) - start} ${type}${name ? `(${name}${priority ? ` p${priority}` : ''})` : ''}`;
    })
    .join(' ');
}

async function terminateAll(handles: WorkflowHandle[]): Promise<void> {
  await mapLimit(handles, 16, (h) => h.terminate('chaos pressure phase over').catch(() => undefined));
}

// ---------------------------------------------------------------------------------------- burst

export interface BurstReport {
  ratePerSecond: number;
  openJobs: number;
  hints: number;
  newJobs: number;
  startToJobIdMs: Distribution;
  startsWithoutJobId: number;
  statusQueryMs: Distribution;
  checkNowMs: Distribution;
  checkNowErrors: string[];
  /** Longest time, from the burst until the last successful call of the phase, with no successful TDG call. */
  longestTdgSilenceMs: number;
  /** Most TDG job calls (any answer) the simulator received in one second during the phase. */
  peakCallsPerSecond: number;
  /** History events of the open jobs at the end of the phase (their checks ran under the limit). */
  historyEventsPerJob: Distribution;
  /** The measured times themselves (a start without a job id counts 30 s), so runs can be pooled. */
  samples: { startToJobIdMs: number[]; checkNowMs: number[] };
  targets: PhaseTarget[];
}

export async function runBurstPhase(ctx: PhaseContext): Promise<BurstReport> {
  const { stack, log } = ctx;
  const rate = ctx.quick ? 2 : 4;
  const hints = 10 * rate;
  const newJobs = ctx.quick ? 6 : 12;
  const taskQueue = `chaos-burst-${Date.now().toString(36)}`;
  const worker = await startWorker(ctx, 'burst', taskQueue, {
    notifications: true,
    maxTdgCallsPerSecond: rate,
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  });
  const jobs = new TdgJobs(stack.client, { taskQueue });
  const tag = Date.now().toString(36);
  const handles: WorkflowHandle[] = [];
  try {
    log(`burst phase: ${hints} open jobs at ${rate} TDG calls/s`);
    const open = await mapLimit(
      Array.from({ length: hints }, (_, i) => i),
      8,
      async (i) => {
        const input: EmailAppendJobInput = {
          name: `Burst open ${i} [sim duration=1h batches=3]`,
          notificationMethod: 'POST',
        };
        const handle = await stack.client.workflow.start(WORKFLOW_TYPE, {
          workflowId: `burst-${tag}-open-${i}`,
          taskQueue,
          args: [input],
        });
        handles.push(handle);
        return handle;
      },
    );
    // Every open job has its id before the burst (10 s at the limit: one createJob each).
    const readyBy = Date.now() + 60_000;
    for (;;) {
      const statuses = await mapLimit(open, 8, (h) => h.query(statusQuery).catch(() => null));
      if (statuses.every((s) => s?.jobId) || Date.now() > readyBy) break;
      await sleep(1_000);
    }

    // Samples of the simulator's counters, for the silence and the peak rate.
    const samples: { at: number; ok: number; calls: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const stats = await simStats(stack);
        samples.push({ at: Date.now(), ok: successfulCalls(stats), calls: jobCalls(stats) });
        await sleep(200);
      }
    })();
    await sleep(400);

    const burstAt = Date.now();
    const checksBefore = await mapLimit(open, 8, async (h) => (await h.query(statusQuery)).checks);
    log(`burst: ${hints} COMPLETED hints at once, ${newJobs} new jobs over the next ${newJobs} s`);
    const hint = { method: 'POST', receivedAt: new Date().toISOString(), fields: { state: 'COMPLETED' } };
    await Promise.all(open.map((h) => h.signal(hintSignal, hint).catch(() => undefined)));

    const starts = Promise.all(
      Array.from({ length: newJobs }, async (_, i) => {
        await sleep(i * 1_000);
        return timed(async () => {
          const started = await jobs.startJob({
            name: `Burst new ${i} [sim duration=1h batches=3]`,
            workflowId: `burst-${tag}-new-${i}`,
            jobIdTimeoutMs: 30_000,
          });
          handles.push(stack.client.workflow.getHandle(started.workflowId));
          if (started.jobId === null) throw new Error('no job id within 30 s');
          return started.jobId;
        });
      }),
    );
    const queried = open.slice(0, 5);
    const queries: number[] = [];
    const queryLoop = (async () => {
      while (Date.now() - burstAt < newJobs * 1_000) {
        for (const h of queried) {
          const r = await timed(() =>
            stack.client.withDeadline(Date.now() + 30_000, () => h.query(statusQuery)),
          );
          queries.push(r.ms);
        }
        await sleep(300);
      }
    })();
    // checkNow on workflows the burst just hinted: each answers after a getJob of its own.
    const checks = Promise.all(
      open.slice(5, 10).map(async (h, i) => {
        await sleep(500 + i * 1_000);
        return timed(() => jobs.checkNow(h.workflowId));
      }),
    );
    const [startResults, checkResults] = await Promise.all([starts, checks, queryLoop]);

    // Until every hinted job has had its check, or a minute.
    const drainedBy = Date.now() + 60_000;
    let statuses: (JobStatus | null)[] = [];
    for (;;) {
      statuses = await mapLimit(open, 8, (h) => h.query(statusQuery).catch(() => null));
      if (statuses.every((s, i) => s !== null && s.checks > (checksBefore[i] ?? 0)) || Date.now() > drainedBy)
        break;
      await sleep(1_000);
    }
    await sleep(400);
    sampling = false;
    await sampler;

    const inPhase = samples.filter((s) => s.at >= burstAt);
    const lastOkAt = inPhase.reduce(
      (at, s, i) => (i > 0 && s.ok > (inPhase[i - 1]?.ok ?? 0) ? s.at : at),
      burstAt,
    );
    let longestSilence = 0;
    let lastSuccess = burstAt;
    for (let i = 1; i < inPhase.length; i++) {
      const s = inPhase[i]!;
      if (s.at > lastOkAt) break;
      if (s.ok > inPhase[i - 1]!.ok) {
        longestSilence = Math.max(longestSilence, s.at - lastSuccess);
        lastSuccess = s.at;
      }
    }
    let peak = 0;
    for (const s of samples) {
      const before = samples.find((b) => b.at >= s.at - 1_000);
      if (before) peak = Math.max(peak, s.calls - before.calls);
    }
    // Where the slowest start spent its time, from its history: what a missed target is explained by.
    const slowest = startResults.reduce<{ i: number; ms: number }>(
      (worst, r, i) => (r.ms > worst.ms ? { i, ms: r.ms } : worst),
      { i: -1, ms: -1 },
    );
    if (slowest.i >= 0)
      log(
        `burst: slowest start (${slowest.ms} ms): ${await timeline(stack, `burst-${tag}-new-${slowest.i}`)}`,
      );
    for (const h of open.slice(5, 10))
      log(`burst: checkNow target ${h.workflowId}: ${await timeline(stack, h.workflowId, burstAt)}`);
    const historyEvents = await mapLimit(open, 8, async (h) => (await h.fetchHistory()).events?.length ?? 0);

    const startMs = startResults.filter((r) => r.error === null).map((r) => r.ms);
    const startsWithoutJobId = startResults.filter((r) => r.error !== null).length;
    const startSamples = startResults.map((r) => (r.error === null ? r.ms : 30_000));
    const checkNowSamples = checkResults.map((r) => r.ms);
    const startToJobIdMs = distribution(startSamples);
    const statusQueryMs = distribution(queries);
    const checkNowMs = distribution(checkNowSamples);
    const checkNowErrors = checkResults.flatMap((r) => (r.error === null ? [] : [r.error.slice(0, 200)]));
    const unchecked = statuses.filter((s, i) => s === null || s.checks <= (checksBefore[i] ?? 0)).length;
    log(
      `burst: start-to-job-id p99 ${startToJobIdMs.p99} ms (${startMs.length}/${newJobs} with an id), status p99 ${statusQueryMs.p99} ms, ` +
        `checkNow p99 ${checkNowMs.p99} ms, longest TDG silence ${longestSilence} ms, peak ${peak} calls/s, ` +
        `${unchecked} hinted job(s) still unchecked`,
    );
    const p99Target = (what: string, d: Distribution): PhaseTarget => ({
      target: `${what} p99 ≤ 2 s during a burst of 10× the rate's worth of hints`,
      met: d.p99 <= 2_000,
      note: `p99 ${d.p99} ms, max ${d.max} ms`,
      speed: true,
    });
    return {
      ratePerSecond: rate,
      openJobs: open.length,
      hints,
      newJobs,
      startToJobIdMs,
      startsWithoutJobId,
      statusQueryMs,
      checkNowMs,
      checkNowErrors,
      longestTdgSilenceMs: longestSilence,
      peakCallsPerSecond: peak,
      historyEventsPerJob: distribution(historyEvents),
      samples: { startToJobIdMs: startSamples, checkNowMs: checkNowSamples },
      targets: [
        p99Target('start-to-job-id', startToJobIdMs),
        p99Target('status query', statusQueryMs),
        p99Target('checkNow', checkNowMs),
        {
          target: 'every hinted job checked within a minute of the burst (no stall)',
          met: unchecked === 0,
          note: `${unchecked} of ${open.length} unchecked; longest TDG silence ${longestSilence} ms`,
        },
      ],
    };
  } finally {
    await terminateAll(handles);
    await worker.stop();
  }
}

// ----------------------------------------------------------------------------------- slow create

export interface SlowCreateCase {
  createLatencyMs: number;
  workflows: number;
  /** TDG jobs each workflow made (simulator's jobsCreated.byName). */
  tdgJobsPerWorkflow: number[];
  withJobId: number;
  /** Workflows with more than one TDG job that are not marked possibleDuplicateTdgJob. */
  unmarkedDuplicates: number;
  startToJobIdMs: Distribution;
}

export interface SlowCreateReport {
  requestTimeoutMs: number;
  windowMs: number;
  cases: SlowCreateCase[];
  targets: PhaseTarget[];
}

export async function runSlowCreatePhase(ctx: PhaseContext): Promise<SlowCreateReport> {
  const { stack, log } = ctx;
  const perCase = ctx.quick ? 3 : 6;
  const latencies = [9_000, 25_000];
  // 25 s: a first attempt cut at 7 s, a short backoff, then one given the time TDG needs (33 s).
  const windowMs = ctx.quick ? 50_000 : 120_000;
  const taskQueue = `chaos-slow-${Date.now().toString(36)}`;
  const worker = await startWorker(ctx, 'slow-create', taskQueue, {
    notifications: false,
    maxTdgCallsPerSecond: 100,
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  });
  const tag = Date.now().toString(36);
  const handles: WorkflowHandle[] = [];
  try {
    log(
      `slow-create phase: TDG answers createJob in ${latencies.map((l) => `${l / 1000} s`).join(' and ')} ` +
        `(request timeout ${DEFAULT_REQUEST_TIMEOUT_MS / 1000} s), ${perCase} workflows each, for ${windowMs / 1000} s`,
    );
    const started = Date.now();
    const runs = latencies.flatMap((latency) =>
      Array.from({ length: perCase }, (_, i) => ({
        latency,
        workflowId: `slow-${tag}-${latency / 1000}s-${i}`,
      })),
    );
    for (const run of runs) {
      const input: EmailAppendJobInput = {
        name: `Slow create [sim createLatency=${run.latency}ms duration=1h batches=2]`,
        notificationMethod: null,
      };
      handles.push(
        await stack.client.workflow.start(WORKFLOW_TYPE, {
          workflowId: run.workflowId,
          taskQueue,
          args: [input],
        }),
      );
    }
    const jobIdAt = new Map<string, number>();
    const marked = new Map<string, boolean>();
    while (Date.now() - started < windowMs) {
      await mapLimit(handles, 8, async (h) => {
        const status = await h.query(statusQuery).catch(() => null);
        if (status?.jobId && !jobIdAt.has(h.workflowId)) jobIdAt.set(h.workflowId, Date.now() - started);
        if (status) marked.set(h.workflowId, status.possibleDuplicateTdgJob);
      });
      if (jobIdAt.size === runs.length) break;
      await sleep(1_000);
    }
    // Attempts still in flight may create one more job each: count them when their answer is due.
    await sleep(Math.min(5_000, Math.max(0, windowMs - (Date.now() - started))));
    await mapLimit(handles, 8, async (h) => {
      const status = await h.query(statusQuery).catch(() => null);
      if (status) marked.set(h.workflowId, status.possibleDuplicateTdgJob);
    });
    const stats = await simStats(stack);
    const created = new Map<string, number>();
    for (const [name, count] of Object.entries(stats.jobsCreated.byName)) {
      const id = workflowIdOfJobName(name);
      if (id) created.set(id, (created.get(id) ?? 0) + count);
    }
    const cases: SlowCreateCase[] = latencies.map((latency) => {
      const mine = runs.filter((r) => r.latency === latency);
      const perWorkflow = mine.map((r) => created.get(r.workflowId) ?? 0);
      return {
        createLatencyMs: latency,
        workflows: mine.length,
        tdgJobsPerWorkflow: perWorkflow,
        withJobId: mine.filter((r) => jobIdAt.has(r.workflowId)).length,
        unmarkedDuplicates: mine.filter(
          (r) => (created.get(r.workflowId) ?? 0) > 1 && marked.get(r.workflowId) !== true,
        ).length,
        startToJobIdMs: distribution(mine.map((r) => jobIdAt.get(r.workflowId) ?? windowMs)),
      };
    });
    for (const c of cases) {
      log(
        `slow create ${c.createLatencyMs / 1000} s: TDG jobs per workflow ${c.tdgJobsPerWorkflow.join(', ')}; ` +
          `${c.withJobId}/${c.workflows} with a job id; ${c.unmarkedDuplicates} duplicate(s) unmarked`,
      );
    }
    return {
      requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
      windowMs,
      cases,
      targets: cases.flatMap((c) => [
        {
          target: `createJob answered in ${c.createLatencyMs / 1000} s: ≤ 2 TDG jobs per workflow`,
          met: Math.max(...c.tdgJobsPerWorkflow) <= 2,
          note: `TDG jobs per workflow: ${c.tdgJobsPerWorkflow.join(', ')}`,
        },
        {
          target: `createJob answered in ${c.createLatencyMs / 1000} s: every workflow with 2 TDG jobs is marked possibleDuplicateTdgJob`,
          met: c.unmarkedDuplicates === 0,
          note: `${c.unmarkedDuplicates} unmarked`,
        },
        {
          target: `createJob answered in ${c.createLatencyMs / 1000} s: every workflow gets its job id`,
          met: c.withJobId === c.workflows,
          note: `${c.withJobId}/${c.workflows} within ${windowMs / 1000} s; p99 ${c.startToJobIdMs.p99} ms`,
        },
      ]),
    };
  } finally {
    await terminateAll(handles);
    await worker.stop();
  }
}
