/**
 * The upgrade scenario of `npm run test:cluster`: the current workflow code shipped as a new Worker
 * Deployment version while jobs of the previous release run, and an incompatible change shipped the
 * wrong way.
 *
 * Versioned: v1 (the previous release's workflow code: the newest commit in releases.json, taken
 * out of git and bundled as that release did, test/cluster/release.ts) runs jobs; v2 (workflows/ as
 * they are now) starts beside it and is promoted with the operator's command (`temporal worker
 * deployment set-current-version`). v1 keeps serving its pinned runs; each moves to v2 when it next
 * wakes (continue-as-new, AUTO_UPGRADE) or completes on v1. Once `describe-version` says v1 is
 * drained its worker stops. Jobs started after the promotion run on v2. Both versions' workers run
 * the current activities, as both images' workers would during a rollout.
 *
 * Negative control: unversioned workers of the current code replaced by ones of
 * test/fixtures/upgraded-workflow.ts (one timer more, which no history of the current code
 * replays) while jobs run. The running jobs' next workflow tasks fail with a non-determinism error,
 * and the checks below (`upgradeProblems`) say so: the scenario can fail.
 *
 * The workers run in the test process, on task queues of their own, so the cluster's supervised
 * workers (which restart whenever they exit) serve the other test undisturbed.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import {
  bundleWorkflowCode,
  NativeConnection,
  type NativeConnectionOptions,
  type Worker,
  type WorkflowBundle,
} from '@temporalio/worker';

import { TdgJobs } from '../../src/client/tdg-jobs.js';
import { loadWorkerConfig, tdgCallsPerSecondPerWorker } from '../../src/worker/config.js';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import { payloadCodecFor } from '../../src/platform/data-converter.js';
import { activitiesFromConfig } from '../../src/worker/activities-from-config.js';
import {
  bundleWorkflows,
  createTdgWorker,
  quietBundlerLogger,
  WORKFLOW_METRICS_PATH,
} from '../../src/worker/factory.js';
import { buildIdOf } from '../../src/worker/versioning.js';
import { previousRelease, releaseBundle, type Release } from './release.js';

const run = promisify(execFile);
const { EventType, WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;
const NDE = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR;

/** The negative control's replacement: the current code with a change no running job replays. */
export const INCOMPATIBLE_WORKFLOW_PATH = join(PROJECT_ROOT, 'test', 'fixtures', 'upgraded-workflow.ts');

export interface UpgradeStack {
  /** The frontend's address and TLS (the cluster requires a client certificate). */
  connect: Pick<NativeConnectionOptions, 'address' | 'tls'>;
  namespace: string;
  /** The temporal CLI: promotion and drainage go through the operator's commands. */
  cli: string;
  /** The CLI's environment: the address and the certificate variables. */
  cliEnv: Record<string, string>;
  client: Client;
  /** The worker environment (TDG and notification settings), as the cluster's workers get it. */
  workerEnv: Record<string, string | undefined>;
  /** Appended to every job name: the simulator's scenario tag. */
  jobTag: string;
  /** null: polling only (no listener). */
  notificationMethod: 'POST' | null;
  say: (line: string) => void;
}

export interface Bundles {
  v1: WorkflowBundle;
  v2: WorkflowBundle;
  v1BuildId: string;
  v2BuildId: string;
}

/** The versioned upgrade's pair (previous release → current) and the negative control's (current → incompatible). */
export interface UpgradeBundles {
  release: Release;
  upgrade: Bundles;
  negativeControl: Bundles;
}

export async function upgradeBundles(): Promise<UpgradeBundles> {
  const release = previousRelease();
  // One after another: webpack on a shared 2-core machine.
  const previous = await releaseBundle(release);
  const current = await bundleWorkflows();
  const incompatible = await bundleWorkflowCode({
    workflowsPath: INCOMPATIBLE_WORKFLOW_PATH,
    workflowInterceptorModules: [WORKFLOW_METRICS_PATH],
    logger: quietBundlerLogger,
  });
  const pair = (v1: WorkflowBundle, v2: WorkflowBundle): Bundles => ({
    v1,
    v2,
    v1BuildId: buildIdOf(v1.code),
    v2BuildId: buildIdOf(v2.code),
  });
  return {
    release,
    upgrade: pair(previous, current),
    negativeControl: pair(current, { code: incompatible.code }),
  };
}

