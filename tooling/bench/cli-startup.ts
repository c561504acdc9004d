/**
 * `npm run bench:cli`: how soon the starter CLI answers a person. For each way it is run — the
 * packaged `tdg-job` bin (packages/client's build, run through a `tdg-job` link as npm's .bin does)
 * and `npm run -s job --` (`-s`: npm's banner would otherwise be the first byte) — and for three
 * commands — `--help`, a usage error and `status ID` of a running job on a dev stack of its own —
 * it prints the median and p90 time to the first byte on stdout or stderr, and to exit.
 * Figures are printed, never asserted: the machine is shared, so the load average goes with them.
 * Usage: `npm run bench:cli [-- --runs N] [--no-build]`.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import { startDevStackProcess } from '../stack/dev-stack-process.js';
import { percentile } from './lib/stats.js';

const USAGE = `usage: npm run bench:cli [-- --runs N] [--no-build]
  --runs N     runs per command and form (default 10)
  --no-build   use packages/client/dist as it is (default: build it first, as npm pack does)`;

interface Sample {
  firstByteMs: number;
  totalMs: number;
  code: number | null;
}

/** One run: time to the first byte on stdout or stderr, and to exit. */
function timeOnce(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((done, fail) => {
    const started = performance.now();
    let firstByteMs = NaN;
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const first = (): void => {
      if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - started;
    };
    child.stdout.on('data', first);
    child.stderr.on('data', first);
    child.once('error', fail);
    child.once('close', (code) => done({ firstByteMs, totalMs: performance.now() - started, code }));
  });
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: 'inherit' });
    child.once('error', fail);
    child.once('close', done);
  });
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs must be a positive integer\n${USAGE}`);
  process.exit(2);
}

if (!values['no-build']) {
  console.log('building packages/client (tsc, as its prepack does) …');
  const code = await run('npx', ['tsc', '-p', 'packages/client/tsconfig.json'], process.env);
  if (code !== 0) throw new Error(`packages/client build failed (${code})`);
}
// npm links a package's bin into node_modules/.bin under the bin's name and marks it executable.
const binFolder = mkdtempSync(join(tmpdir(), 'tdg-job-bench-'));
const binTarget = join(PROJECT_ROOT, 'packages/client/dist/src/bin/job.js');
chmodSync(binTarget, 0o755);
const tdgJob = join(binFolder, 'tdg-job');
symlinkSync(binTarget, tdgJob);

const forms = [
  { form: 'tdg-job', command: tdgJob, prefix: [] as string[] },
  { form: 'npm run -s job --', command: 'npm', prefix: ['run', '-s', 'job', '--'] },
];

console.log('starting a dev stack (dev server, npm run dev) …');
const loadBefore = loadavg();
const stack = await startDevStackProcess();
try {
  const workflowId = `cli-bench-${Date.now()}`;
  const started = await run(
    'npm',
    ['run', '-s', 'job', '--', 'start', '--name', 'CLI bench [sim duration=1h]', '--workflow-id', workflowId],
    stack.env,
  );
  if (started !== 0) throw new Error(`could not start the job the status runs read (exit ${started})`);
  const cases = [
    { name: '--help', args: ['--help'], exit: 0 },
    { name: 'usage error', args: ['start'], exit: 2 },
    { name: `status ID`, args: ['status', workflowId], exit: 0 },
  ];
  const rows: string[][] = [];
  for (const { form, command, prefix } of forms) {
    for (const c of cases) {
      const samples: Sample[] = [];
      // One run first that is not counted: the first after a build pays for cold caches.
      await timeOnce(command, [...prefix, ...c.args], stack.env);
      for (let i = 0; i < runs; i++) samples.push(await timeOnce(command, [...prefix, ...c.args], stack.env));
      const wrong = samples.find((s) => s.code !== c.exit);
      if (wrong) throw new Error(`${form} ${c.args.join(' ')} exited ${wrong.code}, not ${c.exit}`);
      const first = samples.map((s) => s.firstByteMs).sort((a, b) => a - b);
      const total = samples.map((s) => s.totalMs).sort((a, b) => a - b);
      const ms = (n: number): string => `${Math.round(n)} ms`;
      rows.push([
        form,
        c.name,
        ms(percentile(first, 50)),
        ms(percentile(first, 90)),
        ms(percentile(total, 50)),
        ms(percentile(total, 90)),
      ]);
    }
  }
  const header = ['form', 'command', 'first byte p50', 'p90', 'exit p50', 'p90'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  const loadAfter = loadavg();
  console.log(`\n${runs} runs each (after one uncounted run), ${process.version}`);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  const fmt = (l: number[]): string => l.map((n) => n.toFixed(2)).join(' ');
  console.log(`load average before ${fmt(loadBefore)}, after ${fmt(loadAfter)} (1, 5, 15 min)`);
} finally {
  await stack.stop();
  rmSync(binFolder, { recursive: true, force: true });
}
