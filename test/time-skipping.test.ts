import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TdgActivities } from '../activities/index.js';
import { temporal } from '@temporalio/proto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  FailureType,
  SEARCH_ATTRIBUTE_SPECS,
  TDG_POSSIBLE_DUPLICATE,
  WORKFLOW_TYPE,
  statusQuery,
  type EmailAppendJobResult,
  type JobStatus,
} from '../src/contract/definitions.js';
import { createTdgWorker } from '../src/worker/factory.js';
import { DEFAULT_POLLING_POLICY, nextPollDelayMs } from '../workflows/schedule.js';
import {
  runSimulator,
  simulatorActivities,
  uniqueId,
  workflowBundle,
  type SimulatorHandle,
} from './helpers/harness.js';

const JOB_MS = 3 * 24 * 3_600_000;

/** The simulator's phases: WAITING_FOR_UPLOAD, QUEUED from 10 %, IN_PROGRESS from 25 %, terminal at 100 %. */
function phaseAt(elapsedMs: number): number {
  return [0.1, 0.25, 1].filter((f) => elapsedMs >= f * JOB_MS).length;
}

/** Checks the schedule needs to see the job end, for a fixed jitter draw (it restarts short at each state change). */
function checksNeeded(draw: number): number {
  let elapsed = 0;
  let checks = 1; // the first check runs right after creation
  let phase = phaseAt(0);
  let stableChecks = 0;
  while (phase < 3) {
    elapsed += nextPollDelayMs(
      DEFAULT_POLLING_POLICY,
      { stableChecks, notificationsWorking: false },
      () => draw,
    );
    checks += 1;
    const now = phaseAt(elapsed);
    stableChecks = now === phase ? stableChecks + 1 : 0;
    phase = now;
  }
  return checks;
}

let env: TestWorkflowEnvironment;
let sim: SimulatorHandle;
/** The simulator's clock follows the test server's skipped time, as seen by each activity attempt. */
let workflowNow = Date.now();

beforeAll(async () => {
  const path = inject('timeSkippingServerPath');
  env = await TestWorkflowEnvironment.createTimeSkipping(
    path ? { server: { executable: { type: 'existing-path', path } } } : {},
  );
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTE_SPECS.map(({ name, type }) => [
        name,
        type === 'Bool'
          ? temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL
          : temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
  sim = await runSimulator({ now: () => workflowNow });
}, 120_000);

afterAll(async () => {
  await sim?.close();
  await env?.teardown();
});

/** TDG's behaviour from `fromHours` to `toHours` after the job was created (workflow time). */
interface Phase {
  fromHours: number;
  toHours: number;
  faults: Record<string, unknown>;
}

const NO_FAULTS = {
  htmlRate: 0,
  redirectRate: 0,
  notFoundRate: 0,
  resetRate: 0,
  errorRate: 0,
  rateLimitRate: 0,
  malformedRate: 0,
  outage: false,
};

/**
 * The real activities over HTTP, with the simulator's clock following the test server's skipped
 * time and its faults switched by the phase that time falls in.
 */
function skippingActivities(
  phases: Phase[] = [],
  createFaults: (attempt: number) => Record<string, unknown> = () => ({}),
): TdgActivities {
  const real = simulatorActivities(sim);
  let createdAt: number | null = null;
  let createAttempts = 0;
  let applied = '';
  const applyFaults = async (faults: Record<string, unknown>): Promise<void> => {
    const key = JSON.stringify(faults);
    if (key === applied) return;
    applied = key;
    await sim.setFaults({ ...NO_FAULTS, ...faults });
  };
  // A local activity's scheduled time is the worker's real clock: ask the server for its skipped one.
  const followClock = async (): Promise<void> => {
    const { info } = Context.current();
    workflowNow = info.isLocal ? await env.currentTimeMs() : info.currentAttemptScheduledTimestampMs;
  };
  return {
    createJob: async (req) => {
      await followClock();
      // The token first (a 404 for a job that does not exist), so create faults hit the job request.
      if (createAttempts++ === 0) await real.getJob('warm-up').catch(() => undefined);
      await applyFaults(createFaults(createAttempts));
      const created = await real.createJob(req);
      createdAt = workflowNow;
      return created;
    },
    getJob: async (jobId) => {
      await followClock();
      const hours = (workflowNow - (createdAt ?? workflowNow)) / 3_600_000;
      const phase = phases.find((p) => hours >= p.fromHours && hours < p.toHours);
      await applyFaults(phase?.faults ?? {});
      return real.getJob(jobId);
    },
  };
}

async function skippingWorker(activities: TdgActivities) {
  const taskQueue = uniqueId('skip');
  const worker = await createTdgWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    activities,
    workflowBundle: await workflowBundle(),
    // The time-skipping server cannot version workers: these runs are unversioned.
    versioning: null,
  });
  return { worker, taskQueue };
}