/** One run of a job's continue-as-new chain. */
export interface RunView {
  runId: string;
  /** The build id its workflow tasks completed on; null: an unversioned worker (or none yet). */
  buildId: string | null;
  status: 'running' | 'completed' | 'continued' | 'other';
  ndeFailures: number;
  /** Workflow tasks whose started event told the run that a newer version is the target. */
  toldOfNewTarget: number;
}

/** A job's runs in order, from its histories. */
export async function runsOf(client: Client, workflowId: string, firstRunId: string): Promise<RunView[]> {
  const out: RunView[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    let buildId: string | null = null;
    let next: string | undefined;
    let status: RunView['status'] = 'running';
    let ndeFailures = 0;
    let toldOfNewTarget = 0;
    for (const event of history.events ?? []) {
      if (event.workflowTaskStartedEventAttributes?.targetWorkerDeploymentVersionChanged) toldOfNewTarget++;
      const completed = event.workflowTaskCompletedEventAttributes;
      if (completed && buildId === null) buildId = completed.deploymentVersion?.buildId || null;
      if (event.workflowTaskFailedEventAttributes?.cause === NDE) ndeFailures++;
      const continued = event.workflowExecutionContinuedAsNewEventAttributes;
      if (continued) {
        next = continued.newExecutionRunId ?? undefined;
        status = 'continued';
      }
      if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED) status = 'completed';
      else if (
        event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED ||
        event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED ||
        event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT ||
        event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED
      )
        status = 'other';
    }
    out.push({ runId, buildId, status, ndeFailures, toldOfNewTarget });
    runId = next;
  }
  return out;
}

/** What the scenario measured; `upgradeProblems` judges it. */
export interface UpgradeFigures {
  v1BuildId: string;
  v2BuildId: string;
  /** Jobs started while v1 was current. */
  v1Jobs: number;
  /** Jobs started after v2 was promoted. */
  v2Jobs: number;
  completed: number;
  /** Jobs by the build id of their last run (`unversioned` for none). */
  jobsPerVersion: Record<string, number>;
  /** v1 jobs whose first run ran on v1. */
  startedOnV1: number;
  /** v1 jobs that completed on v1. */
  completedOnV1: number;
  /** v1 jobs whose run on v1 continued as new onto v2. */
  movedAtContinueAsNew: number;
  /** Jobs started after the promotion whose every run ran on v2. */
  v2JobsOnV2: number;
  /** WorkflowTaskFailed events with cause NON_DETERMINISTIC_ERROR, across every history. */
  ndeFailures: number;
  /** v1 runs' workflow tasks started with targetWorkerDeploymentVersionChanged (what makes a run move). */
  v1TasksToldOfNewTarget: number;
  /** v1's status right after the promotion, and how long until describe-version said drained. */
  v1StatusAfterPromotion: string | null;
  promotionToDrainedS: number | null;
  /** Whether v1's worker still served until then (it was running when v1 drained). */
  v1ServedUntilDrained: boolean;
}

