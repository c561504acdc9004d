/**
 * The worker as the container runs it: the compiled `dist/src/bin/worker.js` with NODE_ENV=production,
 * as a real process against the suite's Temporal dev server and an in-process simulator.
 * Prebuilt bundle, Prometheus metrics, /healthz, and SIGTERM in the middle of a job: the first
 * worker finishes its in-flight getJob and exits 0, a second one completes the workflow, and TDG
 * saw exactly one job created; SIGKILL while TDG holds a createJob request: the retry's second
 * TDG job is marked as a possible duplicate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { jobNameFor } from '../src/tdg/job-name.js';
import { freePort } from '../tooling/stack/dev-server.js';
import {
  TDG_POSSIBLE_DUPLICATE,
  WORKFLOW_TYPE,
  hintSignal,
  statusQuery,
  type EmailAppendJobInput,
  type EmailAppendJobResult,
} from '../src/contract/definitions.js';
import { PREBUILT_BUNDLE_PATH } from '../src/worker/factory.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';
import { dashboardQueries, metricNames } from '../tooling/kubernetes/index.js';
import { runSimulator, waitFor, type SimulatorHandle } from './helpers/harness.js';
import { attributesOf, markers } from './helpers/history.js';
import { FAST } from './helpers/workflow.js';

const children = new Set<ChildProcess>();

interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  healthUrl: string;
  metricsUrl: string;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs an npm script of this project (the same ones the Dockerfile runs). */
function npmRun(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve();
      else reject(new Error(`npm run ${script} exited ${code}:\n${output.slice(-3000)}`));
    });
  });
}

let sim: SimulatorHandle;
let connection: Connection;
let client: Client;

async function startWorker(taskQueue: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/src/bin/worker.js')], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      // A deployment per test task queue, made current by the worker itself (as a first deployment).
      WORKER_DEPLOYMENT_NAME: taskQueue,
      WORKER_PROMOTE: 'true',
      TDG_BASE_URL: sim.url,
      TDG_API_KEY: sim.options.apiKey,
      TDG_USERNAME: sim.options.username,
      TDG_PASSWORD: sim.options.password,
      WORKER_HTTP_HOST: '127.0.0.1',
      WORKER_METRICS_PORT: String(metricsPort),
      WORKER_HEALTH_PORT: String(healthPort),
      WORKER_SHUTDOWN_GRACE: '30s', // the least the worker accepts: one activity attempt
      ...env,
    },
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    pid: child.pid ?? -1,
    healthUrl: `http://127.0.0.1:${healthPort}/healthz`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    output: () => output,
    exited,
    async waitForOutput(pattern, timeoutMs = 20_000) {
      await Promise.race([
        waitFor(() => Promise.resolve(pattern.test(output) ? true : undefined), timeoutMs),
        exited.then(({ code }) => {
          if (!pattern.test(output)) throw new Error(`worker exited (${code}) before ${pattern}:\n${output}`);
        }),
      ]);
    },
  };
}

/**
 * The samples of one of our metrics for one task queue on a /metrics page: the rest of each name
 * (`_bucket`, `_sum`, …) plus `le` → value. The SDK labels workflow and activity metrics with
 * `taskQueue` (core's own series say `task_queue`).
 */
function samplesOf(metrics: string, name: string, taskQueue: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    const match = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match?.[1]?.startsWith(name) || !match[2]?.includes(`taskQueue="${taskQueue}"`)) continue;
    const le = /\ble="([^"]*)"/.exec(match[2])?.[1];
    samples.set(`${match[1].slice(name.length)}${le === undefined ? '' : `{le=${le}}`}`, Number(match[3]));
  }
  return samples;
}

beforeAll(async () => {
  // What `docker build` runs: the compiled JavaScript and the prebuilt workflow bundle.
  await Promise.all([npmRun('build:js'), npmRun('build:bundle')]);
  sim = await runSimulator();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await connection?.close();
  await sim?.close();
});