describe('a three-day job on the time-skipping server', () => {
  it('polls exactly as the schedule says and returns the batch list', async () => {
    const { worker, taskQueue } = await skippingWorker(skippingActivities());
    const result = await worker.runUntil(
      env.client.workflow.execute(WORKFLOW_TYPE, {
        workflowId: uniqueId('three-days'),
        taskQueue,
        args: [{ name: 'Three day job [sim duration=3d batches=6]' }],
      }) as Promise<EmailAppendJobResult>,
    );

    expect(result.state).toBe('COMPLETED');
    expect(result.batchList).toHaveLength(6);
    const job = (await sim.jobs()).find((j) => j.jobId === result.jobId);
    expect(job?.getJobCalls).toBe(result.checks);
    // Jitter is ±10 %: the count lies between the schedule run with the longest and the shortest draws.
    expect(result.checks).toBeGreaterThanOrEqual(checksNeeded(0.999999) - 2);
    expect(result.checks).toBeLessThanOrEqual(checksNeeded(0) + 2);
    expect(result.checks).toBeGreaterThan(400);
    const first = Date.parse(result.timeline[0]!.at);
    const last = Date.parse(result.timeline.at(-1)!.at);
    expect(last - first).toBeGreaterThanOrEqual(JOB_MS * 0.99);
    expect(last - first).toBeLessThanOrEqual(JOB_MS + DEFAULT_POLLING_POLICY.maxIntervalMs + 60_000);
  }, 240_000);
});

const HOUR = 3_600_000;

