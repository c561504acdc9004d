/**
 * Another team's workflow, in namespace `tdg-caller`, runs TDG jobs through our Nexus endpoint on a
 * dev server: our worker is its own process (`src/bin/worker.ts`, as `npm run worker` runs it), the
 * endpoint comes from `npm run setup`, the caller's worker is that team's (tooling/nexus-caller).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, NexusOperationFailure } from '@temporalio/common';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { startStack, type Stack } from '../../tooling/stack/launcher.js';
import {
  CALLER_NAMESPACE,
  CALLER_TASK_QUEUE,
  createCallerWorker,
} from '../../tooling/nexus-caller/worker.js';
import type { appendViaNexus } from '../../tooling/nexus-caller/workflows.js';
import type { checkViaNexus, statusViaNexus } from '../../tooling/nexus-caller/status-workflows.js';
import { DEFAULT_NEXUS_ENDPOINT } from '../../src/contract/nexus-service.js';
import { TDG_JOB_ID, TDG_JOB_STATE, statusQuery } from '../../src/contract/definitions.js';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import { waitFor } from '../helpers/harness.js';

const TASK_QUEUE = 'tdg-email-append';
const ENDPOINT = DEFAULT_NEXUS_ENDPOINT;

let stack: Stack;
let caller: Client;
let callerConnection: NativeConnection;
let callerWorker: Worker;
let callerRun: Promise<void>;
let ours: Client;
const children = new Set<ChildProcess>();
let worker: OurWorker;

interface OurWorker {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function ourEnv(): Record<string, string> {
  const tdg = stack.tdg!;
  return {
    PATH: process.env.PATH ?? '',
    TEMPORAL_ADDRESS: stack.engine.address,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    TDG_BASE_URL: tdg.baseUrl,
    TDG_API_KEY: tdg.apiKey,
    TDG_USERNAME: tdg.username,
    TDG_PASSWORD: tdg.password,
    NOTIFY_PUBLIC_URL: stack.notify!.publicUrl,
    NOTIFY_SECRET: stack.notify!.secret,
    WORKER_PROMOTE: 'true',
    WORKER_METRICS_PORT: 'off',
    WORKER_HEALTH_PORT: 'off',
    WORKER_SHUTDOWN_GRACE: '30s',
    LOG_LEVEL: 'warn',
  };
}

function runTsx(script: string, env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, script)], {
    cwd: PROJECT_ROOT,
    env: { ...ourEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function setup(env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const child = runTsx('src/bin/setup.ts', env);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

async function startOurWorker(): Promise<OurWorker> {
  const child = runTsx('src/bin/worker.ts');
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // Polling: the worker's Nexus and workflow pollers are up once its version is current.
  await waitFor(async () => {
    const answer = await ours.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: TASK_QUEUE, kind: 1 },
      taskQueueType: 3, // Nexus
    });
    return (answer.pollers?.length ?? 0) > 0 ? true : undefined;
  }, 60_000);
  return { child, output: () => output, exited };
}

const appendType = 'appendViaNexus' as const;
function startCaller(businessKey: string, name: string) {
  return caller.workflow.start<typeof appendViaNexus>(appendType, {
    taskQueue: CALLER_TASK_QUEUE,
    workflowId: `caller-${businessKey}`,
    args: [{ endpoint: ENDPOINT, businessKey, name }],
  });
}

/** The job's typed failure under a caller's failure (NexusOperationFailure → [OperationError →] ours). */
function applicationFailureIn(err: unknown): ApplicationFailure | undefined {
  for (let e = err; e instanceof Error; e = e.cause)
    if (e instanceof ApplicationFailure && e.type !== 'OperationError') return e;
  return undefined;
}

/** TDG's job id, once our workflow for this business key knows it. */
function tdgJobIdOf(businessKey: string): Promise<string> {
  return waitFor(async () => {
    const status = await ours.workflow
      .getHandle(businessKey)
      .query(statusQuery)
      .catch(() => null);
    return status?.jobId ?? undefined;
  }, 30_000);
}

function messagesIn(err: unknown): string[] {
  const messages: string[] = [];
  for (let e = err; e instanceof Error; e = e.cause) messages.push(e.message);
  return messages;
}

const key = (what: string): string => `${what}-${Date.now().toString(36)}`;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  stack = await startStack({
    temporal: { devServer: { uiPort: null, extraNamespaces: [CALLER_NAMESPACE] } },
    simulator: { seed: 11 },
    listener: {},
  });
  ours = stack.client;
  const first = await setup();
  expect(first.output).toContain(
    `Nexus endpoint "${ENDPOINT}" → namespace "default", task queue ${TASK_QUEUE}: created`,
  );
  callerConnection = await NativeConnection.connect({ address: stack.engine.address });
  caller = new Client({
    connection: stack.connection,
    namespace: CALLER_NAMESPACE,
  });
  [worker, callerWorker] = await Promise.all([
    startOurWorker(),
    createCallerWorker({ connection: callerConnection }),
  ]);
  callerRun = callerWorker.run();
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  callerWorker?.shutdown();
  await callerRun?.catch(() => undefined);
  await callerConnection?.close();
  await stack?.close();
});

