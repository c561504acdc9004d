/**
 * workflows/create.ts on a real dev server: the createJob attempt policy. An attempt that gets no
 * answer (marked a possible duplicate, retried at once with a patient timeout, given up as
 * CreateOutcomeUnknown), a refusal, cancellation during createJob, and the job id published by the
 * workflow task that saw createJob return. Retries through TDG outages over days, and answers that
 * stay unreadable: test/create.time-skipping.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import {
  MAX_TDG_REQUEST_TIMEOUT_MS,
  statusQuery,
  type CreateJobRequest,
  type JobStatus,
} from '../src/contract/definitions.js';
import { capturedLogs, simulatorActivities, uniqueId, useTestStack, waitFor } from './helpers/harness.js';
import {
  EventType,
  FAST,
  SLOW,
  TRIAL_KEY,
  failureOf,
  noAnswer,
  searchAttributesOf,
  withTrialAccount,
} from './helpers/workflow.js';

const { temporal, sim } = useTestStack();

describe('a createJob that gets no answer', () => {
  it('marks the workflow at once and retries at once with a patient request timeout', async () => {
    const base = simulatorActivities(sim);
    const requests: CreateJobRequest[] = [];
    const activities = {
      ...base,
      createJob: async (req: CreateJobRequest) => {
        requests.push(req);
        if (requests.length === 1) throw noAnswer();
        return base.createJob(req);
      },
    };
    await temporal.withWorker(activities, async () => {
      const handle = await temporal.startJob({
        name: uniqueId('slow-create') + ' [sim duration=1s]',
        polling: SLOW,
      });
      const status = await waitFor(async () => {
        const s = await handle.query(statusQuery);
        return s.jobId ? s : undefined;
      });
      expect(status.possibleDuplicateTdgJob).toBe(true);
      expect(requests.map((r) => r.requestTimeoutMs)).toEqual([undefined, MAX_TDG_REQUEST_TIMEOUT_MS]);
      const attributes = (await handle.describe()).typedSearchAttributes;
      expect(attributes.get({ name: 'TdgPossibleDuplicate', type: 'BOOL' })).toBe(true);
      // No backoff timer between the unanswered attempt and the patient one.
      const events = (await handle.fetchHistory()).events ?? [];
      const firstCheck = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
      const scheduled = events.filter(
        (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      ).length;
      expect(scheduled).toBe(2);
      expect(
        events
          .slice(0, firstCheck)
          .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
      ).toHaveLength(2);
      await handle.cancel();
    });
  });

  it('stops after two unanswered attempts with CreateOutcomeUnknown naming them', async () => {
    let attempts = 0;
    const activities = {
      ...simulatorActivities(sim),
      createJob: (): Promise<never> => {
        attempts += 1;
        return Promise.reject(noAnswer());
      },
    };
    await temporal.withWorker(activities, async () => {
      const workflowId = uniqueId('never-answered');
      const handle = await temporal.startJob({ name: 'never answered', polling: SLOW }, workflowId);
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('CreateOutcomeUnknown');
      expect(cause.message).toMatch(/no answer 2 times/);
      expect(cause.message).toContain(workflowId);
      expect(attempts).toBe(2);
      expect((cause.details?.[0] as JobStatus).possibleDuplicateTdgJob).toBe(true);
    });
  });
});

describe('a createJob that TDG refuses', () => {
  it('fails fast and clearly when the account may not use the async API', async () => {
    await withTrialAccount(temporal, async () => {
      const handle = await temporal.startJob({ name: uniqueId('trial'), polling: FAST });
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe('NotPermitted');
      expect(failure.message).toMatch(/createJob failed/);
      expect(failure.message).not.toContain(TRIAL_KEY);
      expect((await searchAttributesOf(handle)).state).toBe('ERROR');
    });
  });
});

describe('cancellation during createJob', () => {
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
      const handle = await temporal.startJob({ name, polling: FAST });
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
});

describe('the job id', () => {
  it('is published by the workflow task that saw createJob return, before any check (polling only)', async () => {
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await temporal.startJob({
        name: uniqueId('published') + ' [sim duration=1s]',
        polling: SLOW,
      });
      await waitFor(async () => ((await handle.query(statusQuery)).jobId ? true : undefined));
      const events = (await handle.fetchHistory()).events ?? [];
      const types = events.map((e) => e.eventType);
      const upsert = events.findIndex(
        (e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.['TdgJobId'],
      );
      // The commands of the task that published the job id: from its completion to the next task.
      const completed = types.lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, upsert);
      const next = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, upsert);
      const commands = types.slice(completed + 1, next === -1 ? undefined : next);
      expect(upsert).toBeGreaterThan(0);
      expect(commands).not.toContain(EventType.EVENT_TYPE_MARKER_RECORDED);
      expect(commands).toContain(EventType.EVENT_TYPE_TIMER_STARTED);
      await handle.cancel();
    });
  });
});