/** The scenario's checks: empty when the upgrade went as it must. */
export function upgradeProblems(f: UpgradeFigures): string[] {
  const problems: string[] = [];
  const all = f.v1Jobs + f.v2Jobs;
  if (f.completed !== all) problems.push(`${all - f.completed} of ${all} jobs did not complete`);
  if (f.ndeFailures > 0)
    problems.push(`${f.ndeFailures} workflow task(s) failed with a non-determinism error`);
  if (f.startedOnV1 !== f.v1Jobs) problems.push(`${f.v1Jobs - f.startedOnV1} v1 job(s) did not start on v1`);
  if (f.completedOnV1 + f.movedAtContinueAsNew !== f.v1Jobs)
    problems.push(
      `${f.v1Jobs - f.completedOnV1 - f.movedAtContinueAsNew} v1 job(s) neither completed on v1 nor moved to v2`,
    );
  if (f.v2JobsOnV2 !== f.v2Jobs)
    problems.push(`${f.v2Jobs - f.v2JobsOnV2} job(s) started after promotion ran off v2`);
  if (f.promotionToDrainedS === null) problems.push('v1 never reached drained');
  else if (!f.v1ServedUntilDrained) problems.push('v1 stopped serving before it drained');
  return problems;
}

interface Started {
  workflowId: string;
  runId: string;
}

async function startJobs(
  stack: UpgradeStack,
  taskQueue: string,
  prefix: string,
  count: number,
): Promise<Started[]> {
  const jobs = new TdgJobs(stack.client, { taskQueue });
  const out: Started[] = [];
  for (let i = 1; i <= count; i++) {
    const workflowId = `${prefix}-${i}`;
    const started = await jobs.startJob({
      name: `${workflowId} ${stack.jobTag}`,
      workflowId,
      // Every other job polls only: with notifications a job sleeps until TDG's next state change
      // (often its completion, so it completes on v1); polling wakes it on its schedule as well.
      notificationMethod: i % 2 === 0 ? null : stack.notificationMethod,
    });
    if (!started.jobId) throw new Error(`${workflowId}: no TDG job id`);
    out.push({ workflowId, runId: started.runId });
  }
  return out;
}

async function temporalCli(stack: UpgradeStack, args: string[]): Promise<string> {
  const { stdout } = await run(stack.cli, [...args, '--namespace', stack.namespace], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...stack.cliEnv },
  });
  return stdout;
}

/** `temporal worker deployment set-current-version`, retried until the version's workers have polled. */
async function promote(stack: UpgradeStack, deploymentName: string, buildId: string): Promise<void> {
  const args = ['worker', 'deployment', 'set-current-version'];
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await temporalCli(stack, [
        ...args,
        '--deployment-name',
        deploymentName,
        '--build-id',
        buildId,
        '--yes',
      ]);
      stack.say(
        `temporal ${args.join(' ')} --deployment-name ${deploymentName} --build-id ${buildId} --yes: ok`,
      );
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(1_000);
    }
  }
}

/** `temporal worker deployment describe-version -o json`: the version's drainage status, if any. */
export async function drainageOf(
  stack: UpgradeStack,
  deploymentName: string,
  buildId: string,
): Promise<{ status: string | null; changedAt: string | null }> {
  const text = await temporalCli(stack, [
    'worker',
    'deployment',
    'describe-version',
    '--deployment-name',
    deploymentName,
    '--build-id',
    buildId,
    '-o',
    'json',
  ]);
  const info = JSON.parse(text) as { drainageInfo?: { drainageStatus?: string; lastChangedTime?: string } };
  return {
    status: info.drainageInfo?.drainageStatus?.toLowerCase() ?? null,
    changedAt: info.drainageInfo?.lastChangedTime ?? null,
  };
}

async function newWorker(
  stack: UpgradeStack,
  connection: NativeConnection,
  taskQueue: string,
  bundle: WorkflowBundle,
  deploymentName: string | null,
): Promise<{ worker: Worker; running: Promise<void> }> {
  const config = loadWorkerConfig({ ...stack.workerEnv, TEMPORAL_TASK_QUEUE: taskQueue });
  const worker = await createTdgWorker({
    connection,
    namespace: stack.namespace,
    taskQueue,
    activities: activitiesFromConfig(
      config.tdg,
      config.notify,
      undefined,
      tdgCallsPerSecondPerWorker(config.limits),
    ),
    workflowBundle: bundle,
    payloadCodec: payloadCodecFor(config.codecKeys),
    versioning: deploymentName ? { deploymentName, defaultBehavior: 'PINNED' } : null,
    // Few workflows: a short grace keeps the test's shutdowns quick.
    shutdownGraceTime: 5_000,
  });
  return { worker, running: worker.run() };
}

