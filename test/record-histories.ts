/**
 * Histories are recorded on unversioned workers: replay reads only the workflow's own events, and
 * an unversioned task queue needs no promotion step between the cases.
 *
 * `npm run record-histories`: records real histories from the current workflow code into
 * test/histories/, for the replay test: every path the workflow has (completed, failed, a hint
 * signal and the jobCreated/checkNow updates, both runs of a continue-as-new chain, a deadline, a
 * cancellation, notification-first waiting, a credential wait, a burst of hints spaced out, a person's check preempting a queued background one, a getJob outage waited out, a createJob retried after an unknown outcome, a
 * createJob refused by TDG, a terminal hint followed up until TDG's read agrees). Record new ones BEFORE changing workflow code (see
 * README), so the replay test proves the change is deterministic.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { TdgJobs } from '../src/client/index.js';
import { startDevServer } from '../tooling/stack/dev-server.js';
import { findBinary, TEMPORAL_CLI } from '../tooling/stack/temporal-binaries.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';
import { startSimulator, type RunningSimulator } from '../tooling/simulator/index.js';
import {
  WORKFLOW_TYPE,
  hintSignal,
  statusQuery,
  type EmailAppendJobInput,
  type EmailAppendJobResult,
  type JobStatus,
} from '../src/contract/index.js';
import { activitiesFromConfig } from '../src/worker/activities-from-config.js';
import type { NotifyConfig } from '../src/platform/env/notify.js';
import { createTdgWorker } from '../src/worker/factory.js';
import { clientDataConverter, payloadCodecFor } from '../src/platform/data-converter.js';
import { loadClientConfig } from '../src/platform/env/temporal.js';

const outDir = join(PROJECT_ROOT, 'test', 'histories');
const polling = {
  initialIntervalMs: 200,
  backoffFactor: 1.5,
  maxIntervalMs: 1_000,
  maxIntervalWithNotificationsMs: 2_000,
};
const slow = { initialIntervalMs: 60_000, maxIntervalMs: 60_000, maxIntervalWithNotificationsMs: 60_000 };

const server = await startDevServer({ uiPort: null });
const credentials = { apiKey: 'history-key', username: 'history', password: 'history-password' };
const sim = await startSimulator({ ...credentials, seed: 1 }, { port: 0, host: '127.0.0.1' });
// An account that may not use the asynchronous API: createJob is refused with NotPermitted.
const trial = await startSimulator(
  { ...credentials, seed: 2, restrictedApiKeys: [credentials.apiKey] },
  { port: 0, host: '127.0.0.1' },
);

function activitiesFor(
  tdg: RunningSimulator,
  password: string = credentials.password,
  notify: NotifyConfig | null = null,
): ReturnType<typeof activitiesFromConfig> {
  return activitiesFromConfig(
    {
      baseUrl: tdg.url,
      apiVersion: 'v3',
      apiKey: credentials.apiKey,
      auth: {
        kind: 'password',
        username: credentials.username,
        password,
        tokenTtlMs: 3_600_000,
      },
      requestTimeoutMs: 5_000,
    },
    notify,
  );
}

function save(label: string, workflowId: string, runId: string): void {
  // `temporal workflow show --output json` writes the format historyFromJSON reads back.
  const json = execFileSync(
    findBinary(TEMPORAL_CLI) ?? 'temporal',
    [
      'workflow',
      'show',
      '--address',
      server.address,
      '--workflow-id',
      workflowId,
      '--run-id',
      runId,
      '--output',
      'json',
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  writeFileSync(join(outDir, `${label}.json`), json);
  const history = JSON.parse(json) as { events?: unknown[] };
  process.stdout.write(`recorded ${label}: ${history.events?.length ?? 0} events\n`);
}

async function nextCheckScheduled(handle: WorkflowHandle): Promise<void> {
  while (!(await handle.query(statusQuery)).nextCheckAt) await new Promise((r) => setTimeout(r, 100));
}

const nativeConnection = await NativeConnection.connect({ address: server.address });
// With PAYLOAD_CODEC_KEYS (or _FILE) set, histories are recorded encrypted, and the replay test
// then needs the same keys in its environment. The committed ones are recorded without: plain JSON.
const payloadCodec = payloadCodecFor(loadClientConfig().codecKeys);

const cases: Record<string, (client: Client, jobs: TdgJobs) => Promise<void>> = {
  completed: async (client) => {
    const input: EmailAppendJobInput = { name: 'History completed [sim duration=1500ms batches=3]', polling };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: 'history-completed',
      taskQueue: 'record-histories',
      args: [input],
    });
    await handle.result();
    save('completed', handle.workflowId, handle.firstExecutionRunId);
  },
  failed: async (client) => {
    const input: EmailAppendJobInput = {
      name: 'History failed [sim duration=1s batches=3 outcome=FAILED]',
      polling,
    };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: 'history-failed',
      taskQueue: 'record-histories',
      args: [input],
    });
    await handle.result().catch(() => undefined);
    save('failed', handle.workflowId, handle.firstExecutionRunId);
  },
  'signal-and-updates': async (client, jobs) => {
    // Update-with-start (jobCreated), then a manual check (checkNow) and a hint that ends a wait.
    const started = await jobs.startJob({
      name: 'History updates [sim duration=2s batches=2]',
      workflowId: 'history-updates',
      notificationMethod: 'POST',
      polling: slow,
    });
    const handle = client.workflow.getHandle(started.workflowId);
    await nextCheckScheduled(handle);
    await jobs.checkNow(started.workflowId);
    await new Promise((r) => setTimeout(r, 2_500));
    await handle.signal(hintSignal, { method: 'POST', receivedAt: new Date().toISOString() });
    await handle.result();
    save('signal-and-updates', started.workflowId, started.runId);
  },
  'continued-as-new': async (client) => {
    const input: EmailAppendJobInput = {
      name: 'History continued [sim duration=5s batches=2]',
      polling: { initialIntervalMs: 150, backoffFactor: 1, maxIntervalMs: 150, jitter: 0 },
      // Local-activity checks write 6 events each (timer, workflow task, marker): 25 is a few checks.
      continueAsNewAfterEvents: 25,
    };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: 'history-continued',
      taskQueue: 'record-histories',
      args: [input],
    });
    await handle.result();
    save('continued-as-new', handle.workflowId, handle.firstExecutionRunId);
    // The second run starts from carried state: a path of its own.
    const history = await client.workflow
      .getHandle(handle.workflowId, handle.firstExecutionRunId)
      .fetchHistory();
    const next = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) throw new Error('the first run did not continue as new');
    save('continued-as-new-run-2', handle.workflowId, next);
  },
  'deadline-exceeded': async (client) => {
    const input: EmailAppendJobInput = {
      name: 'History deadline [sim duration=1h]',
      polling,
      deadlineMs: 2_000,
    };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: 'history-deadline',
      taskQueue: 'record-histories',
      args: [input],
    });
    await handle.result().catch(() => undefined);
    save('deadline-exceeded', handle.workflowId, handle.firstExecutionRunId);
  },
  cancelled: async (client) => {
    const input: EmailAppendJobInput = { name: 'History cancelled [sim duration=1h]', polling: slow };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: 'history-cancelled',
      taskQueue: 'record-histories',
      args: [input],
    });
    await nextCheckScheduled(handle);
    await handle.cancel();
    await handle.result().catch(() => undefined);
    save('cancelled', handle.workflowId, handle.firstExecutionRunId);
  },
  // Hints faster than the spacing: the checks they trigger wait for it (hint-spacing).
  'hint-burst': async (client) => {
    const input: EmailAppendJobInput = { name: 'History hint burst [sim duration=4s]', polling: slow };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: 'history-hint-burst',
      taskQueue: 'record-histories',
      args: [input],
    });
    await nextCheckScheduled(handle);
    for (let i = 0; i < 10; i++) {
      await handle.signal(hintSignal, { method: 'GET', receivedAt: new Date().toISOString() });
      await new Promise((r) => setTimeout(r, 300));
    }
    await handle.result();
    save('hint-burst', handle.workflowId, handle.firstExecutionRunId);
  },
  // A hint's check falls back to a (background) activity while TDG answers 5xx; a
  // person's checkNow meanwhile cancels it and sends the call again as interactive.
  'check-now-preempts': async (client, jobs) => {
    const input: EmailAppendJobInput = { name: 'History preempted [sim duration=1500ms]', polling: slow };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: 'history-preempted',
      taskQueue: 'record-histories',
      args: [input],
    });
    await nextCheckScheduled(handle);
    await new Promise((r) => setTimeout(r, 1_600));
    sim.simulator.setFaults({ errorRate: 1 });
    await handle.signal(hintSignal, { method: 'GET', receivedAt: new Date().toISOString() });
    // The local attempt failed and the retried activity (background) is pending, retrying 5xx.
    while (!(await handle.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'getJob'))
      await new Promise((r) => setTimeout(r, 100));
    sim.simulator.setFaults({ errorRate: 0 });
    await jobs.checkNow(handle.workflowId);
    await handle.result();
    save('check-now-preempts', handle.workflowId, handle.firstExecutionRunId);
  },
  // A hint says COMPLETED before TDG's read agrees: short follow-up checks until it does.
  'terminal-hint-follow-up': async (client) => {
    const input: EmailAppendJobInput = { name: 'History follow-up [sim duration=2s]', polling: slow };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: 'history-follow-up',
      taskQueue: 'record-histories',
      args: [input],
    });
    await nextCheckScheduled(handle);
    await handle.signal(hintSignal, {
      method: 'POST',
      receivedAt: new Date().toISOString(),
      fields: { state: 'COMPLETED' },
    });
    await handle.result();
    save('terminal-hint-follow-up', handle.workflowId, handle.firstExecutionRunId);
  },
  // The worker's credentials go bad after createJob: getJob is refused, the workflow waits for an
  // operator (lastError), and a worker with good credentials completes it.
  'credential-wait': async (client) => {
    const taskQueue = 'record-histories-credentials';
    const workerWith = (password: string) =>
      createTdgWorker({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        activities: activitiesFor(sim, password),
        versioning: null,
        payloadCodec,
      });
    const input: EmailAppendJobInput = {
      name: 'History credentials [sim duration=3s]',
      polling: { ...polling, maxIntervalMs: 1_000 },
    };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: 'history-credentials',
      taskQueue,
      args: [input],
    });
    const until = async (done: (s: JobStatus) => boolean) => {
      while (!done(await handle.query(statusQuery))) await new Promise((r) => setTimeout(r, 100));
    };
    await (await workerWith(credentials.password)).runUntil(until((s) => s.checks > 0));
    await (await workerWith('a-revoked-password')).runUntil(until((s) => s.lastError !== null));
    await (await workerWith(credentials.password)).runUntil(handle.result());
    save('credential-wait', handle.workflowId, handle.firstExecutionRunId);
  },
  // Notification-first: a job created with a notification URL is not checked at once; a hint
  // naming a running state asks for no check, the one naming COMPLETED does.
  'notification-first': async (client) => {
    const taskQueue = 'record-histories-notified';
    const notify = { publicUrl: 'http://127.0.0.1:9/notifications', secret: 'history-notify-secret' };
    const worker = await createTdgWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      activities: activitiesFor(sim, credentials.password, notify),
      versioning: null,
      payloadCodec,
    });
    const input: EmailAppendJobInput = {
      name: 'History notification-first [sim duration=1500ms]',
      notificationMethod: 'POST',
      polling: slow,
    };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: 'history-notification-first',
      taskQueue,
      args: [input],
    });
    const hint = (state: string) => ({
      method: 'POST',
      receivedAt: new Date().toISOString(),
      fields: { job_id: 'recorded', state },
    });
    await worker.runUntil(async () => {
      await nextCheckScheduled(handle);
      await handle.signal(hintSignal, hint('IN_PROGRESS'));
      await new Promise((r) => setTimeout(r, 2_000));
      await handle.signal(hintSignal, hint('COMPLETED'));
      await handle.result();
    });
    save('notification-first', handle.workflowId, handle.firstExecutionRunId);
  },
  // TDG denies the job (404) and then serves maintenance pages long enough for a check's retry
  // window to run out twice: the workflow waits on its schedule, then completes.
  'get-job-outage': async (client) => {
    const input: EmailAppendJobInput = {
      name: 'History outage [sim duration=1500ms]',
      polling: { ...polling, maxIntervalMs: 2_000 },
    };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: 'history-outage',
      taskQueue: 'record-histories',
      args: [input],
    });
    await nextCheckScheduled(handle);
    for (const fault of [{ notFoundRate: 1 }, { htmlRate: 1 }]) {
      sim.simulator.setFaults({ notFoundRate: 0, htmlRate: 0, ...fault });
      const since = (await handle.query(statusQuery)).lastError;
      while ((await handle.query(statusQuery)).lastError === since)
        await new Promise((r) => setTimeout(r, 500));
    }
    sim.simulator.setFaults({ notFoundRate: 0, htmlRate: 0 });
    await handle.result();
    save('get-job-outage', handle.workflowId, handle.firstExecutionRunId);
  },
  // TDG creates the job but its answer is unreadable; the retry creates another, marked as a possible duplicate.
  'create-outcome-unknown': async (client) => {
    // A job first, so the worker holds a token and the fault hits the job request itself.
    await client.workflow.execute(WORKFLOW_TYPE, {
      workflowId: 'history-warm-up',
      taskQueue: 'record-histories',
      args: [{ name: 'History warm-up [sim duration=100ms]', polling } satisfies EmailAppendJobInput],
    });
    sim.simulator.setFaults({ malformedRate: 1 });
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: 'history-outcome-unknown',
      taskQueue: 'record-histories',
      args: [
        { name: 'History outcome unknown [sim duration=1500ms]', polling } satisfies EmailAppendJobInput,
      ],
    });
    while (!(await handle.query(statusQuery)).lastError) await new Promise((r) => setTimeout(r, 100));
    sim.simulator.setFaults({ malformedRate: 0 });
    const result = (await handle.result()) as EmailAppendJobResult;
    if (!result.possibleDuplicateTdgJob) throw new Error('the retried createJob was not marked');
    save('create-outcome-unknown', handle.workflowId, handle.firstExecutionRunId);
  },
  'create-refused': async (client) => {
    const input: EmailAppendJobInput = { name: 'History refused', polling };
    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      workflowId: 'history-refused',
      taskQueue: 'record-histories-trial',
      args: [input],
    });
    await handle.result().catch(() => undefined);
    save('create-refused', handle.workflowId, handle.firstExecutionRunId);
  },
};

try {
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter: clientDataConverter(payloadCodec) });
  const jobs = new TdgJobs(client, { taskQueue: 'record-histories' });
  const worker = await createTdgWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue: 'record-histories',
    activities: activitiesFor(sim),
    versioning: null,
    payloadCodec,
  });
  const trialWorker = await createTdgWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue: 'record-histories-trial',
    activities: activitiesFor(trial),
    versioning: null,
    payloadCodec,
  });
  await Promise.all([
    trialWorker.runUntil(
      worker.runUntil(async () => {
        // `npm run record-histories -- NAME...` records only those.
        const only = process.argv.slice(2);
        for (const [name, record] of Object.entries(cases))
          if (only.length === 0 || only.includes(name)) await record(client, jobs);
      }),
    ),
  ]);
  await connection.close();
} finally {
  await sim.close();
  await trial.close();
  await server.stop();
}
