/**
 * workflows/follow.ts on a real dev server: the check/wait loop after the job was created. Hints
 * (a check at once, notification-first waiting, spacing a burst, follow-ups after a terminal hint
 * that getJob does not confirm yet), the deadline and its final check, checkNow, and continue-as-new.
 * Days of getJob outages, JobNotFound and the schedule over a three-day job:
 * test/follow.time-skipping.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { TdgJobError } from '../src/client/index.js';
import {
  hintSignal,
  statusQuery,
  type EmailAppendJobResult,
  type JobStatus,
} from '../src/contract/definitions.js';
import { secret, simulatorActivities, uniqueId, useTestStack, waitFor } from './helpers/harness.js';
import { EventType, FAST, SLOW, failureOf, jobsOf, searchAttributesOf } from './helpers/workflow.js';

const { temporal, sim } = useTestStack();

describe('hints', () => {
  it('checks at once when a hint arrives instead of sleeping out its timer', async () => {
    const name = uniqueId('hinted') + ' [sim duration=500ms batches=2]';
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await temporal.startJob({ name, polling: SLOW });
      await waitFor(async () => ((await handle.query(statusQuery)).nextCheckAt ? true : undefined));
      await new Promise((r) => setTimeout(r, 800));
      const hintedAt = Date.now();
      await handle.signal(hintSignal, { method: 'TEST', receivedAt: new Date().toISOString() });
      const result: EmailAppendJobResult = await handle.result();
      expect(Date.now() - hintedAt).toBeLessThan(30_000); // the timer alone would take 60 s
      expect(result.state).toBe('COMPLETED');
      // A new job waits first: the hint's check is its only one.
      expect(result.checks).toBe(1);
      expect(result.notifications).toBe(1);
      expect(result.detectedBy).toBe('notification');
    });
  });

  it('notification-first: no check after creation or for a non-terminal hint; one for a terminal or unreadable hint', async () => {
    const name = uniqueId('first') + ' [sim duration=1h]';
    const notify = { publicUrl: 'http://127.0.0.1:9/notifications', secret: secret() };
    const hint = (fields?: Record<string, string>) => ({
      method: 'POST',
      receivedAt: new Date().toISOString(),
      ...(fields ? { fields } : {}),
    });
    const settled = () => new Promise((r) => setTimeout(r, 1_500));
    await temporal.withWorker(simulatorActivities(sim, notify), async () => {
      const handle = await temporal.startJob({ name, notificationMethod: 'POST', polling: SLOW });
      const created = await waitFor(async () => {
        const s = await handle.query(statusQuery);
        return s.jobId && s.nextCheckAt ? s : undefined;
      });
      expect(created).toMatchObject({ state: 'CREATED', checks: 0, notificationsRequested: true });
      // The safety net: the first poll waits the cap without notifications.
      expect(Date.parse(created.nextCheckAt!) - Date.now()).toBeGreaterThan(50_000);

      await handle.signal(hintSignal, hint({ job_id: created.jobId!, state: 'IN_PROGRESS' }));
      await settled();
      const told = await handle.query(statusQuery);
      expect(told).toMatchObject({
        checks: 0,
        notifications: 1,
        lastNotifiedState: 'IN_PROGRESS',
        state: 'CREATED',
      });

      await handle.signal(hintSignal, hint({ job_id: created.jobId!, state: 'COMPLETED' }));
      // Only getJob moves the state: the job is not finished, whatever the hint said.
      const checked = await waitFor(async () => {
        const s = await handle.query(statusQuery);
        return s.checks === 1 ? s : undefined;
      });
      expect(checked.state).not.toBe('COMPLETED');
      await settled();
      await handle.signal(hintSignal, hint());
      await waitFor(async () => ((await handle.query(statusQuery)).checks === 2 ? true : undefined));
      await handle.cancel();
    });
  });

  it('spaces hint-triggered checks: a burst of 60 hints in 3 s costs at most one getJob per second', async () => {
    const name = uniqueId('burst') + ' [sim duration=1h]';
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await temporal.startJob({ name, polling: SLOW });
      await waitFor(async () => ((await handle.query(statusQuery)).nextCheckAt ? true : undefined));
      const before = (await handle.query(statusQuery)).checks;
      const burstStart = Date.now();
      for (let i = 0; i < 60; i++) {
        await handle.signal(hintSignal, { method: 'TEST', receivedAt: new Date().toISOString() });
        await new Promise((r) => setTimeout(r, 50));
      }
      const burstMs = Date.now() - burstStart;
      // Let the last spaced check run, then count.
      await new Promise((r) => setTimeout(r, 2_000));
      const status = await handle.query(statusQuery);
      expect(status.notifications).toBe(60);
      const extraChecks = status.checks - before;
      expect(extraChecks).toBeGreaterThanOrEqual(2);
      expect(extraChecks).toBeLessThanOrEqual(Math.ceil(burstMs / 1_000) + 1);
      await handle.cancel();
    });
  });
});

describe('a read that lags the notification', () => {
  it('follows a COMPLETED hint up within seconds when getJob still says IN_PROGRESS', async () => {
    const base = simulatorActivities(sim);
    let staleAnswers = 0;
    const activities = {
      ...base,
      getJob: async (jobId: string) => {
        const answer = await base.getJob(jobId);
        // TDG's read lags its notification: the first check after the hint sees the old state.
        if (answer.state === 'COMPLETED' && staleAnswers++ === 0)
          return { ...answer, state: 'IN_PROGRESS', batchList: [] };
        return answer;
      },
    };
    await temporal.withWorker(activities, async () => {
      const handle = await temporal.startJob({
        name: uniqueId('lagging') + ' [sim duration=500ms]',
        polling: SLOW,
      });
      await waitFor(async () => ((await handle.query(statusQuery)).nextCheckAt ? true : undefined));
      await new Promise((r) => setTimeout(r, 1_000));
      const hintedAt = Date.now();
      await handle.signal(hintSignal, {
        method: 'POST',
        receivedAt: new Date().toISOString(),
        fields: { state: 'COMPLETED' },
      });
      const result = await handle.result();
      expect(result.state).toBe('COMPLETED');
      expect(result.checks).toBe(2);
      // The safety net alone would take 60 s; the first follow-up comes 5 s after the stale answer.
      expect(Date.now() - hintedAt).toBeLessThan(20_000);
    });
  });
});

describe('the deadline', () => {
  it('fails with JobDeadlineExceeded carrying the last snapshot when the deadline passes', async () => {
    const name = uniqueId('slow') + ' [sim duration=1h]';
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await temporal.startJob({ name, polling: FAST, deadlineMs: 2_000 });
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe('JobDeadlineExceeded');
      const last = failure.details?.[0] as JobStatus;
      expect(last.jobId).toMatch(/^[0-9a-f]{15}$/);
      expect(last.checks).toBeGreaterThan(0);
      expect(await searchAttributesOf(handle)).toEqual({ jobId: last.jobId, state: 'DEADLINE_EXCEEDED' });
    });
  });

  it('looks once more at the deadline: a job that finished before it is reported COMPLETED', async () => {
    // The schedule's next check would come after the deadline: only the final check can see the end.
    const name = uniqueId('late') + ' [sim duration=1s batches=2]';
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await temporal.startJob({ name, polling: SLOW, deadlineMs: 3_000 });
      const result: EmailAppendJobResult = await handle.result();
      expect(result.state).toBe('COMPLETED');
      expect(result.batchList).toHaveLength(2);
      // A new job waits first, and its next check would come after the deadline: only the final one.
      expect(result.checks).toBe(1);
      const job = (await sim.jobs()).find((j) => j.jobId === result.jobId);
      expect(job?.getJobCalls).toBe(1);
    });
  });
});

describe('checkNow', () => {
  it('checkNow runs a getJob at once, is not a notification, is refused when too frequent; cancel', async () => {
    const name = uniqueId('check-now') + ' [sim duration=1h batches=2]';
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const jobs = jobsOf(temporal);
      const started = await jobs.startJob({ name, notificationMethod: null, polling: SLOW });
      const handle = temporal.client.workflow.getHandle(started.workflowId);
      const before = await waitFor(async () => {
        const s = await handle.query(statusQuery);
        return s.nextCheckAt ? s : undefined;
      });
      const fresh = await jobs.checkNow(started.workflowId);
      expect(fresh.checks).toBe(before.checks + 1);
      expect(fresh.notifications).toBe(0);
      const tooSoon = await jobs.checkNow(started.workflowId).catch((e: unknown) => e);
      expect(tooSoon).toBeInstanceOf(TdgJobError);
      expect(tooSoon).toMatchObject({ type: 'CheckRefused', status: { jobId: started.jobId } });
      const job = (await sim.jobs()).find((j) => j.jobId === started.jobId);
      expect(job?.getJobCalls).toBe(fresh.checks);
      // Cancelled: the rejection is typed and still says which TDG job it was.
      await jobs.cancel(started.workflowId);
      const cancelled = await jobs.waitForResult(started.workflowId).catch((e: unknown) => e);
      expect(cancelled).toMatchObject({ type: 'JobCancelled', status: { jobId: started.jobId } });
      expect(await searchAttributesOf(handle)).toEqual({ jobId: started.jobId, state: 'CANCELLED' });
    });
  });
});

describe('continue-as-new', () => {
  it('continues as new with its job id and counters, and creates one TDG job', async () => {
    // The dev server fires timers on whole seconds, so a 5 s job sees about five checks.
    const name = uniqueId('long') + ' [sim duration=5s batches=2]';
    const steady = { initialIntervalMs: 500, backoffFactor: 1, maxIntervalMs: 500, jitter: 0 };
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await temporal.startJob({ name, polling: steady, continueAsNewAfterEvents: 20 });
      const result: EmailAppendJobResult = await handle.result();
      expect(result.state).toBe('COMPLETED');
      expect(result.checks).toBeGreaterThanOrEqual(4);
      const job = (await sim.jobs()).find((j) => j.jobId === result.jobId);
      expect(job?.getJobCalls).toBe(result.checks);
      expect((await sim.stats()).jobsCreated.byName[`${name} (wf: ${handle.workflowId})`]).toBe(1);
      const firstRun = await temporal.client.workflow
        .getHandle(handle.workflowId, handle.firstExecutionRunId)
        .fetchHistory();
      expect(firstRun.events?.at(-1)?.eventType).toBe(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
      );
      // The first run's first sighting is kept through the continue-as-new chain.
      expect(result.timeline.length).toBeGreaterThanOrEqual(2);
      expect(result.timeline[0]?.state).not.toBe('COMPLETED');
      // No hint was pending: the second run waits on the schedule before its first getJob.
      const secondRunId =
        firstRun.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      const secondRun = await temporal.client.workflow
        .getHandle(handle.workflowId, secondRunId ?? undefined)
        .fetchHistory();
      const firstCommand = secondRun.events?.find(
        (e) =>
          e.eventType === EventType.EVENT_TYPE_TIMER_STARTED ||
          e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      );
      expect(firstCommand?.eventType).toBe(EventType.EVENT_TYPE_TIMER_STARTED);
    });
  });
});