async function stopWorker(w: { worker: Worker; running: Promise<void> }): Promise<void> {
  if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
  await w.running;
}

interface JobView {
  workflowId: string;
  runs: RunView[];
}

function figuresOf(
  bundles: Bundles,
  v1: JobView[],
  v2: JobView[],
  drain: Pick<UpgradeFigures, 'v1StatusAfterPromotion' | 'promotionToDrainedS' | 'v1ServedUntilDrained'>,
): UpgradeFigures {
  const all = [...v1, ...v2];
  const jobsPerVersion: Record<string, number> = {};
  for (const job of all) {
    const key = job.runs.at(-1)?.buildId ?? 'unversioned';
    jobsPerVersion[key] = (jobsPerVersion[key] ?? 0) + 1;
  }
  const moved = (job: JobView): boolean =>
    job.runs.some(
      (r, i) =>
        r.buildId === bundles.v1BuildId &&
        r.status === 'continued' &&
        job.runs[i + 1]?.buildId === bundles.v2BuildId,
    );
  return {
    v1BuildId: bundles.v1BuildId,
    v2BuildId: bundles.v2BuildId,
    v1Jobs: v1.length,
    v2Jobs: v2.length,
    completed: all.filter((job) => job.runs.at(-1)?.status === 'completed').length,
    jobsPerVersion,
    startedOnV1: v1.filter((job) => job.runs[0]?.buildId === bundles.v1BuildId).length,
    completedOnV1: v1.filter(
      (job) =>
        job.runs.length === 1 &&
        job.runs[0]?.buildId === bundles.v1BuildId &&
        job.runs[0].status === 'completed',
    ).length,
    movedAtContinueAsNew: v1.filter(moved).length,
    v2JobsOnV2: v2.filter((job) => job.runs.every((r) => r.buildId === bundles.v2BuildId)).length,
    ndeFailures: all.reduce((n, job) => n + job.runs.reduce((m, r) => m + r.ndeFailures, 0), 0),
    v1TasksToldOfNewTarget: v1.reduce(
      (n, job) =>
        n +
        job.runs.filter((r) => r.buildId === bundles.v1BuildId).reduce((m, r) => m + r.toldOfNewTarget, 0),
      0,
    ),
    ...drain,
  };
}

async function viewsOf(stack: UpgradeStack, started: Started[]): Promise<JobView[]> {
  return Promise.all(
    started.map(async (s) => ({
      workflowId: s.workflowId,
      runs: await runsOf(stack.client, s.workflowId, s.runId),
    })),
  );
}

export interface UpgradeOptions {
  runId: string;
  v1Jobs: number;
  v2Jobs: number;
  /** How long the jobs may take to complete, and v1 to drain after that. */
  completeWithinMs: number;
  drainWithinMs: number;
}

