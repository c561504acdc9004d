/**
 * What a team adopting the client and the CLI meets. Each block names the defect it
 * guards; the CLI runs in-process (`main(argv, io)`) against the suite's dev server.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  DEFAULT_POLLING_POLICY,
  jobInputProblems,
  MAX_DEADLINE_MS,
  type EmailAppendJobInput,
  type JobStatus,
} from '../src/contract/index.js';
import { DEFAULT_POLLING_POLICY as SCHEDULE_DEFAULTS } from '../workflows/schedule.js';
import { validateInput } from '../workflows/input.js';
import { connectTdgJobs, JobErrorType, TdgJobError, TdgJobs } from '../src/client/index.js';
import { parseCommand, UsageError } from '../src/cli/args.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, exitCodeFor, exitCodeForType } from '../src/cli/output.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';
import { progressLine } from '../src/cli/progress.js';
import { main } from '../src/cli/starter.js';
import { setupMain } from '../src/cli/index.js';
import { simulatorActivities, uniqueId, useTestStack, waitFor } from './helpers/harness.js';

const TEN_THOUSAND = 'x'.repeat(10_000);

describe('one definition of a valid request (contract → workflow, client, CLI)', () => {
  it.each([
    [{ name: '' }, /name must be a non-empty string/],
    [{ name: TEN_THOUSAND }, /at most 200 characters/],
    [{ name: 'ok', deadlineMs: -1 }, /deadline must be between 1s and 366d/],
    [{ name: 'ok', deadlineMs: 367 * 86_400_000 }, /deadline must be between 1s and 366d/],
    [{ name: 'ok', polling: { jitter: 2 } }, /jitter must be in \[0, 1\)/],
  ])('%# the workflow and the contract refuse the same input', (input, reason) => {
    expect(jobInputProblems(input as EmailAppendJobInput).join('; ')).toMatch(reason);
    expect(() => validateInput(input as EmailAppendJobInput)).toThrow(reason);
  });

  it("the contract's default polling policy is the schedule's", () => {
    expect(DEFAULT_POLLING_POLICY).toEqual(SCHEDULE_DEFAULTS);
    expect(jobInputProblems({ name: 'ok', deadlineMs: MAX_DEADLINE_MS })).toEqual([]);
  });

  // Defect: `start --deadline 367d` was accepted and left a FAILED workflow behind.
  it('the CLI refuses what the workflow would refuse, with the reason (exit 2)', () => {
    expect(() => parseCommand(['start', '--name', 'x', '--deadline', '367d'])).toThrow(
      /--deadline must be between 1s and 366d/,
    );
    expect(() => parseCommand(['start', '--name', TEN_THOUSAND])).toThrow(/--name must be at most 200/);
  });

  // Defect: the client accepted workflow ids the CLI refused.
  it.each(['has space', '../etc', '-leading-dash', 'x'.repeat(201), 'ok-id', 'a.b:c_d'])(
    'client and CLI give workflow id %j the same verdict',
    async (id) => {
      const cli = (() => {
        try {
          parseCommand(['status', id]);
          return true;
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          return false;
        }
      })();
      const jobs = new TdgJobs({} as never, { taskQueue: 'q' });
      const client = await jobs.startJob({ name: 'x', workflowId: id }).then(
        () => true,
        (err: unknown) => {
          if (err instanceof TdgJobError && err.type === JobErrorType.InvalidJobRequest) return false;
          return true; // got past validation: the fake client failed
        },
      );
      expect(client).toBe(cli);
    },
  );

  // Defect: `list --state bogus` exited 0 with an empty list.
  it('list --state bogus is a usage error; known states pass', () => {
    expect(() => parseCommand(['list', '--state', 'bogus'])).toThrow(/--state must be a TDG job state/);
    expect(parseCommand(['list', '--state', 'cancelled'])).toMatchObject({ state: 'CANCELLED' });
  });
});

describe('error types and exit codes follow one table', () => {
  it('maps every type onto the README table', () => {
    const code = (type: string): number => exitCodeFor(new TdgJobError(type as never, 'm', null));
    expect(code(JobErrorType.InvalidConfig)).toBe(2);
    expect(code(JobErrorType.InvalidJobRequest)).toBe(2);
    expect(code(JobErrorType.CheckRefused)).toBe(3);
    expect(code(JobErrorType.CancelRefused)).toBe(3);
    expect(code(JobErrorType.WorkflowClosed)).toBe(3);
    expect(code(JobErrorType.WorkflowNotFound)).toBe(4);
    expect(code(JobErrorType.TemporalUnavailable)).toBe(5);
    expect(code(JobErrorType.Unexpected)).toBe(6);
    expect(code(JobErrorType.NamespaceNotFound)).toBe(7);
    expect(code(JobErrorType.SetupRequired)).toBe(7);
    expect(code(JobErrorType.WorkerUnavailable)).toBe(8);
    expect(exitCodeFor(new UsageError('x'))).toBe(ExitCode.usage);
  });

  it("the README's exit-code table is the one the CLI applies", async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| (\d) +\|[^|]*\|([^|]*)\|$/gm)];
    expect(rows.map((row) => row[1])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8']);
    for (const [, exit, types] of rows)
      for (const [, type] of types!.matchAll(/`(\w+)`/g))
        expect([type, type === 'UsageError' ? ExitCode.usage : exitCodeForType(type!)]).toEqual([
          type,
          Number(exit),
        ]);
  });

  // Defect: a missing namespace exited 5 "Temporal unreachable".
  it('a missing namespace is NamespaceNotFound, not TemporalUnavailable', () => {
    const jobs = new TdgJobs({} as never, { taskQueue: 'q' });
    const err = new WorkflowNotFoundError('Namespace nope is not found.', 'wf', undefined);
    expect(jobs.toJobError(err, 'wf').type).toBe(JobErrorType.NamespaceNotFound);
    // As the dev server words it for a list.
    const listed = new Error("Namespace not found: 'nope'");
    expect(jobs.toJobError(listed, null).type).toBe(JobErrorType.NamespaceNotFound);
  });

  // Defect: connectTdgJobs let a ConfigError escape the documented TdgJobError.
  it('connectTdgJobs wraps a bad setting in TdgJobError InvalidConfig', async () => {
    const err = await connectTdgJobs({ TEMPORAL_TLS: 'maybe' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TdgJobError);
    expect(err).toMatchObject({ type: JobErrorType.InvalidConfig });
  });

  // Defect: `setup --help` ran setup.
  it('setup --help prints usage and touches nothing', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const previous = process.env['TEMPORAL_ADDRESS'];
      process.env['TEMPORAL_ADDRESS'] = '127.0.0.1:1';
      expect(await setupMain(['--help'])).toBe(0);
      if (previous === undefined) delete process.env['TEMPORAL_ADDRESS'];
      else process.env['TEMPORAL_ADDRESS'] = previous;
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toMatch(/^usage: npm run setup/);
  });

  // Defect: with notification-first waiting the live line said "next check in 10m" as if polling.
  it('the --wait live line says it waits for the notification', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const status = {
      workflowId: 'wf',
      jobId: '7ed69f4c06591ff',
      state: 'CREATED',
      counts: null,
      notificationsRequested: true,
      nextCheckAt: new Date(now + 600_000).toISOString(),
      lastError: null,
    } as unknown as JobStatus;
    expect(progressLine(status, 5_000, now)).toContain(
      "waiting for TDG's notification, safety-net check in 10m",
    );
    expect(progressLine({ ...status, notificationsRequested: false }, 5_000, now)).toContain(
      'next check in 10m',
    );
  });
});

interface Run {
  code: number;
  out: string;
  err: string;
}

describe('against the dev server', () => {
  const { temporal, sim } = useTestStack();
  let jobs: TdgJobs;

  /** The CLI in-process: every line it writes, and its exit code. */
  async function cli(argv: string[], env: Record<string, string> = {}): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const saved = { ...process.env };
    Object.assign(
      process.env,
      { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: temporal.taskQueue },
      env,
    );
    try {
      const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  }

  const exists = (workflowId: string): Promise<boolean> =>
    temporal.client.workflow
      .getHandle(workflowId)
      .describe()
      .then(
        () => true,
        (err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        },
      );

  beforeAll(() => {
    jobs = new TdgJobs(temporal.client, { taskQueue: temporal.taskQueue });
  });

  // Defect: bad input answered "No registered handler for update: jobCreated" and left a FAILED workflow.
  it.each([
    ['deadlineMs -1', { deadlineMs: -1 }],
    ['an empty name', { name: '' }],
    ['a 10,000-character name', { name: TEN_THOUSAND }],
  ])('startJob with %s: InvalidJobRequest with the reason, no workflow created', async (_, bad) => {
    const workflowId = uniqueId('bad-input');
    const err = await jobs.startJob({ name: 'fine', workflowId, ...bad }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: JobErrorType.InvalidJobRequest });
    expect((err as Error).message).toMatch(/name|deadline/);
    expect(await exists(workflowId)).toBe(false);
  });

  it('start --deadline 367d: exit 2, one JSON error document, no workflow', async () => {
    const workflowId = uniqueId('cli-bad');
    const run = await cli([
      'start',
      '--name',
      'x',
      '--workflow-id',
      workflowId,
      '--deadline',
      '367d',
      '--json',
    ]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.out)).toMatchObject({ error: { type: 'UsageError', message: /366d/ } });
    expect(await exists(workflowId)).toBe(false);
  });

  // Defect: a start failing inside the workflow surfaced the SDK's update-handler message.
  it("a start that fails inside the workflow reports the workflow's own failure", async () => {
    class Unchecked extends TdgJobs {
      protected override checkRequest(): void {}
    }
    const unchecked = new Unchecked(temporal.client, { taskQueue: temporal.taskQueue });
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const err = await unchecked
        .startJob({ name: 'x', workflowId: uniqueId('inside'), deadlineMs: -1, jobIdTimeoutMs: 20_000 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TdgJobError);
      expect((err as Error).message).not.toMatch(/No registered handler/);
      expect(err).toMatchObject({ type: JobErrorType.InvalidJobRequest });
      expect((err as Error).message).toMatch(/invalid emailAppendJob input: deadline/);
    });
  });

  it('closed means closed: start again, status, check, cancel and list agree on how it ended', async () => {
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const workflowId = uniqueId('closed');
      const name = `${uniqueId('closed')} [sim duration=1h batches=2]`;
      const started = await jobs.startJob({ name, workflowId, notificationMethod: null });
      expect(started.alreadyStarted).toBe(false);
      await jobs.cancel(workflowId);
      await jobs.waitForResult(workflowId).catch(() => undefined);

      // Defect: status on a cancelled job showed WAITING_FOR_UPLOAD … next check.
      const status = await jobs.getStatus(workflowId);
      expect(status).toMatchObject({ source: 'closed', status: { ending: 'CANCELLED', state: 'CANCELLED' } });
      const shown = await cli(['status', workflowId]);
      expect(shown.code).toBe(0);
      expect(shown.out).toMatch(/CANCELLED/);
      expect(shown.out).not.toMatch(/next check/);
      const listed = await waitFor(async () => {
        const all = await jobs.listJobs({ state: 'CANCELLED', limit: 1000 });
        return all.find((job) => job.workflowId === workflowId);
      });
      expect(listed.state).toBe('CANCELLED');

      // Defect: check on a finished job exited 4 WorkflowNotFound; cancel said "cancellation requested".
      const check = await cli(['check', workflowId, '--json']);
      expect(check.code).toBe(3);
      expect(JSON.parse(check.out)).toMatchObject({
        error: { type: 'CheckRefused', closed: { ending: 'CANCELLED' } },
      });
      const cancel = await cli(['cancel', workflowId]);
      expect(cancel.code).toBe(3);
      expect(cancel.err).toMatch(/^CancelRefused: workflow .* already ended CANCELLED/);

      // Defect: starting the closed id again printed "TDG job id not known yet" with alreadyStarted: true.
      const again = await cli(['start', '--name', 'corrected', '--workflow-id', workflowId, '--json']);
      expect(again.code).toBe(3);
      const doc = JSON.parse(again.out) as { error: { type: string; message: string } };
      expect(doc.error.type).toBe('WorkflowClosed');
      expect(doc.error.message).toMatch(/already ended CANCELLED.*start anew with another workflow id/);
    });
  });

  // Defect: status on a job that failed NotAuthenticated showed CREATING with no error.
  it('a job that failed NotAuthenticated reports ERROR with the failure, as list does', async () => {
    const wrong = simulatorActivities(sim, null, { kind: 'static', token: 'not-a-valid-token' });
    await temporal.withWorker(wrong, async () => {
      const workflowId = uniqueId('unauth');
      const err = await jobs
        .startJob({ name: 'unauth', workflowId, notificationMethod: null })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ type: JobErrorType.NotAuthenticated });
      const status = await jobs.getStatus(workflowId);
      expect(status).toMatchObject({
        source: 'closed',
        status: { ending: 'ERROR', state: 'ERROR', failure: { type: 'NotAuthenticated' } },
      });
    });
  });

  // Defect: concurrent starts of one id could both say alreadyStarted: false.
  it('concurrent starts of one id: exactly one says it started the workflow', async () => {
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const workflowId = uniqueId('race');
      const name = `${uniqueId('race')} [sim duration=1h]`;
      const all = await Promise.all(
        Array.from({ length: 4 }, () => jobs.startJob({ name, workflowId, notificationMethod: null })),
      );
      expect(all.filter((s) => !s.alreadyStarted)).toHaveLength(1);
      expect(new Set(all.map((s) => s.jobId)).size).toBe(1);
      await jobs.cancel(workflowId);
    });
  });

  // Defect: check with no worker waited 880 s; start with no worker was silent, then blamed TDG.
  it('no worker: check and start give up within their timeout and say no worker polls the queue', async () => {
    const workflowId = uniqueId('no-worker');
    // A queue no worker has ever polled (the server lists a stopped worker's pollers for minutes).
    const taskQueue = uniqueId('no-worker-queue');
    const start = await cli(
      ['start', '--name', 'nobody', '--workflow-id', workflowId, '--timeout', '2s', '--json'],
      {
        TEMPORAL_TASK_QUEUE: taskQueue,
      },
    );
    expect(start.code).toBe(8);
    const doc = JSON.parse(start.out) as { error: { type: string; message: string; workflowId: string } };
    expect(doc.error).toMatchObject({ type: 'WorkerUnavailable', workflowId });
    expect(doc.error.message).toContain(`no worker is polling task queue ${taskQueue}`);
    const began = Date.now();
    const check = await cli(['check', workflowId, '--timeout', '2s'], { TEMPORAL_TASK_QUEUE: taskQueue });
    expect(Date.now() - began).toBeLessThan(15_000);
    expect(check.code).toBe(8);
    expect(check.err).toContain(`no worker is polling task queue ${taskQueue}`);
    const status = await cli(['status', workflowId, '--timeout', '1s'], { TEMPORAL_TASK_QUEUE: taskQueue });
    expect(status.code).toBe(0);
    expect(status.out).toContain(`no worker is polling task queue ${taskQueue}`);
    await temporal.client.workflow.getHandle(workflowId).terminate('test over');
  });

  // Defect: a failed start without --workflow-id never printed the generated id.
  it('prints the generated workflow id, also when the start fails', async () => {
    const run = await cli(['start', '--name', 'generated', '--timeout', '3s']);
    expect(run.code).toBe(8);
    const id = /workflow id: (\S+) \(generated\)/.exec(run.err)?.[1];
    expect(id).toMatch(/^tdg-generated-/);
    await temporal.client.workflow.getHandle(id!).terminate('test over');
  });

  it('a missing namespace exits 7 NamespaceNotFound, not 5', async () => {
    const run = await cli(['list', '--json'], { TEMPORAL_NAMESPACE: uniqueId('no-such-namespace') });
    expect(JSON.parse(run.out)).toMatchObject({ error: { type: 'NamespaceNotFound' } });
    expect(run.code).toBe(7);
  });

  // Defect: list was not newest-first.
  it('list is newest first', async () => {
    const listed = await jobs.listJobs({ limit: 50 });
    const times = listed.map((job) => job.startTime);
    expect(times).toEqual([...times].sort().reverse());
  });

  // Defect: errors were plain text on stderr with an empty stdout.
  it('--json: every command prints exactly one JSON document, success or failure', async () => {
    const missing = uniqueId('missing');
    const runs = [
      await cli(['list', '--json']),
      await cli(['list', '--state', 'bogus', '--json']),
      await cli(['status', missing, '--json']),
      await cli(['result', missing, '--json']),
      await cli(['check', missing, '--json']),
      await cli(['cancel', missing, '--json']),
      await cli(['start', '--json']),
      await cli(['status', 'x', '--json'], { TEMPORAL_ADDRESS: '127.0.0.1:1' }),
      await cli(['status', 'x', '--json'], { TEMPORAL_TLS: 'maybe' }),
    ];
    for (const run of runs) expect(() => JSON.parse(run.out) as unknown).not.toThrow();
    expect(runs.map((r) => r.code)).toEqual([0, 2, 4, 4, 4, 4, 2, 5, 2]);
    expect(runs.slice(1).map((r) => (JSON.parse(r.out) as { error: { type: string } }).error.type)).toEqual([
      'UsageError',
      'WorkflowNotFound',
      'WorkflowNotFound',
      'WorkflowNotFound',
      'WorkflowNotFound',
      'UsageError',
      'TemporalUnavailable',
      'InvalidConfig',
    ]);
  });
});
