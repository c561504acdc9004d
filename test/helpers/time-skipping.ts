/**
 * The native time-skipping test server for a test file (test/*.time-skipping.test.ts): the server with
 * the workflow's search attributes, a simulator whose clock follows the skipped time, the real
 * activities over HTTP with TDG's faults switched by the hour, and unversioned workers.
 */
import { afterAll, beforeAll, inject } from 'vitest';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import type { TdgActivities } from '../../activities/index.js';
import { SEARCH_ATTRIBUTE_SPECS } from '../../src/contract/definitions.js';
import { createTdgWorker } from '../../src/worker/factory.js';
import {
  late,
  runSimulator,
  simulatorActivities,
  uniqueId,
  workflowBundle,
  type SimulatorHandle,
} from './harness.js';

export const HOUR = 3_600_000;

/** TDG's behaviour from `fromHours` to `toHours` after the job was created (workflow time). */
export interface Phase {
  fromHours: number;
  toHours: number;
  faults: Record<string, unknown>;
}

export const NO_FAULTS = {
  htmlRate: 0,
  redirectRate: 0,
  notFoundRate: 0,
  resetRate: 0,
  errorRate: 0,
  rateLimitRate: 0,
  malformedRate: 0,
  outage: false,
};

export interface TimeSkipping {
  env: TestWorkflowEnvironment;
  sim: SimulatorHandle;
  /**
   * The real activities over HTTP, with the simulator's clock following the test server's skipped
   * time and its faults switched by the phase that time falls in.
   */
  skippingActivities: (
    phases?: Phase[],
    createFaults?: (attempt: number) => Record<string, unknown>,
  ) => TdgActivities;
  /** A worker on a task queue of its own (unversioned: the time-skipping server cannot version workers). */
  skippingWorker: (activities: TdgActivities) => Promise<{ worker: Worker; taskQueue: string }>;
}

/** Starts the time-skipping server and a simulator for the calling file (beforeAll), stops both after. */
export function useTimeSkippingServer(): TimeSkipping {
  let env: TestWorkflowEnvironment | undefined;
  let sim: SimulatorHandle | undefined;
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

  const lateEnv = late('the time-skipping server', () => env);
  const lateSim = late("the time-skipping server's simulator", () => sim);

  function skippingActivities(
    phases: Phase[] = [],
    createFaults: (attempt: number) => Record<string, unknown> = () => ({}),
  ): TdgActivities {
    const real = simulatorActivities(lateSim);
    let createdAt: number | null = null;
    let createAttempts = 0;
    let applied = '';
    const applyFaults = async (faults: Record<string, unknown>): Promise<void> => {
      const key = JSON.stringify(faults);
      if (key === applied) return;
      applied = key;
      await lateSim.setFaults({ ...NO_FAULTS, ...faults });
    };
    // A local activity's scheduled time is the worker's real clock: ask the server for its skipped one.
    const followClock = async (): Promise<void> => {
      const { info } = Context.current();
      workflowNow = info.isLocal ? await lateEnv.currentTimeMs() : info.currentAttemptScheduledTimestampMs;
    };
    return {
      checkTdgAccess: real.checkTdgAccess,
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
        const hours = (workflowNow - (createdAt ?? workflowNow)) / HOUR;
        const phase = phases.find((p) => hours >= p.fromHours && hours < p.toHours);
        await applyFaults(phase?.faults ?? {});
        return real.getJob(jobId);
      },
    };
  }

  async function skippingWorker(activities: TdgActivities) {
    const taskQueue = uniqueId('skip');
    const worker = await createTdgWorker({
      connection: lateEnv.nativeConnection,
      namespace: lateEnv.namespace ?? 'default',
      taskQueue,
      activities,
      workflowBundle: await workflowBundle(),
      // The time-skipping server cannot version workers: these runs are unversioned.
      versioning: null,
    });
    return { worker, taskQueue };
  }

  return { env: lateEnv, sim: lateSim, skippingActivities, skippingWorker };
}
