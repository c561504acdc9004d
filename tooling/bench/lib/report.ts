/** The benchmark's result types and their markdown rendering (tooling/bench/results/<name>.md). */
import { ACTION_KINDS, type ActionCounts, type ActionKind } from './actions.js';
import type { ActionsCheck } from './actions-check.js';
import type { EngineProcessUsage } from './engine-usage.js';

export interface Distribution {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface StrategyResult {
  strategy: string;
  letter: string;
  label: string;
  jobs: number;
  completed: number;
  failed: number;
  lost: number;
  unfinished: number;
  errors: string[];
  duplicateTdgJobs: number;
  getJobCallsPerJob: Distribution;
  /** Simulator's terminal moment → the workflow's close (its result recorded), as the server timed it. */
  detectionMs: Distribution;
  detectedBy: Record<string, number>;
  /** Detection split by what triggered the check that saw the terminal state (ours only). */
  detectionByTriggerMs: Record<string, Distribution>;
  /** Per job, the longest scheduled → started wait of a workflow task / of an activity's first attempt. */
  workflowTaskWaitMs: Distribution;
  activityTaskWaitMs: Distribution;
  historyEventsPerJob: number;
  /** Billable actions per job by Temporal Cloud's rules (actions.ts), every run of the workflow summed. */
  actionsPerJob: Distribution;
  /** Mean per job of each kind of action. */
  actionsByKindPerJob: ActionCounts;
  /** Actions per hour of the TDG jobs' own run time (real, unscaled). */
  actionsPerJobHour: number;
  /** Events per hour of the TDG jobs' own run time (real, unscaled): the same denominator for every strategy. */
  historyEventsPerJobHour: number;
  realJobHours: number;
  /** Events per hour the workflows were open: flatters a strategy that notices the end late. */
  historyEventsPerOpenHour: number;
  openWorkflowHours: number;
  workflowTasksPerJob: number;
  workflowTasksTotal: number;
  continuedAsNew: number;
  tasksPerSecond: number;
  workerCpuSeconds: number;
  workerCpuMsPerJob: number;
  workerPeakRssMiB: number;
  wallSeconds: number;
  jobsPerSecond: number;
}

export interface Ratios {
  versus: string;
  getJobCallsPerJob: number;
  detectionP50: number;
  detectionP99: number;
  historyEventsPerJobHour: number;
  workflowTasksPerJob: number;
  workerCpuSeconds: number;
}

export interface TargetCheck {
  target: string;
  met: boolean | null;
  measured: string;
}

export interface BenchReport {
  name: string;
  /** The Temporal engine the run used (`--engine`). */
  engine: { kind: 'dev' | 'cluster'; description: string; servers: number; security?: string };
  command: string;
  at: string;
  machine: {
    nproc: number;
    memory: string;
    node: string;
    platform: string;
    loadAverage: number[];
    loadAverageAtEnd: number[];
    loadAverageDuringRun: { mean: number; max: number };
  };
  settings: {
    jobsPerStrategy: number;
    strategies: string[];
    seed: number;
    medianScaledDurationMs: number;
    timeScale: number;
    realDurations: string;
    scaledDurations: string;
    fixedIntervalMs: number;
    fixedIntervalReal: string;
    /** How the simulator notified: every state change, or once at the end. */
    notifyMode: 'changes' | 'terminal';
    dropNotificationRate: number;
    maxTdgCallsPerSecondPerWorker: number;
    maxCachedWorkflows?: number;
    concurrent: boolean;
    peakOpenWorkflows: number;
    polling: {
      initialIntervalMs: number;
      maxIntervalMs: number;
      maxIntervalWithNotificationsMs: number;
      minIntervalWithNotificationsMs: number;
      backoffFactor: number;
      jitter: number;
    };
  };
  results: StrategyResult[];
  ratiosOursOverEach: Ratios[];
  targets: TargetCheck[];
  /** Our count of every execution beside the server's `action` counter (absent in results from before it). */
  actionsCheck?: ActionsCheck;
  infrastructure: {
    /** The engine's own processes (dev server; or temporal-server(s) and PostgreSQL's process tree), summed. */
    engineCpuSeconds: number;
    enginePeakRssMiB: number;
    /** Sum of each process group's peak PSS (shared memory counted once). */
    enginePeakPssMiB: number;
    engineProcesses: EngineProcessUsage[];
    harnessCpuSeconds: number;
    harnessPeakRssMiB: number;
    simulator: unknown;
  };
  correctnessProblems: string[];
  capacityNotes: string[];
  totalSeconds: number;
}

const ms = (value: number): string =>
  Number.isFinite(value) ? `${Math.round(value).toLocaleString('en-US')} ms` : '–';
const num = (value: number): string => (Number.isFinite(value) ? value.toLocaleString('en-US') : '–');

export function resultsTable(results: readonly StrategyResult[]): string {
  const rows = [
    '| strategy | done | getJob calls/job (mean · p50 · max) | detection p50 | p95 | p99 | max | history events/job | events per TDG job-hour | events per open workflow-hour | workflow tasks/job | worker CPU s | worker peak RSS | jobs/s |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const c = r.getJobCallsPerJob;
    const d = r.detectionMs;
    rows.push(
      `| (${r.letter}) ${r.label} | ${r.completed}/${r.jobs} | ${num(c.mean)} · ${num(c.p50)} · ${num(c.max)} | ${ms(d.p50)} | ${ms(d.p95)} | ${ms(d.p99)} | ${ms(d.max)} | ${num(r.historyEventsPerJob)} | ${num(r.historyEventsPerJobHour)} | ${num(r.historyEventsPerOpenHour)} | ${num(r.workflowTasksPerJob)} | ${num(r.workerCpuSeconds)} | ${num(r.workerPeakRssMiB)} MiB | ${num(r.jobsPerSecond)} |`,
    );
  }
  return rows.join('\n');
}

/** Where time went: task throughput, queueing before tasks start, worker cost per job. */
export function costTable(results: readonly StrategyResult[]): string {
  const rows = [
    '| strategy | tasks/s sustained (workflow tasks + getJob/createJob attempts) | workflow-task queue wait p50 · p95 (worst per job) | activity queue wait p50 · p95 | worker CPU per job | still running at the deadline |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    rows.push(
      `| (${r.letter}) ${r.label} | ${num(r.tasksPerSecond)} | ${ms(r.workflowTaskWaitMs.p50)} · ${ms(r.workflowTaskWaitMs.p95)} | ${ms(r.activityTaskWaitMs.p50)} · ${ms(r.activityTaskWaitMs.p95)} | ${num(r.workerCpuMsPerJob)} ms | ${r.unfinished} |`,
    );
  }
  return rows.join('\n');
}

