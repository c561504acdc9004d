/**
 * src/client/tdg-jobs.ts, the typed client (`TdgJobs`, `connectTdgJobs`): what it refuses before
 * anything starts, the typed errors it turns failures into, and starts, statuses and lists against
 * the suite's dev server. Each block that guards a past defect names it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/client';
import { connectTdgJobs, JobErrorType, TdgJobError, TdgJobs } from '../src/client/index.js';
import { parseCommand, UsageError } from '../src/cli/args.js';
import { simulatorActivities, uniqueId, useTestStack } from './helpers/harness.js';
import { FAST, TRIAL_KEY, jobsOf, withTrialAccount, workflowExists } from './helpers/workflow.js';

const TEN_THOUSAND = 'x'.repeat(10_000);

describe('what the client refuses, and its typed errors', () => {
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
});

describe('against the dev server', () => {
  const { temporal, sim } = useTestStack();
  let jobs: TdgJobs;

  beforeAll(() => {
    jobs = jobsOf(temporal);
  });

  it('client: waitForResult rejects with a typed JobDeadlineExceeded that names the TDG job', async () => {
    const name = uniqueId('client-deadline') + ' [sim duration=1h]';
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const jobs = jobsOf(temporal);
      const started = await jobs.startJob({ name, polling: FAST, deadlineMs: 1_000 });
      expect(started.jobId).toMatch(/^[0-9a-f]{15}$/);
      const rejection = await jobs.waitForResult(started.workflowId).catch((e: unknown) => e);
      expect(rejection).toBeInstanceOf(TdgJobError);
      expect(rejection).toMatchObject({
        type: 'JobDeadlineExceeded',
        workflowId: started.workflowId,
        status: { jobId: started.jobId },
      });
    });
  });

  it('client: startJob rejects with a typed NotPermitted when the account may not use the async API', async () => {
    await withTrialAccount(temporal, async () => {
      const jobs = jobsOf(temporal);
      const workflowId = uniqueId('client-trial');
      const rejection = await jobs
        .startJob({ name: uniqueId('trial'), workflowId, polling: FAST })
        .catch((e: unknown) => e);
      expect(rejection).toBeInstanceOf(TdgJobError);
      expect(rejection).toMatchObject({ type: 'NotPermitted', workflowId });
      expect((rejection as TdgJobError).message).not.toContain(TRIAL_KEY);
      await expect(jobs.waitForResult(workflowId)).rejects.toMatchObject({ type: 'NotPermitted' });
    });
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
    expect(await workflowExists(temporal, workflowId)).toBe(false);
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

  // Defect: list was not newest-first.
  it('list is newest first', async () => {
    const listed = await jobs.listJobs({ limit: 50 });
    const times = listed.map((job) => job.startTime);
    expect(times).toEqual([...times].sort().reverse());
  });
});
