/**
 * How the workflow holds up when TDG is slow or inconsistent, on a real dev server: a createJob
 * that gets no answer, a read that lags TDG's own notification, and a job id published before the
 * first check.
 */
import { describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import {
  FailureType,
  MAX_TDG_REQUEST_TIMEOUT_MS,
  jobNotificationSignal,
  statusQuery,
  type CreateJobRequest,
  type EmailAppendJobInput,
  type JobStatus,
} from '../src/contract/definitions.js';
import { simulatorActivities, uniqueId, useTestStack, waitFor } from './helpers/harness.js';

const EventType = proto.api.enums.v1.EventType;
const SLOW = { initialIntervalMs: 60_000, maxIntervalMs: 60_000, maxIntervalWithNotificationsMs: 60_000 };

const { temporal, sim } = useTestStack();

function start(input: EmailAppendJobInput, workflowId = uniqueId('wf')) {
  return temporal.startJob(input, workflowId);
}

/** What the activity reports when TDG took longer than the request timeout (activities/failures.ts). */
function noAnswer(): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.TdgUnavailable,
    message: 'POST /v3/async/append/email/job timed out',
    details: [{ code: 'TIMEOUT', createOutcome: 'unknown' }],
  });
}

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
      const handle = await start({ name: uniqueId('slow-create') + ' [sim duration=1s]', polling: SLOW });
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
      const handle = await start({ name: 'never answered', polling: SLOW }, workflowId);
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
      const handle = await start({ name: uniqueId('lagging') + ' [sim duration=500ms]', polling: SLOW });
      await waitFor(async () => ((await handle.query(statusQuery)).nextCheckAt ? true : undefined));
      await new Promise((r) => setTimeout(r, 1_000));
      const hintedAt = Date.now();
      await handle.signal(jobNotificationSignal, {
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

describe('the job id', () => {
  it('is published by the workflow task that saw createJob return, before any check (polling only)', async () => {
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await start({ name: uniqueId('published') + ' [sim duration=1s]', polling: SLOW });
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
