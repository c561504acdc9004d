/**
 * The listener with the REAL Temporal notifier against the suite's dev server: signals reach a
 * running emailAppendJob, unknown and closed workflows get the answers that stop TDG retrying,
 * an unreachable Temporal gets 503, and the simulator's own notifications finish a job end to end.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection, ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { createServiceLogger } from '../src/platform/log.js';
import { startListener, type RunningListener } from '../src/listener/server.js';
import { classifyTemporalError, createTemporalNotifier } from '../src/listener/temporal-notifier.js';
import {
  statusQuery,
  type EmailAppendJobInput,
  type EmailAppendJobResult,
} from '../src/contract/definitions.js';
import { signWorkflowId } from '../src/platform/notify-url.js';
import { simulatorActivities, uniqueId, useTestStack, waitFor } from './helpers/harness.js';
import { attributesOf } from './helpers/history.js';

const SECRET = randomBytes(32).toString('hex');
const PREVIOUS_SECRET = randomBytes(32).toString('hex');
const SLOW_POLLING = {
  initialIntervalMs: 60_000,
  maxIntervalMs: 60_000,
  maxIntervalWithNotificationsMs: 60_000,
};

const logLines: string[] = [];
const capturingLogger = createServiceLogger('listener', {
  env: { LOG_LEVEL: 'TRACE' },
  destination: { write: (line: string) => void logLines.push(line) },
});
const issuedSignatures = new Set<string>();

const { temporal, sim } = useTestStack();
let listener: RunningListener;

function notificationUrl(workflowId: string, secret = SECRET): string {
  const sig = signWorkflowId(secret, workflowId);
  issuedSignatures.add(sig);
  return `${listener.url}/notifications/${encodeURIComponent(workflowId)}?sig=${sig}`;
}

function start(input: EmailAppendJobInput, workflowId = uniqueId('listener')) {
  return temporal.startJob(input, workflowId);
}

// The listener's own options (two secrets, a capturing logger, running hints forwarded) are more
// than the launcher's listener takes: it starts here, over the stack's client.
beforeAll(async () => {
  listener = await startListener(
    {
      secrets: [SECRET, PREVIOUS_SECRET],
      notifier: createTemporalNotifier(temporal.client),
      logger: capturingLogger,
      // The tests below follow every hint into the workflow; the default is tested on its own.
      forwardRunningHints: true,
    },
    { port: 0, host: '127.0.0.1' },
  );
});
afterAll(async () => {
  await listener?.close();
});

describe('listener with the real Temporal notifier', () => {
  it('signals a running workflow (GET and POST) and keeps the signature out of history', async () => {
    const name = `${uniqueId('signalled')} [sim duration=1h]`;
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const handle = await start({ name, polling: SLOW_POLLING });
      const before = await waitFor(async () => {
        const s = await handle.query(statusQuery);
        return s.nextCheckAt ? s : undefined;
      });

      const get = await fetch(`${notificationUrl(handle.workflowId)}&state=IN_PROGRESS`);
      expect([get.status, await get.json()]).toEqual([202, { status: 'accepted' }]);
      await waitFor(async () => ((await handle.query(statusQuery)).notifications === 1 ? true : undefined));

      const post = await fetch(notificationUrl(handle.workflowId, PREVIOUS_SECRET), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ job_id: 'J', state: 'IN_PROGRESS' }),
      });
      expect(post.status).toBe(202);
      const status = await waitFor(async () => {
        const s = await handle.query(statusQuery);
        return s.notifications === 2 ? s : undefined;
      });
      expect(status.lastNotificationAt).not.toBeNull();

      const history = JSON.stringify(await handle.fetchHistory());
      expect(history).toContain('jobNotification');
      expect(history).not.toContain(signWorkflowId(SECRET, handle.workflowId));
      expect(history).not.toContain(signWorkflowId(PREVIOUS_SECRET, handle.workflowId));
      expect(history).not.toContain(SECRET);
      // Both hints named a state that is not terminal: notification-first, they ask for no getJob.
      expect(status).toMatchObject({ lastNotifiedState: 'IN_PROGRESS' });
      expect(status.checks).toBe(before.checks);
      await handle.terminate('test done');
    });
  });

  it('by default a hint naming a running state is answered 202 without a signal; COMPLETED and unknown states are signalled', async () => {
    const quiet = await startListener(
      { secrets: [SECRET], notifier: createTemporalNotifier(temporal.client), logger: capturingLogger },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const handle = await start({ name: `${uniqueId('quiet')} [sim duration=1h]`, polling: SLOW_POLLING });
      const sig = signWorkflowId(SECRET, handle.workflowId);
      issuedSignatures.add(sig);
      const url = `${quiet.url}/notifications/${handle.workflowId}?sig=${sig}`;
      const signals = async () =>
        attributesOf(await handle.fetchHistory(), 'workflowExecutionSignaledEventAttributes').length;
      for (const state of ['IN_PROGRESS', 'queued', 'WAITING_FOR_UPLOAD']) {
        const res = await fetch(`${url}&state=${state}`);
        expect([res.status, await res.json()]).toEqual([202, { status: 'accepted' }]);
      }
      expect(await signals()).toBe(0);
      expect((await fetch(`${url}&state=Finished`)).status).toBe(202);
      expect((await fetch(`${url}&state=COMPLETED`)).status).toBe(202);
      expect(await signals()).toBe(2);
      await handle.terminate('test done');
    } finally {
      await quiet.close();
    }
  });

  it('a signature for workflow A used on workflow B is refused and B is not signalled', async () => {
    const a = await start({ name: 'a [sim duration=1h]', polling: SLOW_POLLING });
    const b = await start({ name: 'b [sim duration=1h]', polling: SLOW_POLLING });
    const sigForA = signWorkflowId(SECRET, a.workflowId);
    issuedSignatures.add(sigForA);
    const res = await fetch(`${listener.url}/notifications/${b.workflowId}?sig=${sigForA}`, {
      method: 'POST',
    });
    expect(res.status).toBe(401);
    expect(attributesOf(await b.fetchHistory(), 'workflowExecutionSignaledEventAttributes')).toEqual([]);
    await Promise.all([a.terminate(), b.terminate()]);
  });

  it('404 for a workflow id that never existed', async () => {
    const res = await fetch(notificationUrl(uniqueId('never-started')));
    expect([res.status, await res.json()]).toEqual([404, { error: 'unknown workflow' }]);
  });

  it('200 "already closed" for a terminated workflow, so TDG stops retrying', async () => {
    // No worker needed: the workflow only has to exist and be closed.
    const handle = await start({ name: 'closed [sim duration=1h]', polling: SLOW_POLLING });
    await handle.terminate('closing for the test');
    const res = await fetch(notificationUrl(handle.workflowId), { method: 'POST' });
    expect([res.status, await res.json()]).toEqual([200, { status: 'already closed' }]);
  });

  it('/healthz reports Temporal reachable', async () => {
    const res = await fetch(`${listener.url}/healthz`);
    expect([res.status, await res.json()]).toEqual([200, { status: 'ok', temporal: 'reachable' }]);
  });

  it('503 with Retry-After and an unhealthy /healthz when Temporal is unreachable', async () => {
    // Nothing listens on port 1; a lazy connection lets the listener start anyway.
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const notifier = createTemporalNotifier(new Client({ connection }), {
      signalTimeoutMs: 1_000,
      healthTimeoutMs: 500,
    });
    const down = await startListener(
      { secrets: [SECRET], notifier, logger: capturingLogger },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const health = await fetch(`${down.url}/healthz`);
      expect([health.status, await health.json()]).toEqual([
        503,
        { status: 'degraded', temporal: 'unreachable' },
      ]);
      const sig = signWorkflowId(SECRET, 'wf-any');
      issuedSignatures.add(sig);
      const startedAt = Date.now();
      const res = await fetch(`${down.url}/notifications/wf-any?sig=${sig}`, { method: 'POST' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('30');
      expect(Date.now() - startedAt).toBeLessThan(2_500);
      // A bad signature is still refused first, without touching Temporal.
      expect((await fetch(`${down.url}/notifications/wf-any?sig=${'0'.repeat(64)}`)).status).toBe(401);
    } finally {
      await down.close();
      await notifier.idle();
      await connection.close();
    }
  });

  for (const method of ['GET', 'POST'] as const) {
    it(`simulator → listener → Temporal: a ${method} notification finishes the job long before the poll timer`, async () => {
      const name = `${uniqueId(`e2e-${method}`)} [sim duration=1500ms batches=2]`;
      const notify = { publicUrl: `${listener.url}/notifications`, secret: SECRET };
      await temporal.withWorker(simulatorActivities(sim, notify), async () => {
        const startedAt = Date.now();
        const handle = await start({ name, polling: SLOW_POLLING, notificationMethod: method });
        issuedSignatures.add(signWorkflowId(SECRET, handle.workflowId));
        const result: EmailAppendJobResult = await handle.result();
        // The first poll alone would take 60 s.
        expect(Date.now() - startedAt).toBeLessThan(20_000);
        expect(result.state).toBe('COMPLETED');
        expect(result.notifications).toBeGreaterThanOrEqual(1);
        expect(result.detectedBy).toBe('notification');
        const history = JSON.stringify(await handle.fetchHistory());
        expect(history).not.toContain(signWorkflowId(SECRET, handle.workflowId));
      });
      const stats = await sim.stats();
      expect(stats.notifications.failed).toBe(0);
    });
  }

  it('once notifications arrive, polling steps back: about one getJob per notification', async () => {
    const name = `${uniqueId('safety-net')} [sim duration=4s batches=3]`;
    const notify = { publicUrl: `${listener.url}/notifications`, secret: SECRET };
    // Without the notification floor this policy would poll every second all through the job.
    const polling = {
      initialIntervalMs: 1_000,
      backoffFactor: 1,
      maxIntervalMs: 1_000,
      minIntervalWithNotificationsMs: 30_000,
      maxIntervalWithNotificationsMs: 60_000,
    };
    await temporal.withWorker(simulatorActivities(sim, notify), async () => {
      const handle = await start({ name, polling, notificationMethod: 'POST' });
      issuedSignatures.add(signWorkflowId(SECRET, handle.workflowId));
      const result: EmailAppendJobResult = await handle.result();
      expect(result.detectedBy).toBe('notification');
      expect(result.notifications).toBeGreaterThanOrEqual(2);
      // The check after creation, one per notification, and a poll the first notification may trail.
      expect(result.checks).toBeLessThanOrEqual(result.notifications + 2);
    });
  });
});

describe('Temporal error classification', () => {
  const grpcError = (code: number): Error =>
    Object.assign(new Error(`${code} grpc`), { code, details: 'x', metadata: {} });
  it('maps not-found, transient and permanent failures', () => {
    expect(classifyTemporalError(new WorkflowNotFoundError('gone', 'wf', undefined))).toBe('not-found');
    expect(classifyTemporalError(new ServiceError('x', { cause: grpcError(14) }))).toBe('unavailable');
    expect(classifyTemporalError(new ServiceError('x', { cause: grpcError(4) }))).toBe('unavailable');
    expect(classifyTemporalError(grpcError(8))).toBe('unavailable');
    expect(classifyTemporalError(new ServiceError('x', { cause: grpcError(7) }))).toBe('permanent');
    expect(classifyTemporalError(new ServiceError('no grpc cause'))).toBe('unavailable');
    expect(classifyTemporalError(new TypeError('bug'))).toBe('permanent');
  });
});

describe('secrets in logs (real Temporal)', () => {
  it('the captured log never contains a secret or a valid signature', () => {
    expect(logLines.length).toBeGreaterThan(5);
    const log = logLines.join('\n');
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(PREVIOUS_SECRET);
    for (const sig of issuedSignatures) expect(log).not.toContain(sig);
  });
});
