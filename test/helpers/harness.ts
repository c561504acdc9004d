/**
 * Test wiring over real parts: the simulator on a loopback port, the activities over real
 * HTTP, a worker on the suite's Temporal dev server with a task queue of its own.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  type Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import { createActivities, type TdgActivities } from '../../activities/index.js';
import { startSimulator } from '../../tooling/simulator/index.js';
import type { SimulatorOptions } from '../../tooling/simulator/app.js';
import { activitiesFromConfig, runtimeLogger } from '../../src/worker/activities-from-config.js';
import type { NotifyConfig } from '../../src/platform/env/notify.js';
import type { TdgConfig } from '../../src/worker/config.js';
import { bundleWorkflows, createTdgWorker } from '../../src/worker/factory.js';
import { runAsCurrent } from '../../src/worker/versioning.js';

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

export async function runSimulator(overrides: Partial<SimulatorOptions> = {}): Promise<SimulatorHandle> {
  const options: SimulatorOptions = {
    apiKey: secret(),
    username: 'tester',
    password: secret(),
    seed: 7,
    ...overrides,
  };
  const sim = await startSimulator(options, { port: 0, host: '127.0.0.1' });
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
/** Bundled once per test file (each file runs in its own fork). */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflows();
  return bundle;
}

export interface TemporalHandle {
  client: Client;
  address: string;
  taskQueue: string;
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

export async function connectTemporal(address: string = inject('temporalAddress')): Promise<TemporalHandle> {
  quietRuntime();
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection });
  const taskQueue = `test-${randomUUID()}`;
  return {
    client,
    address,
    taskQueue,
    async withWorker(activities, fn) {
      const worker = await createTdgWorker({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        activities,
        workflowBundle: await workflowBundle(),
        shutdownGraceTime: '1 second',
        // A deployment per test task queue: versions of different tests never route each other's runs.
        versioning: { deploymentName: taskQueue, defaultBehavior: 'PINNED' },
      });
      return runAsCurrent(worker, nativeConnection, () => fn(worker));
    },
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
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
