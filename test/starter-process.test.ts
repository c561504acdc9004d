/**
 * The starter as a process (`npm run job`: src/bin/job.ts compiled by tooling/bin/run-compiled.mjs), as a person or a script runs
 * it: help, a checkout whose path contains a space, and every command against the suite's dev server,
 * on a pipe and on a pseudo-terminal. Its commands in-process: test/cli-starter.test.ts.
 */
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usageOf } from '../src/cli/args.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';
import { TdgJobs } from '../src/client/index.js';
import { CLEAR_LINE } from '../src/cli/progress.js';
import type { EmailAppendJobResult, JobStatus } from '../src/contract/definitions.js';
import {
  runCommand,
  runSimulator,
  simulatorActivities,
  uniqueId,
  useTestStack,
  waitFor,
  type CommandResult,
} from './helpers/harness.js';

const run = promisify(execFile);

type CliResult = CommandResult;

/** What `npm run job --` runs (package.json), without npm's own start-up. */
function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runCommand(process.execPath, ['tooling/bin/run-compiled.mjs', 'src/bin/job.ts', ...args], env);
}

describe('starter help', () => {
  it.each([[['--help']], [['-h']], [['help']]])('%j prints the whole usage and exits 0', async (argv) => {
    const result = await cli(argv, {});
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    for (const command of ['start', 'status', 'result', 'follow', 'check', 'cancel', 'list'])
      expect(result.stdout).toContain(`  ${command} `);
    expect(result.stdout).toMatch(/exit codes: 0 completed/);
  });

  it.each(['start', 'status', 'result', 'check', 'cancel', 'list'])(
    "npm run job -- %s --help prints that command's usage and exits 0",
    async (command) => {
      const result = await cli([command, '--help'], {});
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(`${usageOf(command as 'start')}\n`);
    },
  );
});

describe('a checkout whose path contains a space', () => {
  it('runs the CLI entry point (it once did nothing and exited 0 there)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'my projects '));
    try {
      const copy = join(dir, 'tdg');
      await mkdir(copy);
      for (const part of ['src', 'workflows', 'activities', 'package.json', 'tsconfig.json'])
        await cp(join(PROJECT_ROOT, part), join(copy, part), { recursive: true });
      await symlink(join(PROJECT_ROOT, 'node_modules'), join(copy, 'node_modules'));
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/bin/job.ts', '--help'], {
        cwd: copy,
        timeout: 60_000,
      });
      expect(stdout).toMatch(/^usage: npm run job -- <command>/);
      // An error path that needs no Temporal: the usage error must come from the real entry point too.
      const refused = await run(process.execPath, ['--import', 'tsx', 'src/bin/job.ts', 'launch'], {
        cwd: copy,
        timeout: 60_000,
      }).catch((err: { code: number; stderr: string }) => err);
      expect(refused).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/unknown command "launch"/) as unknown,
      });
      // `npm run job`: compiled on first use into the copy's own dist/run, and again after a change.
      await cp(join(PROJECT_ROOT, 'tooling', 'bin'), join(copy, 'tooling', 'bin'), { recursive: true });
      const compiled = (): Promise<{ stdout: string; stderr: string }> =>
        run(process.execPath, ['tooling/bin/run-compiled.mjs', 'src/bin/job.ts', '--help'], {
          cwd: copy,
          timeout: 60_000,
        });
      const first = await compiled();
      expect(first.stdout).toMatch(/^usage: npm run job -- <command>/);
      // Not through tsx's fallback, which says so on stderr.
      expect(first.stderr).toBe('');
      const args = join(copy, 'src', 'cli', 'args.ts');
      await writeFile(
        args,
        (await readFile(args, 'utf8')).replace('recent jobs from visibility', 'RECENT JOBS'),
      );
      expect((await compiled()).stdout).toContain('RECENT JOBS');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** CLEAR_LINE ("\r" + ESC "[2K") as a regular-expression source. */
const CL = CLEAR_LINE.replace(/[[\]\\^$.*+?()|{}]/g, '\\$&');

/** Shell-quotes one argument for `script -c`. */
const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Runs the starter on a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function cliOnTerminal(args: string[], env: Record<string, string>): Promise<CliResult> {
  // tsx directly: npx draws a spinner of its own on a terminal.
  const command = `stty cols 160 rows 40 2>/dev/null; exec node_modules/.bin/tsx src/bin/job.ts ${args.map(quote).join(' ')}`;
  return runCommand('script', ['-qfec', command, '/dev/null'], { ...env, TERM: 'xterm' }, 90_000);
}

