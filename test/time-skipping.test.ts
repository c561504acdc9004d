import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TdgActivities } from '../activities/index.js';
import { temporal } from '@temporalio/proto';
import {
  SEARCH_ATTRIBUTE_NAMES,
  WORKFLOW_TYPE,
  type EmailAppendJobResult,
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
      SEARCH_ATTRIBUTE_NAMES.map((name) => [
        name,
        temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
  sim = await runSimulator({ now: () => workflowNow });
}, 120_000);

afterAll(async () => {
  await sim?.close();
  await env?.teardown();
});

describe('a three-day job on the time-skipping server', () => {
  it('polls exactly as the schedule says and returns the batch list', async () => {
    const real = simulatorActivities(sim);
    const followClock = (): void => {
      workflowNow = Context.current().info.currentAttemptScheduledTimestampMs;
    };
    const activities: TdgActivities = {
      createJob: (req) => (followClock(), real.createJob(req)),
      getJob: (jobId) => (followClock(), real.getJob(jobId)),
    };
    const taskQueue = uniqueId('skip');
    const worker = await createTdgWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      activities,
      workflowBundle: await workflowBundle(),
    });
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
