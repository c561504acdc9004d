/**
 * `npm run bench`: the same seeded set of simulated TDG jobs through four ways of waiting for them,
 * side by side on one Temporal engine (the dev server, or `--engine cluster`: PostgreSQL and
 * temporal-server as `npm run cluster` runs them), simulator and listener, each strategy on its own
 * worker process:
 *
 *   (a) ours            emailAppendJob: adaptive polling, woken by notifications
 *   (b) ours-polling    emailAppendJob with notificationMethod null
 *   (c) timer-loop      while (!terminal) { getJob; sleep(fixed) }
 *   (d) activity-retry  one activity retried every `fixed` (Temporal's "infrequent polling")
 *
 * Time is compressed by --time-scale (default 10; 20 for a scale run): job durations, our polling policy and the fixed
 * interval are all divided by it, and the worker-wide TDG rate limit multiplied by it, so every
 * strategy sees the same (scaled) jobs and caps. Writes the summaries to tooling/bench/results/<name>.{json,md,svg}
 * and the per-job samples, the logs and the PNG to .data/bench/ (gitignored; --out: next to the summaries).
 * Exits non-zero only on a correctness failure (a job lost or failed, or a duplicate TDG job).
 *
 * Options: see USAGE below (`npm run bench -- --help`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { formatDuration } from '../../src/contract/index.js';
import { mulberry32 } from '../../src/platform/prng.js';
import type { PollingPolicy } from '../../src/contract/definitions.js';
import { DEFAULT_POLLING_POLICY } from '../../workflows/schedule.js';
import { DEFAULT_WORKER_MAX_CACHED_WORKFLOWS } from '../../src/worker/config.js';
import {
  durationFlag,
  durationRangeFlag,
  flagValue,
  numberFlag,
  parseCommandLine,
  RUN_FLAGS,
  UsageError,
} from './lib/args.js';
import { buildBundles } from './lib/bundles.js';
import { renderChart } from './lib/chart.js';
import { startBenchStack } from './lib/bench-stack.js';
import { engineFlags } from './lib/engine.js';
import { EngineMonitor } from './lib/engine-usage.js';
import { historyStats, type HistoryStats } from './lib/history-stats.js';
import { ACTION_KINDS, type ActionCounts } from './lib/actions.js';
import { actionMetricBaseline, checkActions } from './lib/actions-check.js';
import { planJobs, type PlannedJob } from './lib/job-plan.js';
import { machineDescription } from './lib/machine.js';
import { mapLimit } from './lib/map-limit.js';
import { outputDir, rawOutputDir } from './lib/paths.js';
import { selfUsage, type ProcessUsage } from './lib/process-usage.js';
import { renderMarkdown, type BenchReport, type StrategyResult, type TargetCheck } from './lib/report.js';
import { jobsByWorkflow } from './lib/sim-jobs.js';
import { distribution, percentile } from './lib/stats.js';
import {
  parseStrategies,
  scaledPollingPolicy,
  startStrategy,
  STRATEGIES,
  STRATEGY_IDS,
  type StrategyId,
} from './lib/strategies.js';
import { spawnWorker, workerConfig, type WorkerProcess } from './lib/worker-process.js';

const USAGE = `usage: npm run bench -- [options]
  --jobs N             jobs per strategy (default 100; --quick 8); 1000 or more is a scale run (ours only)
  --strategies LIST    comma-separated, of ${STRATEGY_IDS.join(', ')}
                       or their letters a-d (default all; scale run: ours)
  --durations LO..HI   real job durations, log-uniform (default 10s..30m; --quick 10s..8m; scale 20m..60m)
  --time-scale N       time divided by N (default 10; --quick 60; scale 20)
  --fixed-interval D   real interval of (c) and (d) (default ${formatDuration(DEFAULT_POLLING_POLICY.maxIntervalMs)}, our cap without notifications)
  --max-tdg-rps N      TDG calls per second per worker (default 20 × time scale)
  --max-cached N       workflows in each worker's sticky cache (default: WORKER_MAX_CACHED_WORKFLOWS's, 5000)
  --ramp D             starts spread evenly over D (default 60s; --quick 3s; scale 0s)
  --warmup N           uncounted jobs per worker first (default 2)
  --notify MODE        how TDG notifies: changes (every state change, default) or terminal (once, at the end)
  --drop R             share of notifications the simulator drops, 0..1 (default 0)
  --seed N             seed of the job set (default 6)
  --engine dev|cluster the Temporal engine: the CLI's dev server (default), or PostgreSQL + temporal-server
                       as \`npm run cluster\` runs them (a new database in a temp folder; name gets -cluster)
  --servers N          temporal-server processes in one ring (--engine cluster; default 1)
  --plaintext          --engine cluster without mutual TLS and without the payload codec (by default
                       it runs both, as production does): to measure what they cost
  --sequential         one strategy after the other instead of side by side
  --name NAME          result file name (default benchmark[-N], scale-N, quick)
  --out DIR            result folder (default tooling/bench/results/; --quick: a new temp dir)
  --quick              the CI variant
  -h, --help           this text`;

// ---------------------------------------------------------------- options
const {
  jobsPerStrategy,
  scaleRun,
  strategies,
  timeScale,
  realRange: [realLoMs, realHiMs],
  fixedRealMs,
  maxTdgRps,
  maxCached,
  seed,
  sequential,
  rampMs,
  warmupJobs,
  notifyMode,
  dropRate,
  runName,
  outDir,
  engine,
  servers,
  plaintext,
} = parseCommandLine(
  {
    usage: USAGE,
    options: {
      ...RUN_FLAGS,
      strategies: { type: 'string' },
      'fixed-interval': { type: 'string' },
      'max-tdg-rps': { type: 'string' },
      'max-cached': { type: 'string' },
      warmup: { type: 'string' },
      notify: { type: 'string' },
      drop: { type: 'string' },
      sequential: { type: 'boolean', default: false },
      engine: { type: 'string' },
      servers: { type: 'string' },
      plaintext: { type: 'boolean', default: false },
    },
  },
  ({ values }) => {
    const quick = values.quick;
    const { engine, servers } = engineFlags(values.engine, values.servers);
    const jobsPerStrategy = numberFlag('--jobs', values.jobs, quick ? 8 : 100, { integer: true });
    const scaleRun = jobsPerStrategy >= 1000;
    const timeScale = numberFlag('--time-scale', values['time-scale'], quick ? 60 : scaleRun ? 20 : 10);
    const name =
      values.name ??
      (quick
        ? 'quick'
        : scaleRun
          ? `scale-${jobsPerStrategy}`
          : `benchmark${jobsPerStrategy === 100 ? '' : `-${jobsPerStrategy}`}`) +
        (engine === 'cluster' ? '-cluster' : '');
    if (values.plaintext && engine !== 'cluster') throw new UsageError('--plaintext needs --engine cluster');
    return {
      engine,
      servers,
      plaintext: values.plaintext,
      jobsPerStrategy,
      scaleRun,
      strategies: flagValue('--strategies', () =>
        parseStrategies(values.strategies ?? (scaleRun ? 'ours' : STRATEGY_IDS.join(','))),
      ),
      timeScale,
      realRange: durationRangeFlag(
        '--durations',
        values.durations ?? (quick ? '10s..8m' : scaleRun ? '20m..60m' : '10s..30m'),
      ),
      fixedRealMs: durationFlag(
        '--fixed-interval',
        values['fixed-interval'] ?? formatDuration(DEFAULT_POLLING_POLICY.maxIntervalMs),
      ),
      maxTdgRps: numberFlag('--max-tdg-rps', values['max-tdg-rps'], 20 * timeScale),
      maxCached:
        values['max-cached'] === undefined
          ? undefined
          : numberFlag('--max-cached', values['max-cached'], 0, { integer: true }),
      seed: numberFlag('--seed', values.seed, 6, { integer: true, zero: true }),
      sequential: values.sequential,
      rampMs: durationFlag('--ramp', values.ramp ?? (quick ? '3s' : scaleRun ? '0s' : '60s')),
      warmupJobs: numberFlag('--warmup', values.warmup, 2, { integer: true, zero: true }),
      notifyMode: flagValue('--notify', () => notifyModeOf(values.notify ?? 'changes')),
      dropRate: flagValue('--drop', () => rateOf(values.drop ?? '0')),
      runName: name,
      outDir: outputDir(values.out, quick, 'tdg-bench-quick-'),
    };
  },
);

function notifyModeOf(text: string): 'changes' | 'terminal' {
  if (text === 'changes' || text === 'terminal') return text;
  throw new Error(`must be changes or terminal, not ${JSON.stringify(text)}`);
}

function rateOf(text: string): number {
  const rate = Number(text);
  if (text.trim() === '' || !(rate >= 0 && rate <= 1))
    throw new Error(`must be a number in 0..1, not ${JSON.stringify(text)}`);
  return rate;
}

const polling: PollingPolicy = scaledPollingPolicy(timeScale);
const fixedIntervalMs = Math.round(fixedRealMs / timeScale);

// ---------------------------------------------------------------- the job set
const plan: PlannedJob[] = planJobs(mulberry32(seed), jobsPerStrategy, [realLoMs, realHiMs], timeScale);
const maxSimMs = Math.max(...plan.map((p) => p.simMs));

const log = (message: string): void => {
  process.stdout.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${message}\n`);
};
const t0 = Date.now();
mkdirSync(outDir, { recursive: true });
const rawDir = rawOutputDir(outDir);
const machine = machineDescription();
log(
  `${strategies.length} strategies × ${jobsPerStrategy} jobs; durations ${formatDuration(realLoMs)}..${formatDuration(realHiMs)} ` +
    `real, time ÷${timeScale} → ${formatDuration(Math.min(...plan.map((p) => p.simMs)))}..${formatDuration(maxSimMs)}; ` +
    `fixed interval ${formatDuration(fixedRealMs)} → ${formatDuration(fixedIntervalMs)}; TDG ≤ ${maxTdgRps}/s per worker; ` +
    `load average ${machine.loadAverage.join(' ')}`,
);

// ---------------------------------------------------------------- the stack
const runId = Date.now().toString(36);
const [stack, bundles] = await Promise.all([
  startBenchStack({
    seed,
    engine,
    servers,
    plaintext,
    devServerLog: join(rawDir, `${runName}-dev-server.log`),
    clusterLogPrefix: join(rawDir, runName),
    say: log,
  }),
  buildBundles({
    ours: strategies.some((s) => STRATEGIES[s].bundle === 'ours'),
    bench: strategies.some((s) => STRATEGIES[s].bundle === 'bench'),
  }),
]);
if (dropRate > 0) stack.simulator.simulator.setFaults({ dropNotificationRate: dropRate });
log(
  `${stack.engine.description} ${stack.engine.address}, simulator ${stack.simulator.url}, listener ${stack.listener.url}; bundles built`,
);

interface Tracked {
  strategy: StrategyId;
  job: PlannedJob;
  workflowId: string;
  handle?: WorkflowHandleWithFirstExecutionRunId;
  startedAt: number;
  startError: string | null;
  /** Filled in after the run from the workflow's history and result. */
  status: string | null;
  closeTime: number | null;
  detectedBy: string | null;
  error: string | null;
}