describe('starter CLI against the dev server', () => {
  const { temporal, sim } = useTestStack();
  let env: Record<string, string>;

  beforeAll(() => {
    env = { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: temporal.taskQueue };
  });

  it('exits 2 with one clear line and usage for a bad command, before touching Temporal', async () => {
    const result = await cli(['start', '--notify', 'GET'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: --name is required/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits 5 when Temporal is unreachable', async () => {
    const result = await cli(['status', 'some-id'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/cannot reach Temporal at 127\.0\.0\.1:1/);
  });

  it('start --wait --json prints one JSON document and exits 0 on COMPLETED, 1 on FAILED', async () => {
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const ok = await cli(
        ['start', '--name', 'CLI ok [sim duration=1s batches=2]', '--notify', 'none', '--wait', '--json'],
        env,
      );
      expect(ok.code).toBe(0);
      const outcome = JSON.parse(ok.stdout) as { kind: string; result: EmailAppendJobResult };
      expect(outcome.kind).toBe('completed');
      expect(outcome.result.batchList).toHaveLength(2);

      const workflowId = uniqueId('cli-failed');
      const failed = await cli(
        [
          'start',
          '--name',
          'CLI failed [sim duration=1s batches=2 outcome=FAILED]',
          '--workflow-id',
          workflowId,
          '--wait',
        ],
        env,
      );
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/^JobFailed: TDG job [0-9a-f]+ FAILED/);
      expect(failed.stdout).toMatch(/batches of TDG job/);

      // The id names one job forever: a closed workflow is never started again, and the CLI says how it ended.
      const again = await cli(['start', '--name', 'CLI failed again', '--workflow-id', workflowId], env);
      expect(again.code).toBe(3);
      expect(again.stderr).toMatch(/^WorkflowClosed: workflow \S+ already ended FAILED \(JobFailed: /);

      const status = await cli(['status', workflowId, '--json'], env);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ workflowId });
      // The Worker Deployment version its run is on: the suite's workers are versions, pinned.
      expect((JSON.parse(status.stdout) as { version: string }).version).toMatch(
        /^[A-Za-z0-9_-]+:wf-[0-9a-f]{12} \(Pinned\)$/,
      );

      const result = await cli(['result', workflowId], env);
      expect(result.code).toBe(1);
    });
    const missing = await cli(['result', uniqueId('never-started')], env);
    expect(missing.code).toBe(4);
    // Five CLI processes and two polling-only jobs, whose first check waits the initial interval.
  }, 300_000);

  it('start prints the TDG job id at once; the same id again gives the same job; check and cancel', async () => {
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const workflowId = uniqueId('job-id');
      const name = `${uniqueId('job id')} [sim duration=1h batches=2]`;
      const args = ['start', '--name', name, '--workflow-id', workflowId, '--notify', 'none', '--json'];
      const first = await cli(args, env);
      expect(first.code).toBe(0);
      const started = JSON.parse(first.stdout) as Record<string, unknown>;
      expect(started).toMatchObject({ workflowId, alreadyStarted: false, notificationsRequested: false });
      expect(started['jobId']).toMatch(/^[0-9a-f]{15}$/);
      expect(started['runId']).toMatch(/^[0-9a-f-]{36}$/);

      const again = await cli(args, env);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({
        workflowId,
        jobId: started['jobId'],
        alreadyStarted: true,
      });
      const plain = await cli(args.slice(0, -1), env);
      expect(plain.stdout).toBe(`workflow ${workflowId}: TDG job ${String(started['jobId'])}\n`);
      expect((await sim.stats()).jobsCreated.byName[`${name} (wf: ${workflowId})`]).toBe(1);

      const checked = await cli(['check', workflowId, '--json'], env);
      expect(checked.code).toBe(0);
      const status = JSON.parse(checked.stdout) as JobStatus;
      expect(status).toMatchObject({ workflowId, jobId: started['jobId'], notifications: 0 });
      // The manual check itself; a new job's first scheduled check may not have come yet.
      expect(status.checks).toBeGreaterThanOrEqual(1);
      // Manual checks less than 1 s apart are refused (CheckRefused), and the CLI starts faster than that.
      await sleep(1_100);
      const viaAlias = await cli(['notify', workflowId], env);
      expect(viaAlias.stdout).toMatch(/ \(checked now\)$/m);

      expect((await cli(['cancel', workflowId], env)).code).toBe(0);
      const result = await cli(['result', workflowId, '--json'], env);
      expect(result.code).toBe(3);
      expect(JSON.parse(result.stdout)).toMatchObject({ error: { type: 'JobCancelled', workflowId } });
    });
  }, 300_000);

  it('start says why TDG refused the job and exits 3', async () => {
    const trial = await runSimulator({
      apiKey: 'trial-key-0123456789',
      restrictedApiKeys: ['trial-key-0123456789'],
    });
    try {
      await temporal.withWorker(simulatorActivities(trial), async () => {
        const refused = await cli(['start', '--name', uniqueId('trial'), '--notify', 'none'], env);
        expect(refused.code).toBe(3);
        expect(refused.stderr).toMatch(/NotPermitted|createJob failed/);
        expect(refused.stderr).not.toContain('trial-key-0123456789');
      });
    } finally {
      await trial.close();
    }
  });

  it('start --wait on a terminal redraws one live progress line in place', async () => {
    await temporal.withWorker(simulatorActivities(sim), async () => {
      // Longer than the first check's wait (the 5 s initial interval), so a running state is drawn.
      const name = `${uniqueId('tty')} [sim duration=8s batches=3]`;
      const result = await cliOnTerminal(['start', '--name', name, '--notify', 'none', '--wait'], env);
      expect(result.code).toBe(0);
      const out = result.stdout;
      // \r + erase line, then the live line: state, batches with a bar, elapsed, next check, job id.
      expect(out).toMatch(
        new RegExp(
          `${CL}(WAITING_FOR_UPLOAD|QUEUED|IN_PROGRESS) {2}\\d+/3 batches \\[[#-]{12}\\] {2}elapsed \\d+s {2}(next check in \\d+s|checking now) {2}job [0-9a-f]{15}`,
        ),
      );
      // The live line ticks (elapsed, countdown) between changes.
      expect(out.split(CLEAR_LINE).filter((chunk) => chunk.includes('next check in')).length).toBeGreaterThan(
        2,
      );
      // A state change stays on screen as its own line; the outcome takes the live line's place.
      expect(out).toMatch(
        new RegExp(`${CL}\\d{2}:\\d{2}:\\d{2} [0-9a-f]{15} COMPLETED — 3/3 batches completed`),
      );
      expect(out).toMatch(new RegExp(`${CL}COMPLETED: TDG job [0-9a-f]{15}, 3 batches`));
    });
  });

  it('start --wait elsewhere prints plain lines, one per change, nothing rewritten', async () => {
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const name = `${uniqueId('plain')} [sim duration=1s batches=2]`;
      const result = await cli(['start', '--name', name, '--notify', 'none', '--wait'], env);
      expect(result.code).toBe(0);
      expect(result.stdout).not.toContain('\r');
      expect(result.stdout).not.toContain(CLEAR_LINE);
      const lines = result.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^started workflow tdg-/);
      const progress = lines.slice(1, lines.indexOf(lines.find((l) => l.startsWith('COMPLETED:'))!));
      expect(progress.length).toBeGreaterThan(1);
      for (const line of progress)
        expect(line).toMatch(
          /^\d{2}:\d{2}:\d{2} (-|[0-9a-f]{15}) [A-Z_]+ — (no batch counts yet|\d+\/2 batches completed)/,
        );
      expect(new Set(progress).size).toBe(progress.length); // a line per change, no repeats
      expect(lines).toContainEqual(expect.stringMatching(/ COMPLETED — 2\/2 batches completed/));
    });
  });

  it('status answers from search attributes within its timeout when no worker answers', async () => {
    const workflowId = uniqueId('no-worker');
    const started = await temporal.withWorker(simulatorActivities(sim), async () => {
      const jobs = new TdgJobs(temporal.client, { taskQueue: temporal.taskQueue });
      const job = await jobs.startJob({
        name: 'No worker [sim duration=1h]',
        notificationMethod: null,
        workflowId,
      });
      // A new job waits the initial interval (5 s) before its first check.
      await waitFor(
        async () =>
          (await jobs.visibleStatus(workflowId)).state === 'WAITING_FOR_UPLOAD' ? true : undefined,
        30_000,
      );
      const answered = await cli(['status', workflowId], env);
      expect(answered.stdout).toMatch(
        new RegExp(
          `^${workflowId} job [0-9a-f]{15}: WAITING_FOR_UPLOAD — 0/5 batches completed .*; next check 20`,
        ),
      );
      return jobs.temporal.workflow.getHandle(job.workflowId);
    });
    try {
      // The worker is gone but polled this task queue a moment ago: the server would hold the query.
      const began = Date.now();
      const fallback = await cli(['status', workflowId, '--timeout', '1s'], env);
      expect(Date.now() - began).toBeLessThan(30_000);
      expect(fallback.code).toBe(0);
      expect(fallback.stdout).toMatch(
        new RegExp(
          // The worker just stopped: the server still lists its poller for a while, and the line says so.
          `^${workflowId} job [0-9a-f]{15}: WAITING_FOR_UPLOAD \\(workflow RUNNING; (no worker is polling task queue \\S+|\\d+ workers? polled task queue \\S+ lately, but no answer to the status query came within 1s); from search attributes\\)`,
        ),
      );
      const json = await cli(['status', workflowId, '--timeout', '1s', '--json'], env);
      expect(JSON.parse(json.stdout)).toMatchObject({
        source: 'search-attributes',
        workflowId,
        state: 'WAITING_FOR_UPLOAD',
        workflowStatus: 'RUNNING',
        name: 'No worker [sim duration=1h]',
      });

      const listed = await cli(['list', '--state', 'waiting_for_upload', '--limit', '50'], env);
      expect(listed.code).toBe(0);
      expect(listed.stdout.split('\n')[0]).toMatch(/^STARTED \(UTC\)\s+STATE\s+TDG JOB/);
      expect(listed.stdout).toMatch(
        new RegExp(
          `WAITING_FOR_UPLOAD\\s+[0-9a-f]{15}\\s+RUNNING\\s+${workflowId}\\s+\\S+ \\(Pinned\\)\\s+No worker`,
        ),
      );
    } finally {
      await started.terminate('test done');
    }
  });
});