describe('a caller workflow in another namespace, through the Nexus endpoint', () => {
  it("setup is idempotent, follows our namespace's task queue, and never takes another namespace's endpoint", async () => {
    const elsewhere = await setup({ TEMPORAL_TASK_QUEUE: 'somewhere-else' });
    expect(elsewhere.output).toContain(`task queue somewhere-else: updated`);
    const back = await setup();
    expect(back.output).toContain(`task queue ${TASK_QUEUE}: updated`);
    const otherNamespace = await setup({ TEMPORAL_NAMESPACE: CALLER_NAMESPACE });
    expect(otherNamespace.code).toBe(3);
    expect(otherNamespace.output).toContain(
      `Nexus endpoint "${ENDPOINT}" already routes to namespace "default" (task queue ${TASK_QUEUE}), not to namespace "${CALLER_NAMESPACE}": left as it is`,
    );
    const again = await setup();
    expect(again.code).toBe(0);
    expect(again.output).toContain(
      `Nexus endpoint "${ENDPOINT}" → namespace "default", task queue ${TASK_QUEUE}: already there`,
    );
  });

  it('completes a job served in our namespace with its batch list, links both histories, and the same business key twice makes one TDG job', async () => {
    const businessKey = key('crm-nightly');
    const name = `Nexus job ${businessKey} [sim duration=2s batches=3]`;
    // Two callers (two workflows of the calling team) ask for the same business key at once.
    const [a, twin] = await Promise.all([
      startCaller(businessKey, name),
      caller.workflow.start<typeof appendViaNexus>(appendType, {
        taskQueue: CALLER_TASK_QUEUE,
        workflowId: `caller-twin-${businessKey}`,
        args: [{ endpoint: ENDPOINT, businessKey, name }],
      }),
    ]);
    const [first, second] = await Promise.all([a.result(), twin.result()]);
    expect(first.outcome).toBe('COMPLETED');
    expect(second).toEqual(first);
    const simJobs = (await (await fetch(`${stack.tdg!.baseUrl}/_sim/jobs`)).json()) as
      { jobs: { jobId: string; name: string; batchList?: string[] }[] } | { jobId: string; name: string }[];
    const list = Array.isArray(simJobs) ? simJobs : simJobs.jobs;
    const created = list.filter((job) => job.name.includes(businessKey));
    expect(created).toHaveLength(1);
    if (first.outcome === 'COMPLETED') {
      expect(first.jobId).toBe(created[0]!.jobId);
      expect(first.batchList).toHaveLength(3);
    }
    // Our job runs under the caller's business key, linked back to the caller's workflow.
    const ourHistory = await ours.workflow.getHandle(businessKey).fetchHistory();
    // The server keeps each caller's link with the completion callback it attached: the first
    // start's with our start event, the other's when its start found the job running.
    const started = ourHistory.events?.[0]?.workflowExecutionStartedEventAttributes;
    const backLinks = (started?.completionCallbacks ?? []).flatMap((callback) => callback.links ?? []);
    expect(backLinks.map((link) => link.workflowEvent?.namespace)).toContain(CALLER_NAMESPACE);
    const everyLink = JSON.stringify(ourHistory.events);
    for (const callerId of [`caller-${businessKey}`, `caller-twin-${businessKey}`])
      expect(everyLink).toContain(`"workflowId":"${callerId}"`);
    const callerHistory = await a.fetchHistory();
    const opStarted = callerHistory.events?.find((e) => e.nexusOperationStartedEventAttributes);
    expect((opStarted?.links ?? []).map((link) => link.workflowEvent?.workflowId)).toContain(businessKey);
  });

  it('delivers a FAILED job as its typed failure, with the batch list', async () => {
    const businessKey = key('failing');
    const handle = await startCaller(
      businessKey,
      `Nexus ${businessKey} [sim duration=1s batches=2 outcome=FAILED]`,
    );
    const outcome = await handle.result();
    expect(outcome.outcome).toBe('FAILED');
    if (outcome.outcome === 'FAILED') expect(outcome.batchList).toHaveLength(2);
    const description = await ours.workflow.getHandle(businessKey).describe();
    expect(description.status.name).toBe('FAILED');
    // The same business key once the job has ended: its ending again, no second TDG job.
    const again = await caller.workflow.start<typeof appendViaNexus>(appendType, {
      taskQueue: CALLER_TASK_QUEUE,
      workflowId: `caller-again-${businessKey}`,
      args: [
        {
          endpoint: ENDPOINT,
          businessKey,
          name: `Nexus ${businessKey} [sim duration=1s batches=2 outcome=FAILED]`,
        },
      ],
    });
    expect(await again.result()).toEqual(outcome);
  });

  it('a bad request fails the operation as a non-retryable bad request and starts nothing', async () => {
    const handle = await caller.workflow.start<typeof appendViaNexus>(appendType, {
      taskQueue: CALLER_TASK_QUEUE,
      workflowId: key('caller-bad'),
      args: [{ endpoint: ENDPOINT, businessKey: 'has spaces', name: '' }],
    });
    const err = await handle.result().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const nexusFailure = (err as WorkflowFailedError).cause;
    expect(nexusFailure).toBeInstanceOf(NexusOperationFailure);
    const text = messagesIn(err).join(' / ');
    expect(text).toMatch(
      /invalid job request: businessKey: "has spaces" is not a valid workflow id.*name must be a non-empty string/,
    );
    const listed = await ours.workflow.count(`WorkflowId = 'has spaces'`);
    expect(listed.count).toBe(0);
  });

  it('answers getStatus and checkNow at once, and refuses a check of an ended job', async () => {
    const businessKey = key('status');
    const handle = await startCaller(businessKey, `Nexus ${businessKey} [sim duration=6s batches=2]`);
    await tdgJobIdOf(businessKey);
    const status = await caller.workflow.execute<typeof statusViaNexus>('statusViaNexus', {
      taskQueue: CALLER_TASK_QUEUE,
      workflowId: key('caller-status'),
      args: [ENDPOINT, businessKey],
    });
    expect(status.running).toBe(true);
    const checked = await caller.workflow.execute<typeof checkViaNexus>('checkViaNexus', {
      taskQueue: CALLER_TASK_QUEUE,
      workflowId: key('caller-check'),
      args: [ENDPOINT, businessKey],
    });
    expect(checked.workflowId).toBe(businessKey);
    expect(checked.checks).toBeGreaterThanOrEqual(1);
    await handle.result();
    const closed = await caller.workflow.execute<typeof statusViaNexus>('statusViaNexus', {
      taskQueue: CALLER_TASK_QUEUE,
      workflowId: key('caller-status-closed'),
      args: [ENDPOINT, businessKey],
    });
    expect(closed).toMatchObject({ running: false, ending: 'COMPLETED' });
    const refused = await caller.workflow
      .execute<typeof checkViaNexus>('checkViaNexus', {
        taskQueue: CALLER_TASK_QUEUE,
        workflowId: key('caller-check-closed'),
        args: [ENDPOINT, businessKey],
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(applicationFailureIn(refused)?.type).toBe('CheckRefused');
  });

  it('cancelling the caller cancels our job, which records its TDG job', async () => {
    const businessKey = key('cancelled');
    const handle = await startCaller(businessKey, `Nexus ${businessKey} [sim duration=10m batches=2]`);
    const jobId = await tdgJobIdOf(businessKey);
    await handle.cancel();
    const err = await handle.result().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err instanceof WorkflowFailedError && err.cause).toBeInstanceOf(CancelledFailure);
    const ourJob = ours.workflow.getHandle(businessKey);
    await waitFor(
      async () => ((await ourJob.describe()).status.name === 'CANCELLED' ? true : undefined),
      30_000,
    );
    const description = await ourJob.describe();
    expect(description.typedSearchAttributes.get(TDG_JOB_STATE)).toBe('CANCELLED');
    expect(description.typedSearchAttributes.get(TDG_JOB_ID)).toBe(jobId);
  });

  it('a worker killed between the operation start and the job end changes nothing', async () => {
    const businessKey = key('killed');
    const name = `Nexus ${businessKey} [sim duration=8s batches=4]`;
    const handle = await startCaller(businessKey, name);
    await tdgJobIdOf(businessKey);
    worker.child.kill('SIGKILL');
    await worker.exited;
    worker = await startOurWorker();
    const outcome = await handle.result();
    expect(outcome.outcome).toBe('COMPLETED');
    if (outcome.outcome === 'COMPLETED') expect(outcome.batchList).toHaveLength(4);
    const simJobs = (await (await fetch(`${stack.tdg!.baseUrl}/_sim/jobs`)).json()) as
      { jobs: { name: string }[] } | { name: string }[];
    const list = Array.isArray(simJobs) ? simJobs : simJobs.jobs;
    expect(list.filter((job) => job.name.includes(businessKey))).toHaveLength(1);
  });
});
