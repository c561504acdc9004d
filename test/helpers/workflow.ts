/**
 * What the workflow's end-to-end tests share (test/create, test/follow, test/email-append-job):
 * polling policies that make a real-time test take seconds, the failure a run ended with, its
 * search attributes, a client, a restricted TDG account and the failure of an unanswered createJob.
 */
import { expect } from 'vitest';
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { TdgJobs } from '../../src/client/index.js';
import { FailureType } from '../../src/contract/definitions.js';
import { runSimulator, simulatorActivities, type TemporalHandle } from './harness.js';

export const EventType = proto.api.enums.v1.EventType;

/** Short intervals so a real-time test takes seconds; the schedule's shape is unit-tested elsewhere. */
export const FAST = {
  initialIntervalMs: 200,
  backoffFactor: 1.5,
  maxIntervalMs: 1_000,
  maxIntervalWithNotificationsMs: 2_000,
};

/** A minute between checks: in a test of a few seconds only a hint, checkNow or the deadline checks. */
export const SLOW = {
  initialIntervalMs: 60_000,
  maxIntervalMs: 60_000,
  maxIntervalWithNotificationsMs: 60_000,
};

/** The ApplicationFailure a workflow run failed with; the test fails if the run did not fail. */
export async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
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

export async function searchAttributesOf(handle: { describe(): Promise<WorkflowExecutionDescription> }) {
  const attributes = (await handle.describe()).typedSearchAttributes;
  return {
    jobId: attributes.get({ name: 'TdgJobId', type: 'KEYWORD' }),
    state: attributes.get({ name: 'TdgJobState', type: 'KEYWORD' }),
  };
}

/** The typed client on the handle's task queue. */
export function jobsOf(t: TemporalHandle): TdgJobs {
  return new TdgJobs(t.client, { taskQueue: t.taskQueue });
}

export const TRIAL_KEY = 'trial-key-0123456789';

/** Runs `fn` with a worker whose TDG account may not use the async API (a restricted key). */
export async function withTrialAccount(temporal: TemporalHandle, fn: () => Promise<void>): Promise<void> {
  const trial = await runSimulator({ apiKey: TRIAL_KEY, restrictedApiKeys: [TRIAL_KEY] });
  try {
    await temporal.withWorker(simulatorActivities(trial), fn);
  } finally {
    await trial.close();
  }
}

/** What the activity reports when TDG took longer than the request timeout (activities/failures.ts). */
export function noAnswer(): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.TdgUnavailable,
    message: 'POST /v3/async/append/email/job timed out',
    details: [{ code: 'TIMEOUT', createOutcome: 'unknown' }],
  });
}

/** Whether a workflow with this id exists (open or closed) in the handle's namespace. */
export function workflowExists(t: TemporalHandle, workflowId: string): Promise<boolean> {
  return t.client.workflow
    .getHandle(workflowId)
    .describe()
    .then(
      () => true,
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      },
    );
}
