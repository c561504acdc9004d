/**
 * workflows/gate.ts on a real dev server: the rollout gate passes a version that reaches TDG with
 * credentials TDG accepts, creating nothing, and fails one whose credentials TDG refuses — so the
 * Worker Controller never ramps jobs onto it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { GATE_WORKFLOW_TYPE, type TdgAccessReport } from '../src/contract/index.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';
import { simulatorActivities, uniqueId, useTestStack } from './helpers/harness.js';
import { withTrialAccount } from './helpers/workflow.js';

const { temporal, sim } = useTestStack();

function runGate(): Promise<TdgAccessReport> {
  return temporal.client.workflow.execute<() => Promise<TdgAccessReport>>(GATE_WORKFLOW_TYPE, {
    taskQueue: temporal.taskQueue,
    workflowId: uniqueId('gate'),
    workflowExecutionTimeout: '2 minutes',
  });
}

async function gateFailure(): Promise<ApplicationFailure> {
  const err = await runGate().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause: unknown = (err as WorkflowFailedError).cause;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('the rollout gate', () => {
  it('passes a version whose credentials TDG accepts, and creates no TDG job', async () => {
    const jobsBefore = (await sim.jobs()).length;
    const report = await temporal.withWorker(simulatorActivities(sim), () => runGate());
    expect(Date.parse(report.checkedAt)).not.toBeNaN();
    expect((await sim.jobs()).length).toBe(jobsBefore);
  });

  it('fails a version whose password TDG refuses, at once (NotAuthenticated is not retried)', async () => {
    const wrong = {
      kind: 'password' as const,
      username: sim.options.username,
      password: 'wrong',
      tokenTtlMs: 3_600_000,
    };
    const failure = await temporal.withWorker(simulatorActivities(sim, null, wrong), () => gateFailure());
    expect(failure.type).toBe('NotAuthenticated');
    expect(failure.message).not.toContain('wrong');
  });

  it('fails a version whose account may not use the async API (NotPermitted)', async () => {
    await withTrialAccount(temporal, async () => {
      expect((await gateFailure()).type).toBe('NotPermitted');
    });
  });

  // The tests above run it by this name from the worker's own bundle: registered as the manifest says.
  it('is the gate the Kubernetes WorkerDeployment names', () => {
    const manifest = parseYaml(
      readFileSync(join(PROJECT_ROOT, 'deploy', 'kubernetes', 'base', 'worker.yaml'), 'utf8'),
    ) as { spec: { rollout: { gate?: { workflowType?: string } } } };
    expect(manifest.spec.rollout.gate?.workflowType).toBe(GATE_WORKFLOW_TYPE);
  });
});
