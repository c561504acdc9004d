/**
 * The simulator's notifications to a real receiver: what it sends, when, and how it retries;
 * one notification per state change or one at the end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildSimulator, type NotificationMode } from '../tooling/simulator/app.js';
import { notificationGetUrl } from '../tooling/simulator/notifier.js';
import { createServiceLogger } from '../src/platform/log.js';
import {
  API_KEY,
  type Harness,
  JOB_URL,
  PASSWORD,
  T0,
  USERNAME,
  closeRunning,
  expectLogLine,
  expectRefused,
  harness,
  receiver,
} from './helpers/simulator.js';

afterEach(closeRunning);

describe('notifications', () => {
  it('builds GET URLs that keep the existing query', () => {
    expect(notificationGetUrl('https://h/n/wf?sig=abc', 'j1', 'QUEUED')).toBe(
      'https://h/n/wf?sig=abc&job_id=j1&state=QUEUED',
    );
    expect(notificationGetUrl('https://h/n?', 'j1', 'FAILED')).toBe('https://h/n?job_id=j1&state=FAILED');
    expect(notificationGetUrl('https://h/n#frag', 'j1', 'FAILED')).toBe('https://h/n?job_id=j1&state=FAILED');
  });

  it('sends a GET on every state change, keeping ?sig=', async () => {
    const target = await receiver();
    const h = harness();
    const { jobId } = await h.job({
      name: 'notify get [sim duration=10s batches=2]',
      notification_URL: `${target.base}/notifications/wf-1?sig=abc`,
      notification_method: 'GET',
    });
    for (const fraction of [0.05, 0.15, 0.2, 0.5, 1, 2]) {
      h.clock.now = T0 + fraction * 10_000;
      h.sim.checkNotifications();
      await h.sim.notificationsIdle();
    }
    expect(target.received.map((r) => [r.method, r.url])).toEqual(
      ['QUEUED', 'IN_PROGRESS', 'COMPLETED'].map((state) => [
        'GET',
        `/notifications/wf-1?sig=abc&job_id=${jobId}&state=${state}`,
      ]),
    );
    const view = h.sim.job(jobId);
    expect(view?.notifications.map((n) => [n.state, n.outcome, n.status, n.attempts])).toEqual([
      ['QUEUED', 'delivered', 204, 1],
      ['IN_PROGRESS', 'delivered', 204, 1],
      ['COMPLETED', 'delivered', 204, 1],
    ]);
    expect(view?.notifications[2]?.sentAt).toBe(new Date(T0 + 10_000).toISOString());
    expect(view?.notifications[2]?.answeredAt).toBe(new Date(T0 + 10_000).toISOString());
    expect((await h.stats()).notifications).toEqual({
      sent: 3,
      delivered: 3,
      failed: 0,
      dropped: 0,
      attempts: 3,
      pending: 0,
    });
  });

  it('logs JSON lines through the production logger: no credentials, the notification sig redacted', async () => {
    const lines: string[] = [];
    const logger = createServiceLogger('simulator', {
      env: {},
      destination: { write: (line: string) => void lines.push(line) },
    });
    const target = await receiver();
    const h = harness({ logger });
    const sig = 'c0ffee'.repeat(10) + 'abcd';
    const { token, jobId } = await h.job({
      name: 'logged [sim duration=0s batches=0]',
      notification_URL: `${target.base}/notifications/wf-1?sig=${sig}`,
      notification_method: 'GET',
    });
    h.clock.now = T0 + 1;
    h.sim.checkNotifications();
    await h.sim.notificationsIdle();
    expect(target.received.length).toBeGreaterThan(0);
    expect(target.received[0]?.url).toContain(`sig=${sig}`);

    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const line of parsed) expectLogLine(line, 'simulator');
    expect(parsed).toContainEqual(
      expect.objectContaining({
        level: 'INFO',
        message: 'incoming request',
        req: { method: 'POST', url: JOB_URL, remoteAddress: '127.0.0.1' },
      }),
    );
    expect(parsed).toContainEqual(expect.objectContaining({ message: 'job created', jobId }));
    expect(parsed).toContainEqual(
      expect.objectContaining({
        message: 'notification delivered',
        jobId,
        url: `${target.base}/notifications/wf-1?sig=[redacted]`,
      }),
    );
    const log = lines.join('');
    for (const secret of [sig, API_KEY, PASSWORD, token]) expect(log).not.toContain(secret);
  });

  it('sends a JSON POST, found by the background ticker without any polling', async () => {
    const target = await receiver();
    const h = harness({ now: Date.now, tickIntervalMs: 10 });
    const { jobId } = await h.job({
      name: 'notify post [sim duration=200ms batches=1]',
      notification_URL: `${target.base}/n?sig=xyz`,
      notification_method: 'POST',
    });
    const deadline = Date.now() + 5_000;
    while (!target.received.some((r) => r.body.includes('COMPLETED')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const last = target.received.at(-1);
    expect(last?.method).toBe('POST');
    expect(last?.url).toBe('/n?sig=xyz');
    expect(last?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(last?.body ?? '')).toEqual({ job_id: jobId, state: 'COMPLETED' });
    expect(h.sim.job(jobId)?.getJobCalls).toBe(0);
  });

  it('drops every delivery at drop rate 1, and counts them', async () => {
    const target = await receiver();
    const h = harness({ faults: { dropNotificationRate: 1 } });
    const { jobId } = await h.job({
      name: 'dropped [sim duration=1s]',
      notification_URL: `${target.base}/n`,
      notification_method: 'GET',
    });
    h.clock.now = T0 + 200;
    h.sim.checkNotifications();
    h.clock.now = T0 + 1_000;
    h.sim.checkNotifications();
    await h.sim.notificationsIdle();
    expect(target.received).toHaveLength(0);
    expect((await h.stats()).notifications).toMatchObject({ sent: 0, dropped: 2 });
    expect(h.sim.job(jobId)?.notifications.map((n) => n.outcome)).toEqual(['dropped', 'dropped']);
  });

  it('retries 5xx and network errors, and stops at a 4xx', async () => {
    const flaky = await receiver([503, 502]);
    const h = harness();
    const create = (url: string, name: string) =>
      h.job({
        name: `${name} [sim duration=0ms batches=1]`,
        notification_URL: url,
        notification_method: 'POST',
      });
    const settle = async (): Promise<void> => {
      h.sim.checkNotifications();
      await h.sim.notificationsIdle();
    };
    const recovered = await create(`${flaky.base}/flaky`, 'flaky');
    await settle();
    expect(flaky.received).toHaveLength(3);
    expect(h.sim.job(recovered.jobId)?.notifications[0]).toMatchObject({
      outcome: 'delivered',
      attempts: 3,
      status: 204,
    });

    const gone = await receiver([410]);
    const refused = await create(`${gone.base}/gone`, 'gone');
    await settle();
    expect(gone.received).toHaveLength(1);
    expect(h.sim.job(refused.jobId)?.notifications[0]).toMatchObject({
      outcome: 'failed',
      attempts: 1,
      status: 410,
    });

    const closed = await receiver();
    await closed.close();
    const unreachable = await create(`${closed.base}/down`, 'down');
    await settle();
    expect(h.sim.job(unreachable.jobId)?.notifications[0]).toMatchObject({
      outcome: 'failed',
      attempts: 4,
      status: null,
    });

    expect((await h.stats()).notifications).toEqual({
      sent: 3,
      delivered: 1,
      failed: 2,
      dropped: 0,
      attempts: 8,
      pending: 0,
    });
  });
});

describe('notification modes', () => {
  /** Steps the injected clock through every state of a job of `durationMs`, delivering as it goes. */
  async function runJobsToEnd(h: Harness, durationMs: number): Promise<void> {
    for (const fraction of [0.05, 0.15, 0.2, 0.5, 1, 2]) {
      h.clock.now = T0 + fraction * durationMs;
      h.sim.checkNotifications();
      await h.sim.notificationsIdle();
    }
  }
  const statesOf = (h: Harness, jobId: string) => h.sim.job(jobId)?.notifications.map((n) => n.state);

  it('terminal mode sends exactly one notification per job, with its terminal state', async () => {
    const target = await receiver();
    const h = harness({ notificationMode: 'terminal' });
    const completed = await h.job({
      name: 'ends well [sim duration=10s batches=3]',
      notification_URL: `${target.base}/n/wf-1?sig=abc`,
      notification_method: 'GET',
    });
    const failed = await h.job({
      name: 'ends badly [sim duration=10s batches=3 outcome=FAILED]',
      notification_URL: `${target.base}/n/wf-2`,
      notification_method: 'POST',
    });
    await runJobsToEnd(h, 10_000);

    expect(target.received.map((r) => [r.method, r.url, r.body])).toEqual([
      ['GET', `/n/wf-1?sig=abc&job_id=${completed.jobId}&state=COMPLETED`, ''],
      ['POST', '/n/wf-2', JSON.stringify({ job_id: failed.jobId, state: 'FAILED' })],
    ]);
    expect(statesOf(h, completed.jobId)).toEqual(['COMPLETED']);
    expect(statesOf(h, failed.jobId)).toEqual(['FAILED']);
    expect(h.sim.job(failed.jobId)?.scenario.notify).toBe('terminal');
    expect((await h.stats()).notifications).toMatchObject({ sent: 2, delivered: 2, dropped: 0 });
  });

  it('changes mode sends one notification per state change, for FAILED jobs too', async () => {
    const target = await receiver();
    const h = harness({ notificationMode: 'changes' });
    const { jobId } = await h.job({
      name: 'every change [sim duration=10s batches=3 outcome=FAILED]',
      notification_URL: `${target.base}/n`,
      notification_method: 'POST',
    });
    await runJobsToEnd(h, 10_000);
    const expected = ['QUEUED', 'IN_PROGRESS', 'FAILED'];
    expect(target.received.map((r) => JSON.parse(r.body) as unknown)).toEqual(
      expected.map((state) => ({ job_id: jobId, state })),
    );
    expect(statesOf(h, jobId)).toEqual(expected);
  });

  it('a notify= tag overrides the default, both ways', async () => {
    const target = await receiver();
    const url = `${target.base}/n`;
    const byChanges = harness();
    const terminalJob = await byChanges.job({
      name: 'quiet [sim duration=10s notify=terminal]',
      notification_URL: url,
      notification_method: 'GET',
    });
    const defaultJob = await byChanges.job({
      name: 'chatty [sim duration=10s]',
      notification_URL: url,
      notification_method: 'GET',
    });
    await runJobsToEnd(byChanges, 10_000);
    expect(statesOf(byChanges, terminalJob.jobId)).toEqual(['COMPLETED']);
    expect(statesOf(byChanges, defaultJob.jobId)).toEqual(['QUEUED', 'IN_PROGRESS', 'COMPLETED']);

    const byTerminal = harness({ notificationMode: 'terminal' });
    const changesJob = await byTerminal.job({
      name: 'chatty [sim duration=10s notify=changes]',
      notification_URL: url,
      notification_method: 'GET',
    });
    await runJobsToEnd(byTerminal, 10_000);
    expect(statesOf(byTerminal, changesJob.jobId)).toEqual(['QUEUED', 'IN_PROGRESS', 'COMPLETED']);
    expect(target.received).toHaveLength(1 + 3 + 3);
  });

  it('rejects a bad notify= value with a 400 that says what is allowed, and makes no job', async () => {
    const h = harness();
    const token = await h.login();
    const response = await h.createJob(token, { name: 'typo [sim notify=sometimes]' });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: string }>().error).toBe(
      'invalid [sim ...] tag in job name: notify "sometimes" must be changes or terminal',
    );
    expect(h.sim.jobs()).toEqual([]);
  });

  it('drops notifications at the drop rate in terminal mode too', async () => {
    const target = await receiver();
    const h = harness({ notificationMode: 'terminal', faults: { dropNotificationRate: 1 } });
    const { jobId } = await h.job({
      name: 'dropped [sim duration=10s]',
      notification_URL: `${target.base}/n`,
      notification_method: 'GET',
    });
    await runJobsToEnd(h, 10_000);
    expect(target.received).toHaveLength(0);
    expect(h.sim.job(jobId)?.notifications.map((n) => [n.state, n.outcome])).toEqual([
      ['COMPLETED', 'dropped'],
    ]);
    expect((await h.stats()).notifications).toMatchObject({ sent: 0, dropped: 1 });
  });

  it('PUT /_sim/settings switches the mode for jobs created afterwards; reset restores it', async () => {
    const target = await receiver();
    const h = harness();
    const put = (payload: unknown) => h.put('/_sim/settings', payload);
    await expectRefused(h, '/_sim/settings', [
      [{ notificationMode: 'sometimes' }, /notificationMode must be changes or terminal/],
      [{ notificationMode: 1 }, /notificationMode must be changes or terminal/],
      [{ notifyMode: 'terminal' }, /unknown setting\(s\) notifyMode/],
      [[1], /JSON object/],
    ]);
    expect((await h.inject({ method: 'GET', url: '/_sim/settings' })).json()).toEqual({
      notificationMode: 'changes',
    });
    const before = await h.job({
      name: 'before [sim duration=10s]',
      notification_URL: `${target.base}/n`,
      notification_method: 'GET',
    });
    const switched = await put({ notificationMode: 'terminal' });
    expect([switched.statusCode, switched.json()]).toEqual([200, { notificationMode: 'terminal' }]);
    const after = await h.job({
      name: 'after [sim duration=10s]',
      notification_URL: `${target.base}/n`,
      notification_method: 'GET',
    });
    await runJobsToEnd(h, 10_000);
    expect(statesOf(h, before.jobId)).toEqual(['QUEUED', 'IN_PROGRESS', 'COMPLETED']);
    expect(statesOf(h, after.jobId)).toEqual(['COMPLETED']);

    await h.inject({ method: 'POST', url: '/_sim/reset' });
    expect(h.sim.settings()).toEqual({ notificationMode: 'changes' });
  });

  it('names the job id and state fields as configured, in GET queries and POST bodies', async () => {
    expect(
      notificationGetUrl('https://h/n?sig=abc', 'j1', 'FAILED', { jobId: 'jobId', state: 'job state' }),
    ).toBe('https://h/n?sig=abc&jobId=j1&job%20state=FAILED');
    const target = await receiver();
    const h = harness({ notificationMode: 'terminal', notificationFields: { jobId: 'id', state: 'status' } });
    const get = await h.job({
      name: 'get [sim duration=0s]',
      notification_URL: `${target.base}/n`,
      notification_method: 'GET',
    });
    const post = await h.job({
      name: 'post [sim duration=0s outcome=FAILED]',
      notification_URL: `${target.base}/n`,
      notification_method: 'POST',
    });
    await runJobsToEnd(h, 0);
    expect(target.received.map((r) => [r.url, r.body])).toEqual([
      [`/n?id=${get.jobId}&status=COMPLETED`, ''],
      ['/n', JSON.stringify({ id: post.jobId, status: 'FAILED' })],
    ]);
  });

  it('rejects a bad mode or clashing field names in options', () => {
    const base = { apiKey: API_KEY, username: USERNAME, password: PASSWORD, tickIntervalMs: 0 };
    expect(() => buildSimulator({ ...base, notificationMode: 'sometimes' as NotificationMode })).toThrow(
      /notificationMode must be changes or terminal/,
    );
    expect(() => buildSimulator({ ...base, notificationFields: { jobId: 'state' } })).toThrow(/must differ/);
    expect(() => buildSimulator({ ...base, notificationFields: { state: '' } })).toThrow(/non-empty/);
  });
});
