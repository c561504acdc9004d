/**
 * workflows/follow.ts over days of workflow time, on the native time-skipping server: the schedule
 * over a three-day job, a day of getJob outages of every kind, and JobNotFound once TDG has denied
 * the job for an hour.
 */
import { describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  FailureType,
  WORKFLOW_TYPE,
  statusQuery,
  type EmailAppendJobResult,
  type JobStatus,
} from '../src/contract/definitions.js';
import { DEFAULT_POLLING_POLICY, nextPollDelayMs } from '../workflows/schedule.js';
import { uniqueId } from './helpers/harness.js';
import { HOUR, useTimeSkippingServer } from './helpers/time-skipping.js';

const JOB_MS = 3 * 24 * HOUR;

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

const { env, sim, skippingActivities, skippingWorker } = useTimeSkippingServer();

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
});
