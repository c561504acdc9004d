/**
 * `npm run bench:modes`: the benchmark once per way TDG may notify — `terminal` (once, at the end,
 * as TDG's tutorial describes), `changes` (every state change) and `changes` with 30 % of
 * notifications dropped — all four strategies each time, one run after the other (never two at
 * once on a shared machine). Then one table and one chart of all of them side by side:
 * tooling/bench/results/modes.{md,json,svg} (the PNG in .data/bench/). Every other flag is passed to each run
 * (`npm run bench:modes -- --jobs 50`). Exits non-zero when a run does.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart, type ChartMark } from './lib/chart.js';
import { RESULTS_DIR, rawOutputDir } from './lib/paths.js';
import { actionsCheckLines, targetsTable, type BenchReport, type StrategyResult } from './lib/report.js';

const USAGE = `usage: npm run bench:modes -- [benchmark options]
  Runs \`npm run bench\` three times (--notify terminal; --notify changes; --notify changes --drop 0.3)
  and writes tooling/bench/results/modes.{md,json,svg} comparing them (a PNG in .data/bench/). Options other than --notify,
  --drop, --name and --out are passed to every run (see npm run bench -- --help).
  --from-results       no runs: only rebuild the comparison from the three runs' JSON files`;

const MODES = [
  {
    id: 'terminal',
    label: 'TDG notifies once, at the end',
    short: 'at the end',
    args: ['--notify', 'terminal'],
  },
  { id: 'changes', label: 'TDG notifies every change', short: 'every change', args: ['--notify', 'changes'] },
  {
    id: 'changes-drop30',
    label: 'every change, 30 % dropped',
    short: '30 % dropped',
    args: ['--notify', 'changes', '--drop', '0.3'],
  },
] as const;
// Ours in each mode gets a shade of its own; the others do not use notifications, so one run shows them.
const OURS_COLORS = ['#00441b', '#1b7837', '#7fbf7b'];

const fromResults = process.argv.includes('--from-results');
const passed = process.argv.slice(2).filter((a) => a !== '--from-results');
if (passed.includes('--help') || passed.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const reserved = passed.find((a) =>
  ['--notify', '--drop', '--name', '--out'].includes(a.split('=')[0] ?? ''),
);
if (reserved !== undefined) {
  process.stderr.write(`error: ${reserved} is set per mode by bench:modes (--help for usage)\n`);
  process.exit(2);
}

const benchmark = fileURLToPath(new URL('./benchmark.ts', import.meta.url));
const reports: { mode: (typeof MODES)[number]; report: BenchReport }[] = [];
for (const mode of MODES) {
  const name = `modes-${mode.id}`;
  if (!fromResults) {
    process.stdout.write(`\n=== ${mode.label}: npm run bench -- ${[...mode.args, ...passed].join(' ')}\n`);
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', benchmark, ...mode.args, '--name', name, ...passed],
      { stdio: 'inherit' },
    );
    if (run.status !== 0) {
      process.stderr.write(`bench:modes: the ${mode.id} run exited with ${run.status ?? run.signal}\n`);
      process.exit(run.status ?? 1);
    }
  }
  const report = JSON.parse(readFileSync(join(RESULTS_DIR, `${name}.json`), 'utf8')) as BenchReport;
  reports.push({ mode, report });
}

const marks: ChartMark[] = reports.flatMap(({ mode, report }, i) =>
  report.results.flatMap((r): ChartMark[] => {
    if (r.strategy === 'ours') return [{ ...r, label: `ours, ${mode.short}`, color: OURS_COLORS[i] }];
    // The strategies that ignore notifications are shown from the first run only.
    return i === 0 ? [r] : [];
  }),
);

const fmt = (v: number): string => (Number.isFinite(v) ? v.toLocaleString('en-US') : '–');
const row = (mode: string, r: StrategyResult): string =>
  `| ${mode} | (${r.letter}) ${r.label} | ${r.completed}/${r.jobs} | ${fmt(r.getJobCallsPerJob.mean)} | ` +
  `${fmt(r.detectionMs.p50)} ms | ${fmt(r.detectionMs.p99)} ms | ${fmt(r.detectionMs.max)} ms | ` +
  `${fmt(r.historyEventsPerJob)} | ${fmt(r.historyEventsPerJobHour)} | ${fmt(r.historyEventsPerOpenHour)} | ` +
  `${fmt(r.actionsPerJob.mean)} |`;

// What a job costs in the unit Temporal Cloud bills (billable actions): strategies × modes, and the target.
const strategyIds = [...new Set(reports.flatMap(({ report }) => report.results.map((r) => r.strategy)))];
const resultOf = (report: BenchReport, id: string): StrategyResult | undefined =>
  report.results.find((r) => r.strategy === id);
const lowestInEveryMode = reports.every(({ report }) => {
  const ours = resultOf(report, 'ours');
  return (
    ours !== undefined &&
    report.results.every((r) => r.strategy === 'ours' || ours.actionsPerJob.mean < r.actionsPerJob.mean)
  );
});
const actionsSection = [
  "## Billable actions per job (Temporal Cloud's rules, counted from each workflow's history)",
  '',
  `| strategy | ${reports.map(({ mode }) => mode.label).join(' | ')} |`,
  `| --- | ${reports.map(() => '---:').join(' | ')} |`,
  ...strategyIds.map((id) => {
    const first = reports.map(({ report }) => resultOf(report, id)).find((r) => r !== undefined);
    const cells = reports.map(({ report }) => {
      const r = resultOf(report, id);
      const lowest = Math.min(...report.results.map((x) => x.actionsPerJob.mean));
      return r
        ? r.actionsPerJob.mean === lowest
          ? `**${fmt(r.actionsPerJob.mean)}**`
          : fmt(r.actionsPerJob.mean)
        : '–';
    });
    return `| (${first?.letter ?? '?'}) ${first?.label ?? id} | ${cells.join(' | ')} |`;
  }),
  '',
  `Target (billable actions): ours (a) the lowest of all four strategies in every mode — **${lowestInEveryMode ? 'met' : 'not met'}** (the lowest of each mode in bold).`,
  '',
  ...reports.flatMap(({ mode, report }) =>
    report.actionsCheck
      ? [`**${mode.label}**, ${report.engine.description}:`, '', ...actionsCheckLines(report.actionsCheck)]
      : [],
  ),
];
const lines = [
  '# Benchmark results: every notification mode',
  '',
  `Produced by \`npm run bench:modes${passed.length > 0 ? ` -- ${passed.join(' ')}` : ''}\` at ${new Date().toISOString()}: ` +
    'three runs of the benchmark, one after the other, each with all four strategies on the same seeded job set. ' +
    'Each run has its own file with every figure, settings and machine load (linked below).',
  '',
  '| TDG notifies | strategy | done | getJob calls/job | detection p50 | p99 | max | history events/job | events per TDG job-hour | events per open workflow-hour | billable actions/job |',
  '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...reports.flatMap(({ mode, report }) => report.results.map((r) => row(mode.label, r))),
  '',
  ...actionsSection,
  ...reports.flatMap(({ mode, report }) => [
    `**${mode.label}** ([details](modes-${mode.id}.md)):`,
    '',
    targetsTable(report.targets),
    '',
  ]),
];
renderChart(marks, join(RESULTS_DIR, 'modes'), {
  pngDir: rawOutputDir(RESULTS_DIR),
  title: 'Detection latency vs getJob calls, per notification mode',
});
lines.push('![detection latency vs getJob calls per job, every mode](modes.svg)', '');
writeFileSync(join(RESULTS_DIR, 'modes.md'), `${lines.join('\n')}\n`);
writeFileSync(
  join(RESULTS_DIR, 'modes.json'),
  `${JSON.stringify(
    reports.map(({ mode, report }) => ({
      mode: mode.id,
      results: report.results,
      targets: report.targets,
      actionsCheck: report.actionsCheck ?? null,
    })),
    null,
    2,
  )}\n`,
);
process.stdout.write(`\n${lines.join('\n')}\nwrote ${join(RESULTS_DIR, 'modes.md')}, .json, .svg\n`);