/** The versioned rollout. */
export async function versionedUpgrade(
  stack: UpgradeStack,
  bundles: Bundles,
  o: UpgradeOptions,
): Promise<UpgradeFigures> {
  const deploymentName = `upgrade-${o.runId}`;
  const taskQueue = `upgrade-${o.runId}`;
  const connection = await NativeConnection.connect(stack.connect);
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  try {
    const v1 = await newWorker(stack, connection, taskQueue, bundles.v1, deploymentName);
    workers.push(v1);
    await promote(stack, deploymentName, bundles.v1BuildId);
    const v1Started = await startJobs(stack, taskQueue, `${taskQueue}-v1`, o.v1Jobs);
    stack.say(`upgrade: ${o.v1Jobs} jobs running on v1 (${bundles.v1BuildId})`);

    const v2 = await newWorker(stack, connection, taskQueue, bundles.v2, deploymentName);
    workers.push(v2);
    await promote(stack, deploymentName, bundles.v2BuildId);
    const promotedAt = Date.now();
    const afterPromotion = await drainageOf(stack, deploymentName, bundles.v1BuildId).catch(() => null);
    stack.say(`upgrade: v2 (${bundles.v2BuildId}) promoted; v1 is ${afterPromotion?.status ?? 'unknown'}`);

    // The operator's part: watch v1 drain, then stop its worker. Meanwhile it serves its pinned runs.
    const drained = (async (): Promise<{ afterS: number; servedUntil: boolean } | null> => {
      const deadline = Date.now() + o.drainWithinMs;
      while (Date.now() < deadline) {
        const now = await drainageOf(stack, deploymentName, bundles.v1BuildId).catch(() => null);
        if (now?.status === 'drained') {
          const afterS = Math.round((Date.now() - promotedAt) / 1000);
          const servedUntil = v1.worker.getState() === 'RUNNING';
          stack.say(
            `upgrade: v1 drained ${afterS}s after the promotion (server: ${now.changedAt}); stopping its worker`,
          );
          await stopWorker(v1);
          return { afterS, servedUntil };
        }
        await sleep(2_000);
      }
      stack.say('upgrade: v1 did not drain in time');
      return null;
    })();
    const v2Started = await startJobs(stack, taskQueue, `${taskQueue}-v2`, o.v2Jobs);
    const all = [...v1Started, ...v2Started];
    await Promise.race([
      Promise.all(
        all.map((s) =>
          stack.client.workflow
            .getHandle(s.workflowId)
            .result()
            .catch(() => undefined),
        ),
      ),
      sleep(o.completeWithinMs),
    ]);
    stack.say(`upgrade: jobs finished ${((Date.now() - promotedAt) / 1000).toFixed(0)}s after the promotion`);
    const drain = await drained;
    return figuresOf(bundles, await viewsOf(stack, v1Started), await viewsOf(stack, v2Started), {
      v1StatusAfterPromotion: afterPromotion?.status ?? null,
      promotionToDrainedS: drain?.afterS ?? null,
      v1ServedUntilDrained: drain?.servedUntil ?? false,
    });
  } finally {
    await Promise.all(workers.map(stopWorker));
    await connection.close();
  }
}

/** The negative control: unversioned v1 workers replaced by unversioned v2 ones while jobs run (v2 incompatible). */
export async function unversionedReplacement(
  stack: UpgradeStack,
  bundles: Bundles,
  o: { runId: string; jobs: number; observeMs: number },
): Promise<UpgradeFigures> {
  const taskQueue = `replace-${o.runId}`;
  const connection = await NativeConnection.connect(stack.connect);
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  let started: Started[] = [];
  try {
    const v1 = await newWorker(stack, connection, taskQueue, bundles.v1, null);
    workers.push(v1);
    started = await startJobs(stack, taskQueue, taskQueue, o.jobs);
    await stopWorker(v1);
    workers.push(await newWorker(stack, connection, taskQueue, bundles.v2, null));
    stack.say(
      `negative control: ${o.jobs} jobs started on an unversioned worker, replaced by one with an incompatible change`,
    );
    const deadline = Date.now() + o.observeMs;
    let views: JobView[] = [];
    for (;;) {
      views = await viewsOf(stack, started);
      const stuck = views.filter((job) => job.runs.some((r) => r.ndeFailures > 0)).length;
      const done = views.filter((job) => job.runs.at(-1)?.status !== 'running').length;
      if (stuck + done >= views.length || Date.now() > deadline) break;
      await sleep(3_000);
    }
    return figuresOf(bundles, views, [], {
      v1StatusAfterPromotion: null,
      promotionToDrainedS: null,
      v1ServedUntilDrained: false,
    });
  } finally {
    await Promise.all(
      started.map((s) =>
        stack.client.workflow
          .getHandle(s.workflowId)
          .terminate('upgrade negative control done')
          .catch(() => undefined),
      ),
    );
    await Promise.all(workers.map(stopWorker));
    await connection.close();
  }
}