describe('a day-long job through a day of TDG outages of every kind', () => {
  it('waits out HTML pages, 404s, redirects, resets and 5xx, showing the last error, and completes', async () => {
    const { worker, taskQueue } = await skippingWorker(
      skippingActivities([
        { fromHours: 2, toHours: 6, faults: { htmlRate: 1 } },
        { fromHours: 8, toHours: 8.75, faults: { notFoundRate: 1 } },
        { fromHours: 10, toHours: 11, faults: { redirectRate: 1 } },
        { fromHours: 12, toHours: 13, faults: { resetRate: 1 } },
        { fromHours: 14, toHours: 16, faults: { outage: true } },
      ]),
    );
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(WORKFLOW_TYPE, {
        workflowId: uniqueId('outages'),
        taskQueue,
        args: [{ name: 'Outage day [sim duration=1d batches=3]' }],
      });
      await env.sleep(4 * HOUR);
      const inMaintenance = await handle.query(statusQuery);
      expect(inMaintenance.state).not.toMatch(/COMPLETED|FAILED/);
      expect(inMaintenance.lastError).toMatch(/unreadable|HTML|text\/html/i);
      await env.sleep(4.5 * HOUR);
      const denied = await handle.query(statusQuery);
      expect(denied.lastError).toContain('404');
      return (await handle.result()) as EmailAppendJobResult;
    });
    expect(result.state).toBe('COMPLETED');
    expect(result.batchList).toHaveLength(3);
  }, 240_000);

  it('fails as JobNotFound, typed and with its last status, once TDG has denied the job for an hour', async () => {
    const { worker, taskQueue } = await skippingWorker(
      skippingActivities([{ fromHours: 1, toHours: 1_000, faults: { notFoundRate: 1 } }]),
    );
    const workflowId = uniqueId('not-found');
    const failure = await worker.runUntil(
      env.client.workflow
        .execute(WORKFLOW_TYPE, {
          workflowId,
          taskQueue,
          args: [{ name: 'Denied job [sim duration=1d]' }],
        })
        .then(
          () => null,
          (err: unknown) => err,
        ),
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: FailureType.JobNotFound, nonRetryable: true });
    const status = (cause as ApplicationFailure).details?.[0] as JobStatus;
    expect(status.jobId).toMatch(/./);
    expect(status.state).not.toBe('CREATED');
    expect(status.lastError).toContain('404');
    const description = await env.client.workflow.getHandle(workflowId).describe();
    const ranMs = description.closeTime!.getTime() - description.startTime.getTime();
    // Denied from hour 1; confirmed for an hour; the checks run at most one schedule cap apart.
    expect(ranMs).toBeGreaterThanOrEqual(2 * HOUR);
    expect(ranMs).toBeLessThanOrEqual(2 * HOUR + 2 * DEFAULT_POLLING_POLICY.maxIntervalWithNotificationsMs);
  }, 240_000);

  it('fails with a typed failure and its status, never a bare ActivityFailure, when the answers to createJob stay unreadable', async () => {
    const { worker, taskQueue } = await skippingWorker(skippingActivities([], () => ({ malformedRate: 1 })));
    const failure = await worker.runUntil(
      env.client.workflow
        .execute(WORKFLOW_TYPE, {
          workflowId: uniqueId('unreadable-create'),
          taskQueue,
          args: [{ name: 'Unreadable create [sim duration=1h]' }],
        })
        .then(
          () => null,
          (err: unknown) => err,
        ),
    );
    await sim.setFaults(NO_FAULTS);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: FailureType.TdgMalformedResponse, nonRetryable: true });
    expect((cause as ApplicationFailure).details?.[0]).toMatchObject({ state: 'CREATING', jobId: null });
  }, 240_000);
});

describe('createJob retries through TDG outages', () => {
  async function createdAfter(firstAttemptFaults: Record<string, unknown>) {
    const { worker, taskQueue } = await skippingWorker(
      skippingActivities([], (attempt) => (attempt === 1 ? firstAttemptFaults : {})),
    );
    const workflowId = uniqueId('retried-create');
    const result = await worker.runUntil(
      env.client.workflow.execute(WORKFLOW_TYPE, {
        workflowId,
        taskQueue,
        args: [{ name: 'Retried create [sim duration=1h]' }],
      }) as Promise<EmailAppendJobResult>,
    );
    const description = await env.client.workflow.getHandle(workflowId).describe();
    const tdgJobs = (await sim.jobs()).filter((j) => j.name.includes(workflowId));
    return { result, marked: description.typedSearchAttributes.get(TDG_POSSIBLE_DUPLICATE), tdgJobs };
  }

  it('marks a possible duplicate when a retry followed an unknown outcome (TDG created a job it could not tell us)', async () => {
    const { result, marked, tdgJobs } = await createdAfter({ malformedRate: 1 });
    expect(result.state).toBe('COMPLETED');
    expect(tdgJobs).toHaveLength(2);
    expect(result.possibleDuplicateTdgJob).toBe(true);
    expect(marked).toBe(true);
  }, 120_000);

  it('does not mark a retry after a refusal (429): TDG created nothing', async () => {
    const { result, marked, tdgJobs } = await createdAfter({ rateLimitRate: 1 });
    expect(result.state).toBe('COMPLETED');
    expect(tdgJobs).toHaveLength(1);
    expect(result.possibleDuplicateTdgJob).toBe(false);
    expect(marked).toBeUndefined();
  }, 120_000);
});