interface StrategyRun {
  strategy: StrategyId;
  taskQueue: string;
  worker: WorkerProcess;
  baseline: ProcessUsage;
  end?: ProcessUsage;
  tracked: Tracked[];
  startedAt: number;
  finishedAt: number;
}

let peakOpen = 0;

/** Open workflows on a task queue, from visibility (no long-polls: they would share the client's connection). */
async function openCount(taskQueue: string): Promise<number> {
  const { count } = await stack.client.workflow.count(
    `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
  );
  return count;
}

async function runStrategies(ids: StrategyId[]): Promise<StrategyRun[]> {
  const runs: StrategyRun[] = [];
  for (const strategy of ids) {
    const info = STRATEGIES[strategy];
    const taskQueue = `bench-${strategy}-${runId}`;
    const worker = spawnWorker(
      workerConfig(stack, taskQueue, info.bundle === 'ours' ? bundles.ours : bundles.bench, {
        notifications: info.notifications,
        maxTdgCallsPerSecond: maxTdgRps,
        ...(maxCached === undefined ? {} : { maxCachedWorkflows: maxCached }),
      }),
      join(rawDir, `${runName}-worker-${strategy}.log`),
    );
    runs.push({
      strategy,
      taskQueue,
      worker,
      baseline: { cpuSeconds: 0, peakRssBytes: 0, rssBytes: 0 },
      tracked: [],
      startedAt: 0,
      finishedAt: 0,
    });
  }
  await Promise.all(runs.map((r) => r.worker.ready));
  log(`workers ready: ${runs.map((r) => `${r.strategy} pid ${r.worker.pid}`).join(', ')}`);

  // Warm-up: a few tiny jobs per worker first, so cold starts (bundle load, JIT, first token) are not measured.
  await Promise.all(
    runs.flatMap((run) =>
      Array.from({ length: warmupJobs }, async (_, i) => {
        const handle = await startStrategy(stack.client, run.strategy, {
          workflowId: `warmup-${runId}-${run.strategy}-${i}`,
          taskQueue: run.taskQueue,
          name: `Warm-up ${i} [sim duration=100ms batches=1]`,
          polling,
          fixedIntervalMs: 1_000,
        });
        await handle.result();
      }),
    ),
  );
  for (const run of runs) run.baseline = run.worker.usage();
  if (warmupJobs > 0) log(`warm-up done (${warmupJobs} jobs per worker, not counted)`);

  // Job i of every strategy starts at the same moment; jobs start in a seeded random order,
  // spread evenly over the ramp (0: as fast as the client can start them).
  const shuffle = mulberry32(seed + 1);
  const jobOrder = plan.map((job) => ({ job, key: shuffle.next() })).sort((a, b) => a.key - b.key);
  const order = jobOrder.flatMap(({ job }, position) => runs.map((run) => ({ run, job, position })));
  const startAll = Date.now();
  for (const run of runs) run.startedAt = startAll;
  let started = 0;
  const starting = mapLimit(order, 32, async ({ run, job, position }) => {
    const due = startAll + (rampMs * position) / plan.length;
    if (due > Date.now()) await sleep(due - Date.now());
    const tracked: Tracked = {
      strategy: run.strategy,
      job,
      workflowId: `bench-${runId}-${run.strategy}-${job.index}`,
      startedAt: Date.now(),
      startError: null,
      status: null,
      closeTime: null,
      detectedBy: null,
      error: null,
    };
    run.tracked.push(tracked);
    try {
      tracked.handle = await startStrategy(stack.client, run.strategy, {
        workflowId: tracked.workflowId,
        taskQueue: run.taskQueue,
        name: `Bench job ${job.index} [sim duration=${job.simMs}ms batches=${job.batches} notify=${notifyMode}]`,
        polling,
        fixedIntervalMs,
      });
      started++;
    } catch (error) {
      tracked.startError = (error as Error).message;
    }
  });
  let startsDone = false;
  void starting.then(() => {
    startsDone = true;
    log(`${started} workflows started in ${((Date.now() - startAll) / 1000).toFixed(1)} s`);
  });

  // Generous: a run that stalls must end (and report what is still open), a slow one must not be cut short.
  const budgetMs =
    rampMs +
    maxSimMs +
    3 * Math.max(fixedIntervalMs, polling.maxIntervalMs) +
    120_000 +
    order.length * (scaleRun ? 150 : 20);
  const deadline = startAll + budgetMs;
  let lastReport = Date.now();
  for (;;) {
    await sleep(1_000);
    let open: number;
    try {
      open = (await Promise.all(runs.map((run) => openCount(run.taskQueue)))).reduce((a, b) => a + b, 0);
    } catch {
      continue;
    }
    peakOpen = Math.max(peakOpen, open);
    if ((startsDone && open === 0) || Date.now() > deadline) break;
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      log(`${started - open} of ${order.length} closed, ${open} open`);
    }
  }
  await starting;
  for (const run of runs) run.end = run.worker.usage();
  await Promise.all(runs.map((run) => run.worker.stop()));
  return runs;
}

// temporal-server's own count of billable actions, read again after the run (lib/actions-check.ts).
const actionBaseline = await actionMetricBaseline(stack.engine.metricsUrl(), stack.engine.namespace);
if (actionBaseline.problem) log(`no server action counter: ${actionBaseline.problem}`);

// The machine is shared: sample the load average during the run so disturbed figures can be recognised.
const loadSamples: number[] = [];
const loadSampler = setInterval(() => loadSamples.push(loadavg()[0] ?? 0), 5_000);
loadSampler.unref();
const engineMonitor = new EngineMonitor(stack.engine.processes);
engineMonitor.start();
const selfBefore = selfUsage();
const runs: StrategyRun[] = [];
if (sequential) for (const strategy of strategies) runs.push(...(await runStrategies([strategy])));
else runs.push(...(await runStrategies(strategies)));
const engineUsage = engineMonitor.stop();
clearInterval(loadSampler);
const selfAfter = selfUsage();
log('all strategies done; reading histories, results and simulator records');

// ---------------------------------------------------------------- measurements
const simJobs = jobsByWorkflow(stack.simulator.simulator.jobs());
const histories = new Map<string, HistoryStats>();
const everyTracked = runs.flatMap((r) => r.tracked);
await mapLimit(everyTracked, 16, async (t) => {
  if (!t.handle) return;
  try {
    const history = await historyStats(stack.client, t.workflowId, t.handle.firstExecutionRunId);
    histories.set(t.workflowId, history);
    t.status = history.status;
    t.closeTime = history.closeTime;
    if (history.status === 'COMPLETED') {
      const result = (await stack.client.workflow.getHandle(t.workflowId).result()) as {
        detectedBy?: string;
      };
      t.detectedBy = result.detectedBy ?? null;
    } else if (history.status !== 'RUNNING') {
      t.error = `workflow ${history.status}`;
    }
  } catch (error) {
    t.error = `reading the outcome: ${(error as Error).message}`;
  }
});
for (const run of runs) {
  const closes = run.tracked.map((t) => t.closeTime).filter((v): v is number => v !== null);
  run.finishedAt = closes.length > 0 ? Math.max(...closes) : Date.now();
}

interface JobSample {
  workflowId: string;
  scaledDurationMs: number;
  getJobCalls: number;
  tdgJobs: number;
  detectionMs: number | null;
  detectedBy: string | null;
  historyEvents: number | null;
  workflowTasks: number | null;
  maxWorkflowTaskWaitMs: number | null;
  maxActivityTaskWaitMs: number | null;
  activityRetries: number | null;
  /** Billable actions of the job's workflow (every run), by Temporal Cloud's rules. */
  actions: number | null;
}
const samples: Record<string, JobSample[]> = {};

const results: StrategyResult[] = runs.map((run) => {
  const perJob: JobSample[] = (samples[run.strategy] = []);
  const tracked = run.tracked;
  const completed = tracked.filter((t) => t.status === 'COMPLETED');
  const latency: number[] = [];
  const calls: number[] = [];
  let duplicates = 0;
  let events = 0;
  let workflowTasks = 0;
  let continuedAsNew = 0;
  let realJobHours = 0;
  let openHours = 0;
  const actions: number[] = [];
  const actionsByKind = Object.fromEntries(ACTION_KINDS.map((k) => [k, 0])) as ActionCounts;
  for (const t of tracked) {
    const jobs = simJobs.get(t.workflowId) ?? [];
    if (jobs.length > 1) duplicates += jobs.length - 1;
    calls.push(jobs.reduce((sum, j) => sum + j.getJobCalls, 0));
    const terminalAt = jobs[0]?.terminalAt ? Date.parse(jobs[0].terminalAt) : null;
    // The TDG job's own run time: the same for every strategy, however late each one notices the end.
    if (jobs[0] && terminalAt !== null) {
      realJobHours += ((terminalAt - Date.parse(jobs[0].createdAt)) * timeScale) / 3_600_000;
    }
    const history = histories.get(t.workflowId);
    if (history) {
      events += history.events;
      workflowTasks += history.workflowTasks;
      continuedAsNew += history.runs - 1;
      for (const kind of ACTION_KINDS) actionsByKind[kind] += history.actions[kind];
      actions.push(ACTION_KINDS.reduce((sum, kind) => sum + history.actions[kind], 0));
      if (history.closeTime !== null) {
        openHours += ((history.closeTime - history.startTime) * timeScale) / 3_600_000;
      }
    }
    const detection =
      t.status === 'COMPLETED' && t.closeTime !== null && terminalAt !== null
        ? t.closeTime - terminalAt
        : null;
    if (detection !== null) latency.push(detection);
    perJob.push({
      workflowId: t.workflowId,
      scaledDurationMs: t.job.simMs,
      getJobCalls: calls.at(-1) ?? 0,
      tdgJobs: jobs.length,
      detectionMs: detection,
      detectedBy: t.detectedBy,
      historyEvents: history?.events ?? null,
      workflowTasks: history?.workflowTasks ?? null,
      maxWorkflowTaskWaitMs: history?.maxWorkflowTaskWaitMs ?? null,
      maxActivityTaskWaitMs: history?.maxActivityTaskWaitMs ?? null,
      activityRetries: history?.activityRetries ?? null,
      actions: history ? (actions.at(-1) ?? null) : null,
    });
  }
  const cpuSeconds = (run.end?.cpuSeconds ?? 0) - run.baseline.cpuSeconds;
  const wallSeconds = (run.finishedAt - run.startedAt) / 1000;
  const detectedBy: Record<string, number> = {};
  const byTrigger = new Map<string, number[]>();
  for (const t of completed) {
    if (!t.detectedBy) continue;
    detectedBy[t.detectedBy] = (detectedBy[t.detectedBy] ?? 0) + 1;
    const sample = perJob.find((j) => j.workflowId === t.workflowId)?.detectionMs;
    if (sample != null) byTrigger.set(t.detectedBy, [...(byTrigger.get(t.detectedBy) ?? []), sample]);
  }
  return {
    strategy: run.strategy,
    letter: STRATEGIES[run.strategy].letter,
    label: STRATEGIES[run.strategy].label,
    jobs: tracked.length,
    completed: completed.length,
    failed: tracked.filter((t) => t.status !== null && t.status !== 'COMPLETED' && t.status !== 'RUNNING')
      .length,
    // Never started, or its outcome could not be read.
    lost: tracked.filter((t) => t.status === null).length,
    // Still running when the run's deadline came (progressing, but the stack could not keep up).
    unfinished: tracked.filter((t) => t.status === 'RUNNING').length,
    errors: tracked
      .filter((t) => t.error || t.startError)
      .slice(0, 5)
      .map((t) => `${t.workflowId}: ${t.error ?? `could not start: ${t.startError}`}`),
    duplicateTdgJobs: duplicates,
    getJobCallsPerJob: distribution(calls),
    detectionMs: distribution(latency),
    detectedBy,
    detectionByTriggerMs: Object.fromEntries(
      [...byTrigger].map(([trigger, values]) => [trigger, distribution(values)]),
    ),
    workflowTaskWaitMs: distribution(perJob.map((j) => j.maxWorkflowTaskWaitMs ?? 0)),
    activityTaskWaitMs: distribution(perJob.map((j) => j.maxActivityTaskWaitMs ?? 0)),
    historyEventsPerJob: Math.round((events / (tracked.length || 1)) * 10) / 10,
    actionsPerJob: distribution(actions),
    actionsByKindPerJob: Object.fromEntries(
      ACTION_KINDS.map((k) => [k, Math.round((actionsByKind[k] / (actions.length || 1)) * 100) / 100]),
    ) as ActionCounts,
    actionsPerJobHour: Math.round((actions.reduce((a, b) => a + b, 0) / (realJobHours || 1)) * 10) / 10,
    historyEventsPerJobHour: Math.round((events / (realJobHours || 1)) * 10) / 10,
    realJobHours: Math.round(realJobHours * 100) / 100,
    historyEventsPerOpenHour: Math.round((events / (openHours || 1)) * 10) / 10,
    openWorkflowHours: Math.round(openHours * 100) / 100,
    workflowTasksPerJob: Math.round((workflowTasks / (tracked.length || 1)) * 10) / 10,
    workflowTasksTotal: workflowTasks,
    continuedAsNew,
    /** Workflow tasks and activity attempts (polls included) per second of the run: what the server sustained. */
    tasksPerSecond:
      Math.round(
        ((workflowTasks + calls.reduce((a, b) => a + b, 0) + tracked.length) / (wallSeconds || 1)) * 10,
      ) / 10,
    workerCpuSeconds: Math.round(cpuSeconds * 100) / 100,
    workerCpuMsPerJob: Math.round((cpuSeconds * 1000) / (tracked.length || 1)),
    workerPeakRssMiB: Math.round((run.end?.peakRssBytes ?? 0) / 2 ** 20),
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    jobsPerSecond: Math.round((completed.length / (wallSeconds || 1)) * 100) / 100,
  };
});

const byId = new Map(results.map((r) => [r.strategy, r]));
const ours = byId.get('ours');
const ratio = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000;
const ratios = ours
  ? results
      .filter((r) => r.strategy !== 'ours')
      .map((r) => ({
        versus: r.strategy,
        getJobCallsPerJob: ratio(ours.getJobCallsPerJob.mean, r.getJobCallsPerJob.mean),
        detectionP50: ratio(ours.detectionMs.p50, r.detectionMs.p50),
        detectionP99: ratio(ours.detectionMs.p99, r.detectionMs.p99),
        historyEventsPerJobHour: ratio(ours.historyEventsPerJobHour, r.historyEventsPerJobHour),
        workflowTasksPerJob: ratio(ours.workflowTasksPerJob, r.workflowTasksPerJob),
        workerCpuSeconds: ratio(ours.workerCpuSeconds, r.workerCpuSeconds),
      }))
  : [];

// ---------------------------------------------------------------- targets (notification modes)
const timerLoop = byId.get('timer-loop');
const activityRetry = byId.get('activity-retry');
const oursPolling = byId.get('ours-polling');
const targets: TargetCheck[] = [];
// With notifications, the safety-net poll's cap bounds detection of a job whose notifications were lost.
const safetyNetCapMs = polling.maxIntervalWithNotificationsMs;
if (ours && dropRate === 0 && !scaleRun) {
  targets.push({
    target: 'with notifications delivered, detection p50 ≤ 100 ms',
    met: ours.detectionMs.p50 <= 100,
    measured: `${ours.detectionMs.p50} ms`,
  });
  targets.push({
    target: 'with notifications delivered, detection p99 ≤ 500 ms',
    met: ours.detectionMs.p99 <= 500,
    measured: `${ours.detectionMs.p99} ms`,
  });
}
if (ours && dropRate > 0) {
  targets.push({
    target: `with ${Math.round(dropRate * 100)} % of notifications dropped, median detection ≤ 1 s`,
    met: ours.detectionMs.p50 <= 1_000,
    measured: `${ours.detectionMs.p50} ms`,
  });
  targets.push({
    target: `with ${Math.round(dropRate * 100)} % dropped, worst detection ≤ the safety-net cap (${formatDuration(safetyNetCapMs)} here = ${formatDuration(safetyNetCapMs * timeScale)} real)`,
    met: ours.detectionMs.max <= safetyNetCapMs,
    measured: `${ours.detectionMs.max} ms`,
  });
}
if (ours && timerLoop) {
  targets.push({
    target: 'getJob calls per job ≤ (c)',
    met: ours.getJobCallsPerJob.mean <= timerLoop.getJobCallsPerJob.mean,
    measured: `${ours.getJobCallsPerJob.mean} vs ${timerLoop.getJobCallsPerJob.mean} (×${ratio(ours.getJobCallsPerJob.mean, timerLoop.getJobCallsPerJob.mean)})`,
  });
  targets.push({
    target: 'history events per TDG job-hour ≤ (c)',
    met: ours.historyEventsPerJobHour <= timerLoop.historyEventsPerJobHour,
    measured: `${ours.historyEventsPerJobHour} vs ${timerLoop.historyEventsPerJobHour} (×${ratio(ours.historyEventsPerJobHour, timerLoop.historyEventsPerJobHour)})`,
  });
}
if (ours && activityRetry) {
  targets.push({
    target: 'stretch: history events per TDG job-hour ≤ (d)',
    met: ours.historyEventsPerJobHour <= activityRetry.historyEventsPerJobHour,
    measured: `${ours.historyEventsPerJobHour} vs ${activityRetry.historyEventsPerJobHour} (×${ratio(ours.historyEventsPerJobHour, activityRetry.historyEventsPerJobHour)})`,
  });
}
// Billable actions: what a job costs in the unit Temporal Cloud bills.
const others = results.filter((r) => r.strategy !== 'ours');
if (ours && others.length > 0) {
  const cheapest = others.reduce((a, b) => (b.actionsPerJob.mean < a.actionsPerJob.mean ? b : a));
  targets.push({
    target: 'billable actions per job, ours (a) the lowest of all strategies',
    met: others.every((r) => ours.actionsPerJob.mean < r.actionsPerJob.mean),
    measured: `${ours.actionsPerJob.mean} vs ${others.map((r) => `(${r.letter}) ${r.actionsPerJob.mean}`).join(', ')} (lowest other: (${cheapest.letter}))`,
  });
}
if (oursPolling) {
  targets.push({
    target: `(b) worst-case detection ≤ its cap (${formatDuration(polling.maxIntervalMs)} here = ${formatDuration(DEFAULT_POLLING_POLICY.maxIntervalMs)} real)`,
    met: oursPolling.detectionMs.max <= polling.maxIntervalMs,
    measured: `max ${oursPolling.detectionMs.max} ms`,
  });
}
if (scaleRun && ours) {
  const p99Target = jobsPerStrategy >= 5_000 ? 30_000 : 2_000;
  targets.push({
    target: `${jobsPerStrategy} concurrent open jobs: detection p99 ≤ ${formatDuration(p99Target)}`,
    met: ours.detectionMs.p99 <= p99Target,
    measured: `${ours.detectionMs.p99} ms`,
  });
}
if (scaleRun && ours) {
  targets.push({
    target: `${jobsPerStrategy} concurrent jobs all complete with worker RSS ≤ 1 GiB`,
    met: ours.completed === ours.jobs && ours.workerPeakRssMiB <= 1024,
    measured: `${ours.completed}/${ours.jobs} completed, peak RSS ${ours.workerPeakRssMiB} MiB`,
  });
}

// A scale run measures capacity: jobs still running at its deadline are reported, not a correctness failure.
const capacityNotes = scaleRun
  ? results
      .filter((r) => r.unfinished > 0)
      .map((r) => `${r.strategy}: ${r.unfinished} job(s) still running at the deadline`)
  : [];
const correctnessProblems = results.flatMap((r) => [
  ...(r.lost > 0 ? [`${r.strategy}: ${r.lost} job(s) lost (never started or unreadable)`] : []),
  ...(!scaleRun && r.unfinished > 0 ? [`${r.strategy}: ${r.unfinished} job(s) did not finish in time`] : []),
  ...(r.failed > 0 ? [`${r.strategy}: ${r.failed} job(s) failed (${r.errors.join('; ')})`] : []),
  ...(r.duplicateTdgJobs > 0
    ? [`${r.strategy}: ${r.duplicateTdgJobs} duplicate TDG job(s) without any crash`]
    : []),
]);

log("billable actions: counting every execution in the namespace, reading the server's action counter");
const actionsCheck = await checkActions(
  stack.client,
  stack.engine.namespace,
  stack.engine.metricsUrl(),
  actionBaseline,
);

const report: BenchReport = {
  name: runName,
  engine: {
    kind: engine,
    description: stack.engine.description,
    servers: engine === 'cluster' ? servers : 1,
    // What the connection and the stored data cost: the cluster runs as production does unless --plaintext.
    security:
      engine === 'cluster' && !plaintext ? 'mutual TLS + payload codec' : 'plaintext, no payload codec',
  },
  command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
  at: new Date().toISOString(),
  machine: {
    ...machine,
    loadAverageAtEnd: machineDescription().loadAverage,
    loadAverageDuringRun: {
      mean: Math.round((loadSamples.reduce((a, b) => a + b, 0) / (loadSamples.length || 1)) * 100) / 100,
      max: Math.round(Math.max(0, ...loadSamples) * 100) / 100,
    },
  },
  settings: {
    jobsPerStrategy,
    strategies,
    seed,
    timeScale,
    realDurations: `${formatDuration(realLoMs)}..${formatDuration(realHiMs)} (log-uniform)`,
    scaledDurations: `${formatDuration(Math.min(...plan.map((p) => p.simMs)))}..${formatDuration(maxSimMs)}`,
    medianScaledDurationMs: percentile(
      [...plan.map((p) => p.simMs)].sort((a, b) => a - b),
      50,
    ),
    polling,
    fixedIntervalMs,
    fixedIntervalReal: formatDuration(fixedRealMs),
    notifyMode,
    dropNotificationRate: dropRate,
    maxTdgCallsPerSecondPerWorker: maxTdgRps,
    maxCachedWorkflows: maxCached ?? DEFAULT_WORKER_MAX_CACHED_WORKFLOWS,
    concurrent: !sequential,
    peakOpenWorkflows: peakOpen,
  },
  results,
  ratiosOursOverEach: ratios,
  targets,
  infrastructure: {
    engineCpuSeconds: Math.round(engineUsage.reduce((sum, p) => sum + p.cpuSeconds, 0) * 10) / 10,
    enginePeakRssMiB: engineUsage.reduce((sum, p) => sum + p.peakRssMiB, 0),
    enginePeakPssMiB: engineUsage.reduce((sum, p) => sum + p.peakPssMiB, 0),
    engineProcesses: engineUsage,
    harnessCpuSeconds: Math.round((selfAfter.cpuSeconds - selfBefore.cpuSeconds) * 10) / 10,
    harnessPeakRssMiB: Math.round(selfAfter.peakRssBytes / 2 ** 20),
    // Per-name job counts are summarised (duplicates are in the per-strategy results): thousands of names otherwise.
    simulator: (({ jobsCreated, ...rest }) => ({ ...rest, jobsCreated: { total: jobsCreated.total } }))(
      stack.simulator.simulator.stats(),
    ),
  },
  actionsCheck,
  correctnessProblems,
  capacityNotes,
  totalSeconds: Math.round((Date.now() - t0) / 1000),
};
// The per-job samples are megabytes per run: they go to the raw folder, the summary to the results.
writeFileSync(join(rawDir, `${runName}.samples.json`), `${JSON.stringify({ name: runName, samples })}\n`);
writeFileSync(join(outDir, `${runName}.json`), `${JSON.stringify(report, null, 2)}\n`);
const chart = renderChart(results, join(outDir, runName), {
  pngDir: rawDir,
  title: `Detection latency vs getJob calls — ${jobsPerStrategy} jobs per strategy, time ÷${timeScale}${engine === 'cluster' ? ', PostgreSQL cluster' : ''}`,
});
writeFileSync(join(outDir, `${runName}.md`), renderMarkdown(report, `${runName}.svg`));

process.stdout.write(`\n${renderMarkdown(report, null)}\n`);
log(
  `wrote ${join(outDir, `${runName}.json`)}, .md, .svg; samples, logs and ` +
    `${chart.png ? 'the PNG' : `no PNG (${chart.problem})`} in ${rawDir}`,
);

await stack.close();
bundles.remove();
if (correctnessProblems.length > 0) {
  process.stderr.write(`CORRECTNESS FAILURE:\n  ${correctnessProblems.join('\n  ')}\n`);
  process.exitCode = 1;
}
