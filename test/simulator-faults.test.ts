/**
 * The simulator's fault injection and the ordinary outages of a public API it imitates.
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type SimulatorOptions } from '../tooling/simulator/app.js';
import { MAINTENANCE_URL } from '../tooling/simulator/faults.js';
import {
  API_KEY,
  JOB_URL,
  PASSWORD,
  T0,
  type TdgJobBody,
  USERNAME,
  closeRunning,
  expectRefused,
  harness,
  receiver,
} from './helpers/simulator.js';

afterEach(closeRunning);

describe('fault injection', () => {
  const authRequest: InjectOptions = {
    method: 'POST',
    url: '/v3/auth',
    headers: { 'x-api-key': API_KEY },
    payload: { username: USERNAME, password: PASSWORD },
  };

  it('errorRate 1 answers 5xx with JSON or text bodies and has no side effect', async () => {
    const h = harness({ faults: { errorRate: 1 } });
    const kinds = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const response = await h.inject(authRequest);
      expect([500, 502, 503]).toContain(response.statusCode);
      kinds.add(String(response.headers['content-type']).split(';')[0] ?? '');
    }
    expect(kinds).toEqual(new Set(['application/json', 'text/plain']));
    const created = await h.inject({
      method: 'POST',
      url: JOB_URL,
      headers: { 'x-api-key': API_KEY, authorizationtoken: 'x', 'content-type': 'application/json' },
      payload: { name: 'never' },
    });
    expect(created.statusCode).toBeGreaterThanOrEqual(500);
    const stats = await h.stats();
    expect(stats.jobsCreated.total).toBe(0);
    expect(stats.faultsInjected.error).toBe(21);
    expect(stats.tokensIssued).toBe(0);
    expect((await h.inject({ method: 'GET', url: '/_sim/faults' })).statusCode).toBe(200);
  });

  it('rateLimitRate 1 answers 429 with Retry-After', async () => {
    const h = harness({ faults: { rateLimitRate: 1, retryAfterSeconds: 7 } });
    const response = await h.inject(authRequest);
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('7');
    expect(response.json()).toHaveProperty('error');
    expect((await h.stats()).faultsInjected.rateLimit).toBe(1);
  });

  it('malformedRate 1 garbles 200 bodies (truncated JSON or HTML) but not errors', async () => {
    const h = harness({ faults: { malformedRate: 1 } });
    const types = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const response = await h.inject(authRequest);
      expect(response.statusCode).toBe(200);
      expect(() => JSON.parse(response.body) as unknown).toThrow();
      types.add(String(response.headers['content-type']).split(';')[0] ?? '');
    }
    expect(types).toEqual(new Set(['application/json', 'text/html']));
    const denied = await h.inject({ ...authRequest, headers: { 'x-api-key': 'wrong' } });
    expect([denied.statusCode, denied.json()]).toEqual([401, { error: 'invalid API key' }]);
    expect((await h.stats()).faultsInjected.malformed).toBe(12);
  });

  it('adds latency', async () => {
    const h = harness({ faults: { latencyMs: 40 } });
    const started = performance.now();
    await h.inject(authRequest);
    expect(performance.now() - started).toBeGreaterThanOrEqual(39);
  });

  it('createJobLatencyMs and getJobLatencyMs slow only their own route, and the job is made anyway', async () => {
    const h = harness({ faults: { createJobLatencyMs: 120, getJobLatencyMs: 60 } });
    const timed = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
      const started = performance.now();
      const value = await run();
      return [value, performance.now() - started];
    };
    const [token, authMs] = await timed(() => h.login());
    expect(authMs).toBeLessThan(50);
    const [created, createMs] = await timed(() => h.createJob(token, { name: 'slow create' }));
    expect(createMs).toBeGreaterThanOrEqual(119);
    const jobId = created.json<{ job_id: string }>().job_id;
    const [, getMs] = await timed(() => h.getJob(token, jobId));
    expect(getMs).toBeGreaterThanOrEqual(59);
    expect(getMs).toBeLessThan(119);
    // An answer too slow for the caller: the job exists whether or not anyone reads the answer.
    h.sim.setFaults({ createJobLatencyMs: 5_000 });
    const hungUp = h.createJob(token, { name: 'never read' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await h.stats()).jobsCreated.byName['never read']).toBe(1);
    h.sim.setFaults({ createJobLatencyMs: 0 });
    void hungUp;
  });

  it('a createLatency= / getLatency= tag slows only that job’s answers', async () => {
    const h = harness();
    const token = await h.login();
    const started = performance.now();
    const slow = await h.createJob(token, { name: 'slow [sim createLatency=100ms getLatency=60ms]' });
    const createMs = performance.now() - started;
    expect(createMs).toBeGreaterThanOrEqual(99);
    const fastStart = performance.now();
    const fast = await h.createJob(token, { name: 'fast' });
    expect(performance.now() - fastStart).toBeLessThan(50);
    const timedGet = async (jobId: string): Promise<number> => {
      const at = performance.now();
      expect((await h.getJob(token, jobId)).statusCode).toBe(200);
      return performance.now() - at;
    };
    expect(await timedGet(slow.json<{ job_id: string }>().job_id)).toBeGreaterThanOrEqual(59);
    expect(await timedGet(fast.json<{ job_id: string }>().job_id)).toBeLessThan(50);
  });

  it('terminalReadLagMs: after the end is notified, getJob answers the state before for that long', async () => {
    const h = harness({ faults: { terminalReadLagMs: 30_000 } });
    const target = await receiver();
    const { token, jobId } = await h.job({
      name: 'lagging [sim duration=10s batches=4 notify=terminal]',
      notification_URL: `${target.base}/n`,
      notification_method: 'POST',
    });
    h.clock.now = T0 + 10_000;
    h.sim.checkNotifications();
    await h.sim.notificationsIdle();
    expect(target.received.map((r) => JSON.parse(r.body) as { state: string })).toEqual([
      { job_id: jobId, state: 'COMPLETED' },
    ]);
    const read = async () => (await h.getJob(token, jobId)).json<TdgJobBody>();
    h.clock.now = T0 + 10_000 + 29_999;
    expect(await read()).toMatchObject({ state: 'IN_PROGRESS' });
    h.clock.now = T0 + 10_000 + 30_000;
    const current = await read();
    expect(current).toMatchObject({ state: 'COMPLETED', number_batches_completed: 4 });
    expect(current.batch_list).toHaveLength(4);
    expect((await h.stats()).faultsInjected.laggingRead).toBe(1);
    // The control view shows the truth all along.
    expect(h.sim.job(jobId)?.state).toBe('COMPLETED');
  });

  it('completedBatchList leaves out, empties or cuts only a COMPLETED answer’s list', async () => {
    const h = harness();
    const { token, jobId } = await h.job({ name: 'lists [sim duration=10s batches=3]' });
    h.clock.now = T0 + 5_000;
    h.sim.setFaults({ completedBatchList: 'missing' });
    // Still running: the fault does not touch it.
    expect((await h.getJob(token, jobId)).json<TdgJobBody>().batch_list).toHaveLength(3);
    h.clock.now = T0 + 10_000;
    const missing = (await h.getJob(token, jobId)).json<Partial<TdgJobBody>>();
    expect(missing).toMatchObject({ state: 'COMPLETED', number_batches_completed: 3 });
    expect(missing).not.toHaveProperty('batch_list');
    h.sim.setFaults({ completedBatchList: 'empty' });
    expect((await h.getJob(token, jobId)).json<TdgJobBody>().batch_list).toEqual([]);
    h.sim.setFaults({ completedBatchList: 'short' });
    expect((await h.getJob(token, jobId)).json<TdgJobBody>().batch_list).toHaveLength(2);
    h.sim.setFaults({ completedBatchList: 'full' });
    expect((await h.getJob(token, jobId)).json<TdgJobBody>().batch_list).toHaveLength(3);
    expect((await h.stats()).faultsInjected.incompleteBatchList).toBe(3);
  });

  it('trailingCommaBodies renders batch_list like TDG example', async () => {
    const h = harness({ faults: { trailingCommaBodies: true } });
    const { token, jobId } = await h.job({ name: 'comma [sim duration=1s batches=3]' });
    h.clock.now = T0 + 1_000;
    const response = await h.getJob(token, jobId);
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatch(/"batch_list":\["[0-9a-f]{16}","[0-9a-f]{16}","[0-9a-f]{16}",\]\}$/);
    expect(() => JSON.parse(response.body) as unknown).toThrow();
    expect((JSON.parse(response.body.replace(',]', ']')) as TdgJobBody).state).toBe('COMPLETED');
  });

  it('validates PUT /_sim/faults and applies it at once', async () => {
    const h = harness();
    const put = (payload: unknown) => h.put('/_sim/faults', payload);
    await expectRefused(h, '/_sim/faults', [
      [{ errorRate: 1.5 }, /errorRate must be a number from 0 to 1/],
      [{ retryAfterSeconds: 1.5 }, /retryAfterSeconds must be a whole number/],
      [{ latencyMs: -1 }, /latencyMs/],
      [{ trailingCommaBodies: 'yes' }, /true or false/],
      [{ htmlRate: 2 }, /htmlRate must be a number from 0 to 1/],
      [{ redirectRate: -0.1 }, /redirectRate must be a number from 0 to 1/],
      [{ notFoundRate: '1' }, /notFoundRate must be a number from 0 to 1/],
      [{ resetRate: null }, /resetRate must be a number from 0 to 1/],
      [{ hangRate: Number.NaN }, /hangRate must be a number from 0 to 1/],
      [{ outage: 1 }, /outage must be true or false/],
      [{ getJobLatencyMs: -5 }, /getJobLatencyMs/],
      [{ terminalReadLagMs: 'long' }, /terminalReadLagMs/],
      [{ completedBatchList: 'half' }, /completedBatchList must be full, missing, empty, short/],
      [{ errorRat: 1 }, /unknown fault field\(s\) errorRat/],
      [[1], /JSON object/],
    ]);
    const ok = await put({ rateLimitRate: 1, retryAfterSeconds: 3 });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ rateLimitRate: 1, retryAfterSeconds: 3, errorRate: 0 });
    expect((await h.inject({ method: 'GET', url: '/_sim/faults' })).json()).toEqual(ok.json());
    expect((await h.inject(authRequest)).statusCode).toBe(429);
  });
});

describe('outages of a public API', () => {
  const authRequest: InjectOptions = {
    method: 'POST',
    url: '/v3/auth',
    headers: { 'x-api-key': API_KEY },
    payload: { username: USERNAME, password: PASSWORD },
  };
  const contentType = (response: LightMyRequestResponse): string =>
    String(response.headers['content-type']).split(';')[0] ?? '';

  it('htmlRate 1 serves a maintenance page with 200 and text/html, without side effect', async () => {
    const h = harness({ faults: { htmlRate: 1 } });
    for (let i = 0; i < 3; i++) {
      const response = await h.inject(authRequest);
      expect(response.statusCode).toBe(200);
      expect(contentType(response)).toBe('text/html');
      expect(response.body).toMatch(/<title>Scheduled maintenance<\/title>/);
    }
    const stats = await h.stats();
    expect(stats.tokensIssued).toBe(0);
    expect(stats.faultsInjected.html).toBe(3);
    expect(stats.responses['POST /auth']).toEqual({ '200': 3 });
  });

  it('redirectRate 1 answers a 3xx with Location at a maintenance page', async () => {
    const h = harness({ faults: { redirectRate: 1 } });
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const response = await h.inject(authRequest);
      statuses.add(response.statusCode);
      expect(response.headers.location).toBe(MAINTENANCE_URL);
    }
    expect([...statuses].every((s) => [302, 303, 307].includes(s))).toBe(true);
    expect(statuses.size).toBeGreaterThan(1);
    expect((await h.stats()).faultsInjected.redirect).toBe(20);
    expect((await h.stats()).tokensIssued).toBe(0);
  });

  it('notFoundRate 1 answers 404 for a job that exists, then the job is back', async () => {
    const h = harness();
    const { token, jobId } = await h.job({ name: 'flicker' });
    h.sim.setFaults({ notFoundRate: 1 });
    const missing = await h.getJob(token, jobId);
    expect([missing.statusCode, missing.json()]).toEqual([404, { error: `job not found: ${jobId}` }]);
    expect((await h.createJob(token, { name: 'not created' })).statusCode).toBe(404);
    h.sim.setFaults({ notFoundRate: 0 });
    const back = await h.getJob(token, jobId);
    expect(back.statusCode).toBe(200);
    expect(back.json<TdgJobBody>().state).toBe('WAITING_FOR_UPLOAD');
    const stats = await h.stats();
    expect(stats.faultsInjected.notFound).toBe(2);
    expect(stats.jobsCreated.total).toBe(1);
    expect(h.sim.job(jobId)?.getJobCalls).toBe(1);
  });

  it('resetRate 1 drops the connection without any answer', async () => {
    const h = harness({ faults: { resetRate: 1 } });
    await expect(h.inject(authRequest)).rejects.toMatchObject({ code: 'LIGHT_ECONNRESET' });
    const stats = await h.stats();
    expect(stats.faultsInjected.reset).toBe(1);
    expect(stats.tokensIssued).toBe(0);
    expect(stats.responses['POST /auth']).toEqual({});
  });

  it('hangRate 1 never answers, and close() still ends at once', async () => {
    const h = harness({ faults: { hangRate: 1 } });
    let settled = false;
    const pending = h.inject(authRequest).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    expect(h.sim.stats().faultsInjected.hang).toBe(1);
    const started = performance.now();
    await h.sim.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(pending).rejects.toMatchObject({ code: 'LIGHT_ECONNRESET' });
  });

  it('outage answers 503 on every TDG route, /_sim/ keeps working, and switching it off restores the API', async () => {
    const h = harness();
    const { token, jobId } = await h.job({ name: 'through the outage' });
    const put = (payload: unknown) =>
      h.inject({
        method: 'PUT',
        url: '/_sim/faults',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });
    expect((await put({ outage: true })).json()).toMatchObject({ outage: true });
    const answers = [
      await h.inject(authRequest),
      await h.createJob(token, { name: 'refused' }),
      await h.getJob(token, jobId),
      await h.inject({ method: 'GET', url: '/v3/unknown' }),
      await h.inject({ method: 'GET', url: '/v9/anything' }),
    ];
    for (const response of answers) {
      expect(response.statusCode).toBe(503);
      expect(contentType(response)).toBe('text/html');
    }
    expect((await h.inject({ method: 'GET', url: '/_sim/jobs' })).statusCode).toBe(200);
    const during = await h.stats();
    expect(during.faultsInjected.outage).toBe(5);
    expect(during.jobsCreated.total).toBe(1);
    expect(during.responses['GET /job']).toEqual({ '503': 1 });
    await put({ outage: false });
    expect((await h.getJob(token, jobId)).statusCode).toBe(200);
  });

  it('with every outage rate at 0 the answers are exactly those without faults', async () => {
    async function flow(faults: SimulatorOptions['faults']): Promise<string[]> {
      const h = harness({ seed: 77, ...(faults ? { faults } : {}) });
      const { token, jobId } = await h.job({ name: 'untouched [sim duration=2s batches=3]' });
      const out: string[] = [];
      for (let i = 0; i <= 4; i++) {
        h.clock.now = T0 + i * 500;
        const response = await h.getJob(token, jobId);
        out.push(`${response.statusCode} ${contentType(response)} ${response.body}`);
      }
      out.push(JSON.stringify((await h.stats()).faultsInjected));
      return out;
    }
    const zero = await flow({
      htmlRate: 0,
      redirectRate: 0,
      notFoundRate: 0,
      resetRate: 0,
      hangRate: 0,
      outage: false,
    });
    expect(zero).toEqual(await flow(undefined));
    expect(zero.slice(0, 5).every((line) => line.startsWith('200 application/json {"state"'))).toBe(true);
  });
});
