/**
 * workflows/create.ts over hours of workflow time, on the native time-skipping server: createJob
 * retried through TDG outages (a possible duplicate marked only after an unknown outcome), and
 * answers to createJob that stay unreadable.
 */
import { describe, expect, it } from 'vitest';
import type { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  FailureType,
  TDG_POSSIBLE_DUPLICATE,
  WORKFLOW_TYPE,
  type EmailAppendJobResult,
} from '../src/contract/definitions.js';
import { uniqueId } from './helpers/harness.js';
import { NO_FAULTS, useTimeSkippingServer } from './helpers/time-skipping.js';

const { env, sim, skippingActivities, skippingWorker } = useTimeSkippingServer();

describe('createJob answers that stay unreadable', () => {
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
