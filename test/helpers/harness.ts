/**
 * Test wiring over real parts: the simulator on a loopback port, the activities over real
 * HTTP, a worker on the suite's Temporal dev server with a task queue of its own. A test file's
 * stack (client and simulator) comes from the one stack launcher, as `npm start`'s does.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Client, Connection, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  type Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import { createActivities, type TdgActivities } from '../../activities/index.js';
import type { RunningSimulator } from '../../tooling/simulator/index.js';
import type { SimulatorOptions } from '../../tooling/simulator/app.js';
import { launchSimulator, startStack, type Stack } from '../../tooling/stack/launcher.js';
import { activitiesFromConfig, runtimeLogger } from '../../src/worker/activities-from-config.js';
import type { NotifyConfig } from '../../src/platform/env/notify.js';
import type { TdgConfig } from '../../src/worker/config.js';
import { bundleWorkflows, createTdgWorker } from '../../src/worker/factory.js';
import { runAsCurrent } from '../../src/worker/versioning.js';
import { WORKFLOW_TYPE, type EmailAppendJobInput } from '../../src/contract/definitions.js';
import type { emailAppendJob } from '../../workflows/index.js';
import { ENCRYPTED_NAMESPACE } from './namespaces.js';

export const secret = (): string => randomBytes(24).toString('hex');

export interface SimulatorHandle {
  url: string;
  options: SimulatorOptions;
  close(): Promise<void>;
  stats(): Promise<SimStats>;
  setFaults(faults: Record<string, unknown>): Promise<void>;
  jobs(): Promise<SimJob[]>;
  /**
   * Every AuthorizationToken a client presented to this simulator: the session tokens it issued
   * (as the worker received them from POST /auth) and any static token. Secrets, for the forbidden lists.
   */
  tokensSeen(): string[];
}

export interface SimStats {
  requests: Record<string, number>;
  jobsCreated: { total: number; byName: Record<string, number> };
  notifications: { sent: number; delivered: number; failed: number; dropped: number };
  tokensIssued: number;
}

export interface SimJob {
  jobId: string;
  name: string;
  state: string;
  terminalAt: string | null;
  getJobCalls: number;
}

/** The tests' simulators are the launcher's (generated credentials) with a fixed seed. */
const TEST_SIMULATOR: Partial<SimulatorOptions> = { seed: 7 };

/** A simulator of its own, for a test that needs one configured apart from its file's stack. */
export async function runSimulator(overrides: Partial<SimulatorOptions> = {}): Promise<SimulatorHandle> {
  const { simulator, options } = await launchSimulator({ ...TEST_SIMULATOR, ...overrides });
  return simulatorHandle(simulator, options);
}

/** The control helpers over a running simulator; `close` stops it. */
function simulatorHandle(sim: RunningSimulator, options: SimulatorOptions): SimulatorHandle {
  // Read from each request's headers on the raw server, next to Fastify's own handler.
  const tokens = new Set<string>();
  sim.simulator.app.server.on('request', (request: IncomingMessage) => {
    const token = request.headers.authorizationtoken;
    if (typeof token === 'string' && token !== '') tokens.add(token);
  });
  const control = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${sim.url}/_sim/${path}`, init);
    if (!response.ok) throw new Error(`simulator ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    url: sim.url,
    options,
    close: () => sim.close(),
    stats: () => control<SimStats>('stats'),
    setFaults: async (faults) => {
      await control('faults', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(faults),
      });
    },
    jobs: async () => {
      const body = await control<SimJob[] | { jobs: SimJob[] }>('jobs');
      return Array.isArray(body) ? body : body.jobs;
    },
    tokensSeen: () => [...tokens],
  };
}

export function tdgConfigFor(sim: SimulatorHandle, auth?: TdgConfig['auth']): TdgConfig {
  return {
    baseUrl: sim.url,
    apiVersion: 'v3',
    apiKey: sim.options.apiKey,
    auth: auth ?? {
      kind: 'password',
      username: sim.options.username,
      password: sim.options.password,
      tokenTtlMs: 8 * 3_600_000,
    },
    requestTimeoutMs: 5_000,
  };
}

/**
 * The worker's own wiring (src/worker/run.ts): the activities, the client and the token provider
 * log through the Temporal runtime's logger, which `connectTemporal` installs capturing every entry.
 */
export function simulatorActivities(
  sim: SimulatorHandle,
  notify: NotifyConfig | null = null,
  auth?: TdgConfig['auth'],
): TdgActivities {
  return activitiesFromConfig(tdgConfigFor(sim, auth), notify, runtimeLogger);
}

export { createActivities };

let bundle: Promise<WorkflowBundle> | undefined;
/**
 * The workflow bundle the suite's global setup built once for the run; bundled here, once per test
 * file, where no global setup provides one (the browser suite).
 */
export function workflowBundle(): Promise<WorkflowBundle> {
  const prebuilt = inject('workflowBundlePath') as string | undefined;
  bundle ??= prebuilt ? readFile(prebuilt, 'utf8').then((code) => ({ code })) : bundleWorkflows();
  return bundle;
}

