/**
 * `npm run chaos:burst`: the chaos run's burst phase alone (tooling/bench/lib/pressure-phases.ts),
 * repeated on one dev server so its few samples per run (5 checkNows, 6 or 12 starts) can be pooled.
 * Each run has its own task queue and worker; the simulator runs without faults, as in the chaos
 * run's pressure phases. Writes `<name>.json` (every run's report and the pooled figures) to --out.
 *
 * Options: see USAGE below (`npm run chaos:burst -- --help`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { numberFlag, parseCommandLine } from './lib/args.js';
import { buildBundles } from './lib/bundles.js';
import { startBenchStack } from './lib/bench-stack.js';
import { machineDescription } from './lib/machine.js';
import { outputDir, rawOutputDir } from './lib/paths.js';
import { runBurstPhase, type BurstReport } from './lib/pressure-phases.js';
import { distribution } from './lib/stats.js';

const USAGE = `usage: npm run chaos:burst -- [options]
  --runs N       burst phases one after another (default 3)
  --quick        chaos:quick's burst (2 TDG calls/s, 20 hints, 6 new jobs); default chaos's
                 (4 calls/s, 40 hints, 12 new jobs)
  --name NAME    result file name (default burst; --quick burst-quick)
  --out DIR      result folder (default: a new temp dir)
  -h, --help     this text`;

const { runs, quick, runName, outDir } = parseCommandLine(
  {
    usage: USAGE,
    options: {
      runs: { type: 'string' },
      quick: { type: 'boolean', default: false },
      name: { type: 'string' },
      out: { type: 'string' },
    },
  },
  ({ values }) => ({
    runs: numberFlag('--runs', values.runs, 3, { integer: true }),
    quick: values.quick,
    runName: values.name ?? (values.quick ? 'burst-quick' : 'burst'),
    // Never the committed results folder unless asked: these runs are for comparing code.
    outDir: outputDir(values.out, true, 'tdg-burst-'),
  }),
);
mkdirSync(outDir, { recursive: true });

const t0 = Date.now();
const log = (message: string): void => {
  process.stdout.write(`[burst ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${message}\n`);
};
log(
  `${runs} burst phase(s), ${quick ? 'quick' : 'full'} size; load average ${machineDescription().loadAverage.join(' ')}`,
);

const [stack, bundles] = await Promise.all([startBenchStack({ seed: 7 }), buildBundles({ bench: false })]);
const reports: BurstReport[] = [];
try {
  for (let i = 0; i < runs; i++) {
    reports.push(
      await runBurstPhase({
        stack,
        bundlePath: bundles.ours,
        logPrefix: join(rawOutputDir(outDir), `${runName}-${i + 1}`),
        quick,
        log,
      }),
    );
  }
} finally {
  await stack.close();
  bundles.remove();
}

const pooled = {
  startToJobIdMs: distribution(reports.flatMap((r) => r.samples.startToJobIdMs)),
  checkNowMs: distribution(reports.flatMap((r) => r.samples.checkNowMs)),
  longestTdgSilenceMs: Math.max(...reports.map((r) => r.longestTdgSilenceMs)),
  startsWithoutJobId: reports.reduce((n, r) => n + r.startsWithoutJobId, 0),
  unchecked: reports.flatMap((r) => r.targets.filter((t) => t.target.includes('no stall') && !t.met)).length,
};
const file = join(outDir, `${runName}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ runs, quick, machine: machineDescription(), pooled, reports }, null, 2)}\n`,
);
log(
  `pooled over ${runs} run(s): start-to-job-id p50 ${pooled.startToJobIdMs.p50} ms, p95 ${pooled.startToJobIdMs.p95} ms, ` +
    `max ${pooled.startToJobIdMs.max} ms (${pooled.startsWithoutJobId} without an id); checkNow p50 ${pooled.checkNowMs.p50} ms, ` +
    `p95 ${pooled.checkNowMs.p95} ms, max ${pooled.checkNowMs.max} ms; longest TDG silence ${pooled.longestTdgSilenceMs} ms; ` +
    `${pooled.unchecked} run(s) with a hinted job unchecked`,
);
log(`wrote ${file}`);