const KIND_LABELS: Record<ActionKind, string> = {
  start: 'starts',
  signal: 'signals',
  update: 'updates',
  timer: 'timers',
  searchAttributeUpsert: 'search-attribute upserts',
  activityAttempt: 'activity attempts',
  localActivities: 'local-activity tasks',
  workflowTaskHeartbeat: 'workflow-task heartbeats',
  query: 'queries',
  activityHeartbeat: 'activity heartbeats',
};

/** Billable actions per job, total and by kind (Temporal Cloud's rules, from each workflow's history). */
export function actionsTable(results: readonly StrategyResult[]): string {
  const rows = [
    `| strategy | actions/job (mean · p50 · max) | per TDG job-hour | ${ACTION_KINDS.map((k) => KIND_LABELS[k]).join(' | ')} |`,
    `| --- | ---: | ---: | ${ACTION_KINDS.map(() => '---:').join(' | ')} |`,
  ];
  for (const r of results) {
    const a = r.actionsPerJob;
    rows.push(
      `| (${r.letter}) ${r.label} | **${num(a.mean)}** · ${num(a.p50)} · ${num(a.max)} | ${num(r.actionsPerJobHour)} | ` +
        `${ACTION_KINDS.map((k) => num(r.actionsByKindPerJob[k])).join(' | ')} |`,
    );
  }
  return rows.join('\n');
}