export interface TemporalHandle {
  client: Client;
  connection: Connection;
  address: string;
  taskQueue: string;
  /** Starts an emailAppendJob on this task queue. */
  startJob(
    input: EmailAppendJobInput,
    workflowId?: string,
  ): Promise<WorkflowHandleWithFirstExecutionRunId<typeof emailAppendJob>>;
  /** Runs `fn` while a worker with these activities serves this task queue. */
  withWorker<T>(activities: TdgActivities, fn: (worker: Worker) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

let runtimeInstalled = false;
/** Every worker log entry of this test file (activity and workflow logs included), for secret checks. */
export const capturedLogs: string[] = [];

/** Worker lifecycle chatter drowns test output: everything is captured, only warnings and errors print. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const printer = new DefaultLogger('WARN');
  const logger = new DefaultLogger('INFO', (entry) => {
    capturedLogs.push(
      JSON.stringify(entry, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value)),
    );
    if (entry.level === 'WARN' || entry.level === 'ERROR')
      printer.log(entry.level, entry.message, entry.meta);
  });
  Runtime.install({ logger });
}

/** A client (and worker connection) for a Temporal engine already running; `close` ends both. */
export async function connectTemporal(address: string = inject('temporalAddress')): Promise<TemporalHandle> {
  quietRuntime();
  return workerHandle(await startStack({ temporal: { address } }));
}

/** The stack's client, and a worker connection of its own; `close` closes both and the stack. */
async function workerHandle(stack: Stack, payloadCodec: PayloadCodec | null = null): Promise<TemporalHandle> {
  const { client, connection } = stack;
  const address = stack.engine.address;
  const nativeConnection = await NativeConnection.connect({ address }).catch(async (err: unknown) => {
    await stack.close();
    throw err;
  });
  const taskQueue = `test-${randomUUID()}`;
  return {
    client,
    connection,
    address,
    taskQueue,
    startJob: (input, workflowId = uniqueId('wf')) =>
      client.workflow.start<typeof emailAppendJob>(WORKFLOW_TYPE, { workflowId, taskQueue, args: [input] }),
    async withWorker(activities, fn) {
      const worker = await createTdgWorker({
        connection: nativeConnection,
        namespace: stack.engine.namespace,
        taskQueue,
        activities,
        workflowBundle: await workflowBundle(),
        shutdownGraceTime: '1 second',
        payloadCodec,
        // A deployment per test task queue: versions of different tests never route each other's runs.
        versioning: { deploymentName: taskQueue, defaultBehavior: 'PINNED' },
      });
      return runAsCurrent(worker, nativeConnection, () => fn(worker));
    },
    async close() {
      await nativeConnection.close();
      await stack.close();
    },
  };
}

export interface TestStackOptions {
  /** The simulator's options over the tests' defaults, or false for a file that needs none. */
  simulator?: false | Partial<SimulatorOptions>;
  /**
   * The payload codec of the stack's client and of `withWorker`'s workers, in the namespace kept for
   * encrypted jobs; none: payloads in plain JSON, in `default`.
   */
  payloadCodec?: PayloadCodec;
}

/** A test file's stack; its handles are valid inside tests and hooks registered after `useTestStack`. */
export interface TestStack {
  temporal: TemporalHandle;
  sim: SimulatorHandle;
}

/**
 * Starts a stack on the suite's dev server for the calling file or describe block (beforeAll) and
 * closes it after (afterAll): a client, a worker connection with a task queue of its own, a simulator.
 */
export function useTestStack(options: TestStackOptions = {}): TestStack {
  let current: { temporal: TemporalHandle; sim: SimulatorHandle | undefined } | undefined;
  beforeAll(async () => {
    quietRuntime();
    const overrides = options.simulator === false ? false : { ...TEST_SIMULATOR, ...options.simulator };
    const stack = await startStack({
      temporal: {
        address: inject('temporalAddress'),
        ...(options.payloadCodec ? { namespace: ENCRYPTED_NAMESPACE } : {}),
      },
      simulator: overrides,
      payloadCodec: options.payloadCodec ?? null,
    });
    const temporal = await workerHandle(stack, options.payloadCodec ?? null);
    let sim: SimulatorHandle | undefined;
    if (stack.simulator && stack.tdg && overrides) {
      const { apiKey, username, password } = stack.tdg;
      sim = simulatorHandle(stack.simulator, { ...overrides, apiKey, username, password });
    }
    current = { temporal, sim };
  });
  afterAll(async () => {
    await current?.temporal.close();
  });
  return {
    temporal: late('the test stack', () => current?.temporal),
    sim: late("the test stack's simulator", () => current?.sim),
  };
}

/** Stands for the handle `get` returns once it is there; a use before then throws. */
export function late<T extends object>(what: string, get: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_target, key) {
      const handle = get();
      if (handle === undefined) throw new Error(`${what} is not running (used outside its tests?)`);
      const value: unknown = Reflect.get(handle, key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(handle) : value;
    },
  });
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with `env` over this process's environment; a non-zero exit is a result, not an error. */
export async function runCommand(
  file: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, {
      env: { ...process.env, ...env },
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

export const uniqueId = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
