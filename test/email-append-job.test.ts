/**
 * workflows/email-append-job.ts on a real dev server: the whole workflow, from its input to its
 * result. The happy path and its result, a FAILED job, a lean history, TDG's ordinary faults
 * end to end, a duplicate start, secrets kept out of everything the Web UI shows, and input
 * refused before anything runs. Its phases: test/create.test.ts and test/follow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { TdgJobError } from '../src/client/index.js';
import type { emailAppendJob } from '../workflows/index.js';
import { signWorkflowId } from '../src/platform/notify-url.js';
import { statusQuery, type EmailAppendJobResult } from '../src/contract/definitions.js';
import {
  capturedLogs,
  runSimulator,
  secret,
  simulatorActivities,
  uniqueId,
  useTestStack,
  waitFor,
} from './helpers/harness.js';
import { attributesOf, markers, searchAttributeUpserts } from './helpers/history.js';
import { FAST, failureOf, jobsOf } from './helpers/workflow.js';

const { temporal, sim } = useTestStack();

describe('emailAppendJob on a real Temporal dev server', () => {
  it('creates the job, publishes its id and returns the batch list on COMPLETED', async () => {
    const name = uniqueId('complete') + ' [sim duration=1500ms batches=3]';
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await temporal.startJob({ name, polling: FAST });
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
      const handle = await temporal.startJob({ name, polling: FAST });
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

  it('survives 5xx, 429 and malformed answers from TDG', async () => {
    const faulty = await runSimulator({
      seed: 11,
      faults: { errorRate: 0.3, rateLimitRate: 0.1, retryAfterSeconds: 1, malformedRate: 0.1 },
    });
    try {
      const name = uniqueId('faulty') + ' [sim duration=1500ms batches=2]';
      await temporal.withWorker(simulatorActivities(faulty), async () => {
        const handle = await temporal.startJob({ name, polling: FAST });
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
          const handle = await temporal.startJob(
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
      const handle = await temporal.startJob({ name: '  ', polling: { jitter: 2 } });
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe('InvalidWorkflowInput');
      expect(failure.message).toMatch(/name must be a non-empty string/);
      expect(failure.message).toMatch(/jitter/);
    });
  });

  it('rejects a deadline beyond its bound cleanly instead of failing workflow tasks', async () => {
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await temporal.startJob({ name: uniqueId('far'), polling: FAST, deadlineMs: 1e16 });
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