/** Ours (every execution's history) beside the server's `action` counter over the run, by kind. */
export function actionsCheckLines(check: ActionsCheck): string[] {
  const head = `Cross-check over the whole run (${num(check.executions)} workflow executions, warm-ups included): ours **${num(check.oursTotal)}** actions counted from history`;
  if (!check.server || !check.serverByType)
    return [`${head}; no server figure (${check.problem ?? 'unknown'}).`, ''];
  const server = check.server;
  const diff = check.oursTotal - server.billable;
  const rows = [
    `${head}; the server's \`action\` counter rose by **${num(server.billable)}**` +
      (server.raw === server.billable
        ? ''
        : ` billable (${num(server.raw)} raw: each marker's \`command_RecordMarker\` left out, its task's \`command_BatchMarkers\` is what Cloud bills)`) +
      ' — ' +
      (diff === 0 ? 'equal.' : `a difference of ${diff > 0 ? '+' : ''}${num(diff)} (ours − server).`) +
      (check.changeVersionUpserts > 0
        ? ` The server counts every search-attribute upsert command, also the ${num(check.changeVersionUpserts)} that set only \`TemporalChangeVersion\` (written by \`patched()\`), which Cloud does not bill: ` +
          `without them the server's figure is ${num(server.billable - check.changeVersionUpserts)}${diff + check.changeVersionUpserts === 0 ? ', equal to ours' : ''}.`
        : ''),
    '',
    '| kind | ours (history) | server (`action` counter) |',
    '| --- | ---: | ---: |',
    ...ACTION_KINDS.map(
      (k) =>
        `| ${KIND_LABELS[k]} | ${num(check.ours[k])} | ${num(server.byKind[k])}${check.ours[k] === server.byKind[k] ? '' : ' ≠'} |`,
    ),
    ...Object.entries(server.other).map(([type, value]) => `| other: \`${type}\` | – | ${num(value)} |`),
    '',
    `Server counter by action_type: ${Object.entries(check.serverByType)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, value]) => `\`${type}\` ${num(value)}`)
      .join(', ')}.`,
    '',
  ];
  return rows;
}

export function ratiosTable(ratios: readonly Ratios[]): string {
  if (ratios.length === 0) return '';
  const rows = [
    '| ours ÷ | getJob calls/job | detection p50 | detection p99 | events per TDG job-hour | workflow tasks/job | worker CPU |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of ratios) {
    rows.push(
      `| ${r.versus} | ${r.getJobCallsPerJob} | ${r.detectionP50} | ${r.detectionP99} | ${r.historyEventsPerJobHour} | ${r.workflowTasksPerJob} | ${r.workerCpuSeconds} |`,
    );
  }
  return rows.join('\n');
}

export function targetsTable(targets: readonly TargetCheck[]): string {
  if (targets.length === 0) return '';
  const rows = ['| target (notification modes) | measured | met |', '| --- | --- | --- |'];
  for (const t of targets)
    rows.push(`| ${t.target} | ${t.measured} | ${t.met === null ? '–' : t.met ? 'yes' : '**no**'} |`);
  return rows.join('\n');
}

function triggerLines(results: readonly StrategyResult[]): string[] {
  const lines = results
    .filter((r) => Object.keys(r.detectionByTriggerMs).length > 0)
    .map(
      (r) =>
        `- (${r.letter}) detection by what triggered the final check: ` +
        Object.entries(r.detectionByTriggerMs)
          .map(
            ([trigger, d]) =>
              `${trigger} ${r.detectedBy[trigger] ?? 0} jobs, p50 ${ms(d.p50)}, p95 ${ms(d.p95)}, max ${ms(d.max)}`,
          )
          .join('; '),
    );
  return lines.length > 0 ? [...lines, ''] : [];
}

/** The engine's processes: the dev server alone, or each temporal-server and PostgreSQL's tree plus the total. */
function engineLine(report: BenchReport): string {
  const infra = report.infrastructure;
  const cost = (cpu: number, rss: number): string => `${num(cpu)} CPU s, peak RSS ${num(rss)} MiB`;
  if (report.engine.kind === 'dev')
    return `Dev server: ${cost(infra.engineCpuSeconds, infra.enginePeakRssMiB)}.`;
  const each = infra.engineProcesses
    .map(
      (p) =>
        `${p.name}${p.processes > 1 ? ` (${p.processes} processes, summed)` : ''} ${cost(p.cpuSeconds, p.peakRssMiB)}` +
        (p.processes > 1 ? ` (PSS ${num(p.peakPssMiB)} MiB: shared memory counted once)` : ''),
    )
    .join('; ');
  return `Engine (PostgreSQL cluster): ${cost(infra.engineCpuSeconds, infra.enginePeakRssMiB)} (PSS ${num(infra.enginePeakPssMiB)} MiB) in all — ${each}.`;
}

export function renderMarkdown(report: BenchReport, chartFile: string | null): string {
  const s = report.settings;
  const infra = report.infrastructure;
  const parts = [
    `# Benchmark results: ${report.name}`,
    '',
    `Produced by \`${report.command}\` at ${report.at} in ${report.totalSeconds} s against the ${report.engine.description}${report.engine.security ? ` (${report.engine.security})` : ''}, on ${report.machine.platform}, ` +
      `${report.machine.nproc} CPUs, ${report.machine.memory}, node ${report.machine.node} ` +
      `(1-minute load average during the run: mean ${report.machine.loadAverageDuringRun.mean}, max ${report.machine.loadAverageDuringRun.max}; ` +
      'the machine is shared with other work, and anything above 2 means processes were waiting for a CPU).',
    '',
    `${s.jobsPerStrategy} jobs per strategy (peak ${s.peakOpenWorkflows} workflows open at once, strategies ${s.concurrent ? 'run concurrently' : 'one after another'}), ` +
      `durations ${s.realDurations} real, time compressed ÷${s.timeScale} to ${s.scaledDurations}. ` +
      `TDG notifies ${s.notifyMode === 'terminal' ? 'once, when the job ends' : 'on every state change'}` +
      `${s.dropNotificationRate > 0 ? `, ${Math.round(s.dropNotificationRate * 100)} % of notifications dropped` : ''}. ` +
      `Our policy (scaled): first check after ${s.polling.initialIntervalMs} ms, ×${s.polling.backoffFactor}, cap ${s.polling.maxIntervalMs} ms ` +
      `(${s.polling.minIntervalWithNotificationsMs}..${s.polling.maxIntervalWithNotificationsMs} ms while notifications arrive). Fixed interval for (c) and (d): ${s.fixedIntervalMs} ms ` +
      `(${s.fixedIntervalReal} real, our cap without notifications). TDG calls ≤ ${s.maxTdgCallsPerSecondPerWorker}/s per worker` +
      `${s.maxCachedWorkflows === undefined ? '' : `, sticky cache ${s.maxCachedWorkflows} workflows per worker`}. ` +
      'Latencies are wall-clock milliseconds in the compressed run.',
    '',
    resultsTable(report.results),
    '',
    costTable(report.results),
    '',
    ...(report.results.every((r) => r.actionsPerJob !== undefined)
      ? [
          "Billable actions per job, by Temporal Cloud's rules, counted from each workflow's history (means per job by kind):",
          '',
          actionsTable(report.results),
          '',
          ...(report.actionsCheck ? actionsCheckLines(report.actionsCheck) : []),
        ]
      : []),
    ...triggerLines(report.results),
    ...(report.ratiosOursOverEach.length > 0
      ? ['Ratios, ours (a) ÷ each (below 1: ours is lower):', '', ratiosTable(report.ratiosOursOverEach), '']
      : []),
    ...(report.targets.length > 0 ? [targetsTable(report.targets), ''] : []),
    `${engineLine(report)} ` +
      `Harness process (simulator, listener, client): ${infra.harnessCpuSeconds} CPU s, peak RSS ${infra.harnessPeakRssMiB} MiB.`,
    '',
    ...(chartFile ? [`![detection latency vs getJob calls per job](${chartFile})`, ''] : []),
    ...(report.capacityNotes.length > 0 ? [`**Capacity:** ${report.capacityNotes.join('; ')}.`, ''] : []),
    report.correctnessProblems.length > 0
      ? `**Correctness problems:** ${report.correctnessProblems.join('; ')}`
      : report.capacityNotes.length > 0
        ? 'Correctness: no job failed or was lost, no duplicate TDG job.'
        : 'Correctness: every job completed, no duplicate TDG job.',
    '',
  ];
  return parts.join('\n');
}
