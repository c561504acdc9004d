import { describe, expect, it } from 'vitest';
import { WorkflowFailedError, type WorkflowExecutionDescription } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { TdgJobError, TdgJobs } from '../src/client/index.js';
import type { emailAppendJob } from '../workflows/index.js';
import { signWorkflowId } from '../src/platform/notify-url.js';
import {
  jobNotificationSignal,
  statusQuery,
  type EmailAppendJobInput,
  type EmailAppendJobResult,
  type JobStatus,
} from '../src/contract/definitions.js';
import {
  capturedLogs,
  runSimulator,
  secret,
  simulatorActivities,
  uniqueId,
  useTestStack,
  waitFor,
  type TemporalHandle,
} from './helpers/harness.js';
import { attributesOf, markers, searchAttributeUpserts } from './helpers/history.js';

/** Short intervals so a real-time test takes seconds; the schedule's shape is unit-tested elsewhere. */
const FAST = {
  initialIntervalMs: 200,
  backoffFactor: 1.5,
  maxIntervalMs: 1_000,
  maxIntervalWithNotificationsMs: 2_000,
};

const { temporal, sim } = useTestStack();

function start(input: EmailAppendJobInput, workflowId = uniqueId('wf')) {
  return temporal.startJob(input, workflowId);
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => {
      throw new Error('expected the workflow to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

const EventType = proto.api.enums.v1.EventType;

async function searchAttributesOf(handle: { describe(): Promise<WorkflowExecutionDescription> }) {
  const attributes = (await handle.describe()).typedSearchAttributes;
  return {
    jobId: attributes.get({ name: 'TdgJobId', type: 'KEYWORD' }),
    state: attributes.get({ name: 'TdgJobState', type: 'KEYWORD' }),
  };
}

function jobsOf(t: TemporalHandle): TdgJobs {
  return new TdgJobs(t.client, { taskQueue: t.taskQueue });
}

const TRIAL_KEY = 'trial-key-0123456789';

/** Runs `fn` with a worker whose TDG account may not use the async API (a restricted key). */
async function withTrialAccount(fn: () => Promise<void>): Promise<void> {
  const trial = await runSimulator({ apiKey: TRIAL_KEY, restrictedApiKeys: [TRIAL_KEY] });
  try {
    await temporal.withWorker(simulatorActivities(trial), fn);
  } finally {
    await trial.close();
  }
}

describe('emailAppendJob on a real Temporal dev server', () => {
  it('creates the job, publishes its id and returns the batch list on COMPLETED', async () => {
    const name = uniqueId('complete') + ' [sim duration=1500ms batches=3]';
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await start({ name, polling: FAST });
      const status = await waitFor(async () => {
        const s = await handle.query(statusQuery);
        return s.jobId ? s : undefined;
      });
      expect(status.jobId).toMatch(/^[0-9a-f]{15}$/);
      const visible = await waitFor(async () => {
        const v = await jobsOf(temporal).visibleStatus(handle.workflowId);
        return v.jobId ? v : undefined;
      });
      expect(visible.jobId).toBe(status.jobId);

      const result: EmailAppendJobResult = await handle.result();
      expect(result.state).toBe('COMPLETED');
      expect(result.jobId).toBe(status.jobId);
      expect(result.batchList).toHaveLength(3);
      expect(result.counts.completed).toBe(3);
      expect(result.createdDate).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(result.timeline.map((t) => t.state).at(-1)).toBe('COMPLETED');
      const job = (await sim.jobs()).find((j) => j.jobId === result.jobId);
      expect(job?.getJobCalls).toBe(result.checks);
      const description = await handle.describe();
      expect(description.typedSearchAttributes.get({ name: 'TdgJobState', type: 'KEYWORD' })).toBe(
        'COMPLETED',
      );
    });
  });

  it('lean history: no patch marker, checks as local-activity markers, no CREATING over the state set at start', async () => {
    const name = uniqueId('lean') + ' [sim duration=2s batches=2]';
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const started = await jobsOf(temporal).startJob({ name, notificationMethod: null, polling: FAST });
      const handle = temporal.client.workflow.getHandle<typeof emailAppendJob>(started.workflowId);
      const result = await handle.result();
      const history = await handle.fetchHistory();
      const patches = markers(history, 'core_patch').map(({ details }) => details['patch-data']);
      expect(patches).toEqual([]);
      const scheduled = attributesOf(history, 'activityTaskScheduledEventAttributes').map(
        (a) => a.activityType?.name,
      );
      expect(scheduled).toEqual(['createJob']);
      expect(result.checks).toBeGreaterThan(1);
      expect(markers(history, 'core_local_activity')).toHaveLength(result.checks);
      const states = searchAttributeUpserts(history, 'TdgJobState');
      expect(states).not.toContain('CREATING');
      expect(states[0]).toBe('CREATED');
      expect(states.at(-1)).toBe('COMPLETED');
    });
  });

  it('fails with a non-retryable JobFailed that still carries the batch list', async () => {
    const name = uniqueId('failing') + ' [sim duration=1s batches=4 outcome=FAILED]';
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await start({ name, polling: FAST });
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe('JobFailed');
      expect(failure.nonRetryable).toBe(true);
      const details = failure.details?.[0] as EmailAppendJobResult;
      expect(details.state).toBe('FAILED');
      expect(details.batchList).toHaveLength(4);
      expect(details.counts.failed).toBeGreaterThan(0);
      const rejection = await jobsOf(temporal)
        .waitForResult(handle.workflowId)
        .catch((e: unknown) => e);
      expect(rejection).toBeInstanceOf(TdgJobError);
      expect(rejection).toMatchObject({ type: 'JobFailed', result: { state: 'FAILED' } });
    });
  });

  it('checks at once when a hint arrives instead of sleeping out its timer', async () => {
    const name = uniqueId('hinted') + ' [sim duration=500ms batches=2]';
    const slow = { initialIntervalMs: 60_000, maxIntervalMs: 60_000, maxIntervalWithNotificationsMs: 60_000 };
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await start({ name, polling: slow });
      await waitFor(async () => ((await handle.query(statusQuery)).nextCheckAt ? true : undefined));
      await new Promise((r) => setTimeout(r, 800));
      const hintedAt = Date.now();
      await handle.signal(jobNotificationSignal, { method: 'TEST', receivedAt: new Date().toISOString() });
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
    const slow = { initialIntervalMs: 60_000, maxIntervalMs: 60_000, maxIntervalWithNotificationsMs: 60_000 };
    const notify = { publicUrl: 'http://127.0.0.1:9/notifications', secret: secret() };
    const hint = (fields?: Record<string, string>) => ({
      method: 'POST',
      receivedAt: new Date().toISOString(),
      ...(fields ? { fields } : {}),
    });
    const settled = () => new Promise((r) => setTimeout(r, 1_500));
    await temporal.withWorker(simulatorActivities(sim, notify), async () => {
      const handle = await start({ name, notificationMethod: 'POST', polling: slow });
      const created = await waitFor(async () => {
        const s = await handle.query(statusQuery);
        return s.jobId && s.nextCheckAt ? s : undefined;
      });
      expect(created).toMatchObject({ state: 'CREATED', checks: 0, notificationsRequested: true });
      // The safety net: the first poll waits the cap without notifications.
      expect(Date.parse(created.nextCheckAt!) - Date.now()).toBeGreaterThan(50_000);

      await handle.signal(jobNotificationSignal, hint({ job_id: created.jobId!, state: 'IN_PROGRESS' }));
      await settled();
      const told = await handle.query(statusQuery);
      expect(told).toMatchObject({
        checks: 0,
        notifications: 1,
        lastNotifiedState: 'IN_PROGRESS',
        state: 'CREATED',
      });

      await handle.signal(jobNotificationSignal, hint({ job_id: created.jobId!, state: 'COMPLETED' }));
      // Only getJob moves the state: the job is not finished, whatever the hint said.
      const checked = await waitFor(async () => {
        const s = await handle.query(statusQuery);
        return s.checks === 1 ? s : undefined;
      });
      expect(checked.state).not.toBe('COMPLETED');
      await settled();
      await handle.signal(jobNotificationSignal, hint());
      await waitFor(async () => ((await handle.query(statusQuery)).checks === 2 ? true : undefined));
      await handle.cancel();
    });
  });

  it('spaces hint-triggered checks: a burst of 60 hints in 3 s costs at most one getJob per second', async () => {
    const name = uniqueId('burst') + ' [sim duration=1h]';
    const slow = { initialIntervalMs: 60_000, maxIntervalMs: 60_000, maxIntervalWithNotificationsMs: 60_000 };
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await start({ name, polling: slow });
      await waitFor(async () => ((await handle.query(statusQuery)).nextCheckAt ? true : undefined));
      const before = (await handle.query(statusQuery)).checks;
      const burstStart = Date.now();
      for (let i = 0; i < 60; i++) {
        await handle.signal(jobNotificationSignal, { method: 'TEST', receivedAt: new Date().toISOString() });
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

  it('fails with JobDeadlineExceeded carrying the last snapshot when the deadline passes', async () => {
    const name = uniqueId('slow') + ' [sim duration=1h]';
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await start({ name, polling: FAST, deadlineMs: 2_000 });
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
    const slow = { initialIntervalMs: 60_000, maxIntervalMs: 60_000, maxIntervalWithNotificationsMs: 60_000 };
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await start({ name, polling: slow, deadlineMs: 3_000 });
      const result: EmailAppendJobResult = await handle.result();
      expect(result.state).toBe('COMPLETED');
      expect(result.batchList).toHaveLength(2);
      // A new job waits first, and its next check would come after the deadline: only the final one.
      expect(result.checks).toBe(1);
      const job = (await sim.jobs()).find((j) => j.jobId === result.jobId);
      expect(job?.getJobCalls).toBe(1);
    });
  });

  it('continues as new with its job id and counters, and creates one TDG job', async () => {
    // The dev server fires timers on whole seconds, so a 5 s job sees about five checks.
    const name = uniqueId('long') + ' [sim duration=5s batches=2]';
    const steady = { initialIntervalMs: 500, backoffFactor: 1, maxIntervalMs: 500, jitter: 0 };
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await start({ name, polling: steady, continueAsNewAfterEvents: 20 });
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

  it('survives 5xx, 429 and malformed answers from TDG', async () => {
    const faulty = await runSimulator({
      seed: 11,
      faults: { errorRate: 0.3, rateLimitRate: 0.1, retryAfterSeconds: 1, malformedRate: 0.1 },
    });
    try {
      const name = uniqueId('faulty') + ' [sim duration=1500ms batches=2]';
      await temporal.withWorker(simulatorActivities(faulty), async () => {
        const handle = await start({ name, polling: FAST });
        const result: EmailAppendJobResult = await handle.result();
        expect(result.state).toBe('COMPLETED');
        expect(result.batchList).toHaveLength(2);
      });
      const stats = await faulty.stats();
      expect(stats.jobsCreated.total).toBe(1);
    } finally {
      await faulty.close();
    }
  });

  it('refuses a duplicate start: one workflow id, one TDG job', async () => {
    const workflowId = uniqueId('dup');
    const name = uniqueId('dup') + ' [sim duration=800ms batches=1]';
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const jobs = jobsOf(temporal);
      const options = { name, notificationMethod: null, workflowId, polling: FAST };
      const first = await jobs.startJob(options);
      const second = await jobs.startJob(options);
      expect(first.alreadyStarted).toBe(false);
      expect(second.alreadyStarted).toBe(true);
      expect(first.jobId).toMatch(/^[0-9a-f]{15}$/);
      expect(second.jobId).toBe(first.jobId);
      await jobs.waitForResult(workflowId);
      // Closed: nothing starts again; the refusal says how it ended and names the same TDG job.
      const third = await jobs.startJob(options).catch((e: unknown) => e);
      expect(third).toMatchObject({
        type: 'WorkflowClosed',
        closed: { ending: 'COMPLETED', jobId: first.jobId },
      });
      expect((await sim.stats()).jobsCreated.byName[`${name} (wf: ${workflowId})`]).toBe(1);
    });
  });

  it('checkNow runs a getJob at once, is not a notification, is refused when too frequent; cancel', async () => {
    const name = uniqueId('check-now') + ' [sim duration=1h batches=2]';
    const slow = { initialIntervalMs: 60_000, maxIntervalMs: 60_000, maxIntervalWithNotificationsMs: 60_000 };
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const jobs = jobsOf(temporal);
      const started = await jobs.startJob({ name, notificationMethod: null, polling: slow });
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
    await withTrialAccount(async () => {
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

  it('records the TDG job when cancellation arrives during createJob, then ends CANCELLED', async () => {
    const name = uniqueId('cancel-create') + ' [sim duration=1h batches=1]';
    const real = simulatorActivities(sim);
    let createStarted = false;
    const slowCreate = {
      ...real,
      createJob: async (request: Parameters<typeof real.createJob>[0]) => {
        createStarted = true;
        await new Promise((r) => setTimeout(r, 2_000));
        return real.createJob(request);
      },
    };
    await temporal.withWorker(slowCreate, async () => {
      const handle = await start({ name, polling: FAST });
      await waitFor(() => Promise.resolve(createStarted ? true : undefined));
      await handle.cancel();
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      const created = (await sim.jobs()).filter((j) => j.name.includes(handle.workflowId));
      expect(created).toHaveLength(1);
      expect(await searchAttributesOf(handle)).toEqual({ jobId: created[0]!.jobId, state: 'CANCELLED' });
      expect(capturedLogs.join('\n')).toMatch(new RegExp(`workflow ends CANCELLED.*${created[0]!.jobId}`));
    });
  });

  it('fails fast and clearly when the account may not use the async API', async () => {
    await withTrialAccount(async () => {
      const handle = await start({ name: uniqueId('trial'), polling: FAST });
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe('NotPermitted');
      expect(failure.message).toMatch(/createJob failed/);
      expect(failure.message).not.toContain(TRIAL_KEY);
      expect((await searchAttributesOf(handle)).state).toBe('ERROR');
    });
  });

  it('keeps the API key, token, password and signing secret out of history, status and logs', async () => {
    // The worker's production wiring (harness: simulatorActivities): activities, client and token
    // provider all log through the Temporal runtime's logger, whose every entry is captured.
    const token = `static-token-${secret()}`;
    const notifySecret = secret();
    const tokenSim = await runSimulator({ staticTokens: [token] });
    try {
      const workflowId = uniqueId('secrets');
      const notify = { publicUrl: 'http://127.0.0.1:9/notifications', secret: notifySecret };
      const passwordActivities = simulatorActivities(tokenSim, notify);
      const tokenActivities = simulatorActivities(tokenSim, notify, { kind: 'static', token });
      for (const [activities, id, auth] of [
        [passwordActivities, `${workflowId}-pw`, 'password'],
        [tokenActivities, `${workflowId}-tok`, 'static'],
      ] as const) {
        await temporal.withWorker(activities, async () => {
          const handle = await start(
            {
              name: 'Secret check [sim duration=600ms batches=1]',
              notificationMethod: 'POST',
              polling: FAST,
            },
            id,
          );
          await handle.result();
          const history = JSON.stringify(await handle.fetchHistory());
          const status = JSON.stringify(await handle.query(statusQuery).catch(() => ({})));
          const logs = capturedLogs.join('\n');
          expect(logs).toContain(handle.workflowId); // the logs were captured
          // Every AuthorizationToken the worker sent: the session token(s) the simulator issued, the static one.
          const tokensSent = tokenSim.tokensSeen();
          if (auth === 'password') {
            expect((await tokenSim.stats()).tokensIssued).toBeGreaterThanOrEqual(1);
            expect(
              tokensSent.filter((t) => t !== token).length,
              'the session token was captured',
            ).toBeGreaterThanOrEqual(1);
            // The token provider logged through the same captured logger.
            expect(logs).toContain('Obtained a TDG authorization token');
          } else {
            expect(tokensSent).toContain(token);
          }
          const forbidden = [
            tokenSim.options.apiKey,
            tokenSim.options.password,
            token,
            ...tokensSent,
            notifySecret,
            signWorkflowId(notifySecret, id),
          ];
          for (const text of [history, status, logs]) {
            for (const value of forbidden) {
              expect(text).not.toContain(value);
            }
          }
        });
      }
    } finally {
      await tokenSim.close();
    }
  });

  it('rejects invalid input with a non-retryable InvalidWorkflowInput', async () => {
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await start({ name: '  ', polling: { jitter: 2 } });
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe('InvalidWorkflowInput');
      expect(failure.message).toMatch(/name must be a non-empty string/);
      expect(failure.message).toMatch(/jitter/);
    });
  });

  it('rejects a deadline beyond its bound cleanly instead of failing workflow tasks', async () => {
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await start({ name: uniqueId('far'), polling: FAST, deadlineMs: 1e16 });
      // A failing workflow task would leave the workflow open: give up well before the test timeout.
      const failure = await failureOf(
        Promise.race([
          handle.result(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('workflow still open')), 15_000)),
        ]),
      );
      expect(failure.type).toBe('InvalidWorkflowInput');
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toMatch(/deadlineMs/);
    });
  });
});