describe('worker process (dist/src/bin/worker.js, NODE_ENV=production)', () => {
  it('loads the prebuilt bundle, serves Prometheus metrics and /healthz, and exits 0 on SIGTERM', async () => {
    const taskQueue = `proc-${randomUUID()}`;
    const worker = await startWorker(taskQueue);
    await worker.waitForOutput(/worker started/);
    expect(worker.output()).toContain(`prebuilt bundle ${PREBUILT_BUNDLE_PATH}`);
    // No webpack at start-up: the SDK logs this line only when it bundles workflow code itself.
    expect(worker.output()).not.toContain('Workflow bundle created');

    const health = await waitFor(async () => {
      const response = await fetch(worker.healthUrl);
      return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
    });
    expect(health).toMatchObject({
      status: 'ok',
      state: 'RUNNING',
      workflowPoller: 'POLLING',
      activityPoller: 'POLLING',
      namespace: 'default',
      taskQueue,
    });

    const metrics = await waitFor(async () => {
      const text = await (await fetch(worker.metricsUrl)).text();
      return text.includes('temporal_num_pollers{') ? text : undefined;
    });
    expect(metrics).toMatch(/^temporal_request\{[^}]*operation="DescribeNamespace"[^}]*\} \d+$/m);
    expect(metrics).toMatch(
      new RegExp(`^temporal_num_pollers\\{[^}]*task_queue="${taskQueue}"[^}]*\\} \\d+$`, 'm'),
    );
    // Valid exposition: no series repeats a label name (Prometheus rejects such a scrape).
    for (const line of metrics.split('\n').filter((l) => /^\w+\{/.test(l))) {
      const labels = [...(line.split('{')[1] ?? '').matchAll(/(\w+)="/g)].map((m) => m[1]);
      expect(new Set(labels).size, line).toBe(labels.length);
    }

    // Once each expected ending logged the SDK's 20-line WARN stack trace: now one INFO line each.
    const tag = randomUUID().slice(0, 8);
    const endings = await Promise.all(
      [
        { name: `Ends FAILED ${tag} [sim duration=500ms batches=1 outcome=FAILED]` },
        { name: `Ends late ${tag} [sim duration=1h]`, deadlineMs: 1_000 },
      ].map(async (job, i) => {
        const input: EmailAppendJobInput = { ...job, notificationMethod: null, polling: FAST };
        const handle = await client.workflow.start(WORKFLOW_TYPE, {
          taskQueue,
          workflowId: `ending-${i}-${tag}`,
          args: [input],
        });
        return handle.result().then(
          () => 'completed',
          (err: unknown) => (err as { cause?: { type?: string } }).cause?.type ?? 'unknown',
        );
      }),
    );
    expect(endings).toEqual(['JobFailed', 'JobDeadlineExceeded']);
    await worker.waitForOutput(
      new RegExp(
        `\\[INFO\\] Workflow ending-1-${tag} \\(run \\S+\\) ended: JobDeadlineExceeded: TDG job \\S+ did not finish by its deadline .*\n`,
      ),
    );
    await worker.waitForOutput(
      new RegExp(
        `\\[INFO\\] Workflow ending-0-${tag} \\(run \\S+\\) ended: JobFailed: TDG job \\S+ FAILED: 1 failed and 0 malformed of 1 batches\n`,
      ),
    );
    const logged = worker.output().split('\n');
    expect(logged.filter((line) => line.includes('Workflow failed'))).toEqual([]);
    expect(logged.filter((line) => /^\s+at /.test(line))).toEqual([]);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(worker.output()).toContain('worker stopped');
    await expect(fetch(worker.healthUrl)).rejects.toThrow();
  });

  it('a job a notification ended: tdg_detection_delay_seconds and tdg_jobs_finished on /metrics', async () => {
    const taskQueue = `proc-${randomUUID()}`;
    const tag = randomUUID().slice(0, 8);
    const worker = await startWorker(taskQueue);
    await worker.waitForOutput(/worker started/);
    // Polling only, every 2 minutes: only the notification can end the job in time.
    const input: EmailAppendJobInput = {
      name: `Deploy notified ${tag} [sim duration=2s batches=2]`,
      notificationMethod: null,
      polling: { initialIntervalMs: 120_000, backoffFactor: 1, maxIntervalMs: 120_000, jitter: 0 },
    };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: `deploy-notified-${tag}`,
      args: [input],
    });
    const first = await waitFor(async () => {
      const status = await handle.query(statusQuery);
      return status.jobId && status.nextCheckAt ? status : undefined;
    }, 30_000);
    await new Promise((r) => setTimeout(r, 3_000)); // TDG finishes the job
    // The check the notification wakes takes 1.5 s: the delay measured must show it.
    await sim.setFaults({ latencyMs: 1_500 });
    const hint = { method: 'POST', receivedAt: new Date().toISOString() };
    const signalledAt = Date.now();
    // A hint naming a running state is not where the delay starts; the first terminal one is.
    await handle.signal(hintSignal, {
      ...hint,
      fields: { job_id: first.jobId!, State: 'in_progress' },
    });
    await handle.signal(hintSignal, {
      ...hint,
      fields: { job_id: first.jobId!, state: ' completed' },
    });
    const result = (await handle.result()) as EmailAppendJobResult;
    const elapsedS = (Date.now() - signalledAt) / 1000;
    await sim.setFaults({ latencyMs: 0 });
    expect(result).toMatchObject({ state: 'COMPLETED', detectedBy: 'notification' });

    const delay = await waitFor(async () => {
      const text = await (await fetch(worker.metricsUrl)).text();
      const samples = samplesOf(text, 'tdg_detection_delay_seconds', taskQueue);
      return samples.has('_count') ? { text, samples } : undefined;
    });
    expect(delay.samples.get('_count')).toBe(1);
    // At least the 1.5 s getJob, at most the time the test waited for the result.
    expect(delay.samples.get('_sum')).toBeGreaterThanOrEqual(1.5);
    expect(delay.samples.get('_sum')).toBeLessThanOrEqual(elapsedS);
    // Seconds buckets (run.ts), not core's default ones: 1 s < delay ≤ 30 s.
    expect(delay.samples.get('_bucket{le=1}')).toBe(0);
    expect(delay.samples.get('_bucket{le=30}')).toBe(1);
    expect(delay.samples.get('_bucket{le=+Inf}')).toBe(1);
    expect(delay.text).toMatch(
      new RegExp(
        `^tdg_detection_delay_seconds_bucket\\{[^}]*detected_by="notification"[^}]*taskQueue="${taskQueue}"[^}]*\\} 1$`,
        'm',
      ),
    );
    expect(delay.text).toMatch(
      new RegExp(
        `^tdg_jobs_finished\\{[^}]*detected_by="notification"[^}]*state="COMPLETED"[^}]*taskQueue="${taskQueue}"[^}]*\\} 1$`,
        'm',
      ),
    );
    expect(samplesOf(delay.text, 'tdg_notifications_received', taskQueue).get('')).toBe(2);

    // The Grafana dashboard (deploy/kubernetes) queries only series this worker exports.
    const exported = new Set([...delay.text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)].map((m) => m[1]));
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThanOrEqual(8);
    const missing = queries.flatMap(({ panel, expr }) =>
      metricNames(expr)
        .filter((name) => !exported.has(name))
        .map((name) => `${panel}: ${name}`),
    );
    expect(missing).toEqual([]);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('a first version makes itself current; one beside it says it is not current (log, /healthz); a promoted one says current', async () => {
    const taskQueue = `proc-${randomUUID()}`;
    // Once a first worker with WORKER_PROMOTE=false idled forever: no version was current, so no
    // poller could take a task. A deployment with no current version now takes its first version.
    const first = await startWorker(taskQueue, { WORKER_PROMOTE: 'false', WORKER_BUILD_ID: 'release-1' });
    await first.waitForOutput(
      /made worker version \S+\.release-1 current: deployment \S+ had no current version/,
      60_000,
    );
    await first.waitForOutput(/worker version \S+\.release-1 is current/, 60_000);

    const idle = await startWorker(taskQueue, { WORKER_PROMOTE: 'false', WORKER_BUILD_ID: 'release-2' });
    await idle.waitForOutput(/worker version \S+\.release-2 is not current/, 60_000);
    expect(idle.output()).toContain(
      `temporal worker deployment set-current-version --deployment-name ${taskQueue} --build-id release-2`,
    );
    expect(idle.output()).not.toContain('made worker version');
    const idleHealth = (await (await fetch(idle.healthUrl)).json()) as Record<string, unknown>;
    expect(idleHealth).toMatchObject({
      deployment: taskQueue,
      buildId: 'release-2',
      versionStatus: 'inactive',
    });
    idle.child.kill('SIGTERM');
    first.child.kill('SIGTERM');
    await Promise.all([idle.exited, first.exited]);

    const promoted = await startWorker(taskQueue, { WORKER_BUILD_ID: 'release-3' });
    await promoted.waitForOutput(/worker version \S+\.release-3 is current/, 60_000);
    const health = (await (await fetch(promoted.healthUrl)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ buildId: 'release-3', versionStatus: 'current' });
    promoted.child.kill('SIGTERM');
    await promoted.exited;
  }, 120_000);

  it('under the Worker Controller: polls as the controller’s version (name with "/"), never promotes itself', async () => {
    const taskQueue = `proc-${randomUUID()}`;
    // As the controller starts a pod: TEMPORAL_DEPLOYMENT_NAME is `<k8s namespace>/<resource>`;
    // our WORKER_DEPLOYMENT_NAME (set by startWorker) is ignored, and WORKER_PROMOTE must be false.
    const controlled = await startWorker(taskQueue, {
      WORKER_PROMOTE: 'false',
      TEMPORAL_DEPLOYMENT_NAME: `tdg/${taskQueue}`,
      TEMPORAL_WORKER_BUILD_ID: 'tdg-email-append-1-1-0-7f9c',
    });
    await controlled.waitForOutput(/is not current yet: the Worker Controller promotes it/, 60_000);
    expect(controlled.output()).not.toContain('set-current-version');
    const health = (await (await fetch(controlled.healthUrl)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({
      deployment: `tdg/${taskQueue}`,
      buildId: 'tdg-email-append-1-1-0-7f9c',
      versionStatus: 'inactive',
    });
    controlled.child.kill('SIGTERM');
    expect(await controlled.exited).toEqual({ code: 0, signal: null });

    const refused = await startWorker(taskQueue, {
      TEMPORAL_DEPLOYMENT_NAME: `tdg/${taskQueue}`,
      TEMPORAL_WORKER_BUILD_ID: 'tdg-email-append-1-1-0-7f9c',
    });
    expect(await refused.exited).toEqual({ code: 2, signal: null });
    expect(refused.output()).toContain('WORKER_PROMOTE=true contradicts TEMPORAL_DEPLOYMENT_NAME');
  }, 90_000);

  it('rejects bad configuration with exit code 2 and one message per problem', async () => {
    const worker = await startWorker(`proc-${randomUUID()}`, {
      WORKER_METRICS_PORT: 'ninety',
      WORKER_SHUTDOWN_GRACE: 'soon',
    });
    expect(await worker.exited).toEqual({ code: 2, signal: null });
    expect(worker.output()).toContain('WORKER_METRICS_PORT must be a port number (1-65535) or "off"');
    expect(worker.output()).toContain('WORKER_SHUTDOWN_GRACE: invalid duration "soon"');
  });

  it('SIGTERM during a getJob: the in-flight call finishes, a second worker completes the job, one TDG job', async () => {
    const taskQueue = `proc-${randomUUID()}`;
    const tag = randomUUID().slice(0, 8);
    const name = `Deploy SIGTERM ${tag} [sim duration=4s batches=3]`;
    const workflowId = `deploy-sigterm-${tag}`;
    /** TDG jobs created for this workflow, whatever name a retry might have used. */
    const jobsCreated = async (): Promise<number> =>
      Object.entries((await sim.stats()).jobsCreated.byName)
        .filter(([jobName]) => jobName.includes(tag))
        .reduce((sum, [, count]) => sum + count, 0);
    // Every TDG call takes 1.5 s, so the SIGTERM below lands while a getJob is in flight.
    await sim.setFaults({ latencyMs: 1_500 });
    const workerA = await startWorker(taskQueue);
    await workerA.waitForOutput(/worker started/);

    const input: EmailAppendJobInput = {
      name,
      notificationMethod: null,
      polling: { initialIntervalMs: 1_000, backoffFactor: 1, maxIntervalMs: 1_000, jitter: 0 },
    };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId,
      args: [input],
    });
    const before = await sim.stats();
    await waitFor(async () => {
      const stats = await sim.stats();
      return (stats.requests['GET /job'] ?? 0) > (before.requests['GET /job'] ?? 0) ? true : undefined;
    }, 30_000);
    expect((await sim.stats()).jobsCreated.byName[jobNameFor(name, workflowId)]).toBe(1);

    const signalledAt = Date.now();
    workerA.child.kill('SIGTERM');
    expect(await workerA.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(10_000);

    const workerB = await startWorker(taskQueue);
    const result = (await handle.result()) as EmailAppendJobResult;
    expect(result.state).toBe('COMPLETED');
    expect(result.batchList).toHaveLength(3);
    expect((await sim.stats()).jobsCreated.byName[jobNameFor(name, workflowId)]).toBe(1);
    expect(await jobsCreated()).toBe(1);

    // From the history: A completed the getJob it was running when SIGTERM came (no failed
    // attempt, no workflow task lost), and B ran the later ones. Checks are local activities: each
    // is a marker recorded by the workflow task that ran it.
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const completedBy = new Map(
      events.flatMap((e) =>
        e.workflowTaskCompletedEventAttributes
          ? [[String(e.eventId), e.workflowTaskCompletedEventAttributes.identity ?? '']]
          : [],
      ),
    );
    const checks = markers(history, 'core_local_activity').map(({ marker, details }) => ({
      attempt: (details['data'] as { attempt: number }).attempt,
      by: completedBy.get(String(marker.workflowTaskCompletedEventId)) ?? '',
    }));
    const createdBy = attributesOf(history, 'activityTaskStartedEventAttributes')[0];
    expect(createdBy?.identity).toMatch(new RegExp(`^${workerA.pid}@`)); // createJob
    expect(checks[0]?.by).toMatch(new RegExp(`^${workerA.pid}@`)); // the in-flight getJob
    expect(checks.at(-1)?.by).toMatch(new RegExp(`^${workerB.pid}@`));
    expect(checks.every((c) => c.attempt === 1)).toBe(true);
    expect(
      events.filter(
        (e) =>
          e.activityTaskFailedEventAttributes ||
          e.activityTaskTimedOutEventAttributes ||
          e.workflowTaskFailedEventAttributes ||
          e.workflowTaskTimedOutEventAttributes,
      ),
    ).toEqual([]);

    await sim.setFaults({ latencyMs: 0 });
    workerB.child.kill('SIGTERM');
    expect(await workerB.exited).toEqual({ code: 0, signal: null });
    // Two worker processes start, hand over and stop while the rest of the suite loads the CPUs.
  }, 150_000);

  it('SIGKILL while TDG holds a createJob request: the retry makes a second TDG job, marked as a possible duplicate', async () => {
    const taskQueue = `proc-${randomUUID()}`;
    const tag = randomUUID().slice(0, 8);
    const name = `Deploy SIGKILL ${tag} [sim duration=2s batches=2]`;
    const workflowId = `deploy-sigkill-${tag}`;
    // TDG holds every request for 3 s, then handles it whether or not the caller is still there.
    await sim.setFaults({ latencyMs: 3_000 });
    const workerA = await startWorker(taskQueue);
    await workerA.waitForOutput(/worker started/);
    const before = (await sim.stats()).requests['POST /job'] ?? 0;
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId,
      args: [{ name, notificationMethod: null } satisfies EmailAppendJobInput],
    });
    await waitFor(
      async () => (((await sim.stats()).requests['POST /job'] ?? 0) > before ? true : undefined),
      30_000,
    );
    workerA.child.kill('SIGKILL');
    expect((await workerA.exited).signal).toBe('SIGKILL');
    // TDG creates the job nobody will hear about.
    await waitFor(
      async () => ((await sim.stats()).jobsCreated.byName[jobNameFor(name, workflowId)] ? true : undefined),
      10_000,
    );
    await sim.setFaults({ latencyMs: 0 });

    const workerB = await startWorker(taskQueue);
    const result = (await handle.result()) as EmailAppendJobResult;
    expect(result.state).toBe('COMPLETED');
    expect((await sim.stats()).jobsCreated.byName[jobNameFor(name, workflowId)]).toBe(2);
    expect(result.possibleDuplicateTdgJob).toBe(true);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(TDG_POSSIBLE_DUPLICATE)).toBe(true);
    workerB.child.kill('SIGTERM');
    expect(await workerB.exited).toEqual({ code: 0, signal: null });
    // The first attempt waits out its 30 s start-to-close timeout before the workflow retries.
  }, 150_000);
});
