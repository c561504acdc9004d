/**
 * The simulator's TDG API, in-process through app.inject with an injected clock: auth, creating
 * and reading jobs, and the /_sim/ control routes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  API_KEY,
  JOB_URL,
  PASSWORD,
  T0,
  type TdgJobBody,
  USERNAME,
  closeRunning,
  harness,
  sumOf,
} from './helpers/simulator.js';

afterEach(closeRunning);

describe('POST /v3/auth', () => {
  it('issues a token with its lifetime', async () => {
    const h = harness();
    const response = await h.inject({
      method: 'POST',
      url: '/v3/auth',
      headers: { 'x-api-key': API_KEY },
      payload: { username: USERNAME, password: PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<Record<string, unknown>>();
    expect(body['token']).toMatch(/^[0-9a-f]{40}$/);
    expect(body['expires_in']).toBe(8 * 3600);
  });

  it('names the token field as configured', async () => {
    const h = harness({ tokenField: 'authorization_token', tokenTtlMs: 60_000 });
    const response = await h.inject({
      method: 'POST',
      url: '/v3/auth',
      headers: { 'x-api-key': API_KEY },
      payload: { username: USERNAME, password: PASSWORD },
    });
    expect(Object.keys(response.json<object>())).toEqual(['authorization_token', 'expires_in']);
    expect(response.json<{ expires_in: number }>().expires_in).toBe(60);
  });

  it('rejects a wrong or missing key, wrong credentials and a bad body', async () => {
    const h = harness();
    const auth = (headers: Record<string, string>, payload: unknown) =>
      h.inject({
        method: 'POST',
        url: '/v3/auth',
        headers: { 'content-type': 'application/json', ...headers },
        payload: JSON.stringify(payload),
      });
    const good = { username: USERNAME, password: PASSWORD };
    const wrongKey = await auth({ 'x-api-key': 'nope' }, good);
    expect([wrongKey.statusCode, wrongKey.json()]).toEqual([401, { error: 'invalid API key' }]);
    expect((await auth({}, good)).statusCode).toBe(401);
    const wrongPassword = await auth({ 'x-api-key': API_KEY }, { username: USERNAME, password: 'guess' });
    expect([wrongPassword.statusCode, wrongPassword.json()]).toEqual([
      401,
      { error: 'invalid username or password' },
    ]);
    for (const bad of [[], 'text', { username: USERNAME }, { username: 1, password: 2 }]) {
      const response = await auth({ 'x-api-key': API_KEY }, bad);
      expect(response.statusCode, JSON.stringify(bad)).toBe(400);
      expect(response.json<{ error: string }>().error).toMatch(/username.*password/);
    }
  });

  it('expires tokens after the TTL on the injected clock', async () => {
    const h = harness({ tokenTtlMs: 60_000 });
    const token = await h.login();
    const created = await h.createJob(token, { name: 'before expiry' });
    expect(created.statusCode).toBe(200);
    h.clock.now += 59_999;
    expect((await h.getJob(token, created.json<{ job_id: string }>().job_id)).statusCode).toBe(200);
    h.clock.now += 1;
    const expired = await h.createJob(token, { name: 'after expiry' });
    expect([expired.statusCode, expired.json()]).toEqual([401, { error: 'authorization token expired' }]);
  });

  it('accepts static tokens and serves only the configured versions', async () => {
    const h = harness({ staticTokens: ['static-token'], versions: ['v3', 'v4'] });
    expect((await h.createJob('static-token', { name: 'static' })).statusCode).toBe(200);
    const v4 = await h.inject({
      method: 'POST',
      url: '/v4/auth',
      headers: { 'x-api-key': API_KEY },
      payload: { username: USERNAME, password: PASSWORD },
    });
    expect(v4.statusCode).toBe(200);
    const v2 = await h.inject({
      method: 'POST',
      url: '/v2/auth',
      headers: { 'x-api-key': API_KEY },
      payload: {},
    });
    expect(v2.statusCode).toBe(404);
    expect(v2.json()).toEqual({ error: 'no route POST /v2/auth' });
  });
});

describe('POST /v3/async/append/email/job', () => {
  it('returns a 15-hex job id and ignores unknown fields', async () => {
    const h = harness();
    const token = await h.login();
    const response = await h.createJob(token, {
      name: 'Tutorial Job',
      output_format: 'JSON',
      notification_URL: 'https://www.example.com/api/job-listener',
      notification_method: 'POST',
      colour: 'blue',
    });
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json<object>())).toEqual(['job_id']);
    expect(response.json<{ job_id: string }>().job_id).toMatch(/^[0-9a-f]{15}$/);
  });

  it('answers each invalid body with a specific 400', async () => {
    const h = harness();
    const token = await h.login();
    const cases: Array<[unknown, RegExp]> = [
      [[], /must be a JSON object/],
      ['"just a string"', /must be a JSON object/],
      ['null', /must be a JSON object/],
      [{}, /"name" is required/],
      [{ name: 5 }, /"name" must be a string/],
      [{ name: '   ' }, /"name" must not be empty/],
      [{ name: 'x'.repeat(256) }, /at most 255 characters \(got 256\)/],
      [{ name: 'n', output_format: 'CSV' }, /"output_format" must be "JSON"/],
      [{ name: 'n', notification_URL: 'https://example.com/x' }, /"notification_method" is required/],
      [
        { name: 'n', notification_URL: 'https://example.com/x', notification_method: 'PUT' },
        /"GET" or "POST"/,
      ],
      [{ name: 'n', notification_URL: 'not a url', notification_method: 'GET' }, /not a valid absolute URL/],
      [{ name: 'n', notification_URL: 'http://example.com/x', notification_method: 'GET' }, /must use https/],
      [{ name: 'n', notification_URL: 'ftp://127.0.0.1/x', notification_method: 'GET' }, /must use https/],
      [{ name: 'n', notification_URL: 42, notification_method: 'GET' }, /must be a string/],
      [{ name: 'bad [sim batches=many]' }, /invalid \[sim \.\.\.\] tag.*batches "many"/],
      ['{"name": "broken', /not valid JSON/],
    ];
    for (const [body, message] of cases) {
      const response = await h.createJob(token, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json<{ error: string }>().error, JSON.stringify(body)).toMatch(message);
    }
    expect((await h.stats()).jobsCreated.total).toBe(0);
  });

  it('allows plain http only for loopback notification URLs', async () => {
    const h = harness();
    const token = await h.login();
    for (const url of ['http://127.0.0.1:9/n?sig=1', 'http://localhost/n', 'http://[::1]:8788/n']) {
      const response = await h.createJob(token, {
        name: 'n',
        notification_URL: url,
        notification_method: 'GET',
      });
      expect(response.statusCode, url).toBe(200);
    }
  });

  it('answers 415 for anything but JSON, 413 for huge bodies', async () => {
    const h = harness();
    const token = await h.login();
    const plain = await h.createJob(token, '{"name":"x"}', { 'content-type': 'text/plain' });
    expect([plain.statusCode, plain.json()]).toEqual([
      415,
      { error: 'Content-Type must be application/json' },
    ]);
    const none = await h.inject({
      method: 'POST',
      url: JOB_URL,
      headers: { 'x-api-key': API_KEY, authorizationtoken: token },
    });
    expect(none.statusCode).toBe(415);
    const charset = await h.createJob(
      token,
      { name: 'x' },
      { 'content-type': 'application/json; charset=utf-8' },
    );
    expect(charset.statusCode).toBe(200);
    const huge = await h.createJob(token, { name: 'x', padding: 'x'.repeat(1_100_000) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toHaveProperty('error');
  });

  it('answers 401 without a valid key or token and 403 for restricted accounts', async () => {
    const h = harness({ restrictedApiKeys: ['trial-key'] });
    const token = await h.login();
    const cases: Array<[Record<string, string | undefined>, number, string]> = [
      [{ 'x-api-key': undefined }, 401, 'missing x-api-key header'],
      [{ 'x-api-key': 'wrong' }, 401, 'invalid API key'],
      [{ authorizationtoken: undefined }, 401, 'missing AuthorizationToken header'],
      [{ authorizationtoken: 'forged' }, 401, 'unknown authorization token'],
    ];
    for (const [override, status, message] of cases) {
      const headers: Record<string, string> = {
        'x-api-key': API_KEY,
        authorizationtoken: token,
        'content-type': 'application/json',
      };
      for (const [name, value] of Object.entries(override)) {
        if (value === undefined) delete headers[name];
        else headers[name] = value;
      }
      const response = await h.inject({ method: 'POST', url: JOB_URL, headers, payload: '{"name":"x"}' });
      expect([response.statusCode, response.json()]).toEqual([status, { error: message }]);
    }
    const trialToken = await h.login('trial-key');
    const trial = await h.createJob(trialToken, { name: 'x' }, { 'x-api-key': 'trial-key' });
    expect(trial.statusCode).toBe(403);
    expect(trial.json<{ error: string }>().error).toMatch(/restricted \(trial\) account/);
    const trialGet = await h.inject({
      method: 'GET',
      url: `${JOB_URL}/0123456789abcde`,
      headers: { 'x-api-key': 'trial-key', authorizationtoken: trialToken },
    });
    expect(trialGet.statusCode).toBe(403);
  });
});

describe('GET /v3/async/append/email/job/:jobId', () => {
  it('progresses with the clock through every state, counters summing to batches', async () => {
    const h = harness();
    const { token, jobId } = await h.job({ name: 'clock job [sim duration=10s batches=5]' });
    const at = async (fraction: number): Promise<TdgJobBody> => {
      h.clock.now = T0 + fraction * 10_000;
      const response = await h.getJob(token, jobId);
      expect(response.statusCode).toBe(200);
      return response.json<TdgJobBody>();
    };

    const start = await at(0);
    expect(Object.keys(start)).toEqual([
      'state',
      'number_batches_waiting_for_upload',
      'number_batches_queued',
      'number_batches_in_progress',
      'number_batches_completed',
      'number_batches_failed',
      'number_batches_malformed',
      'created_date',
      'output_format',
      'batch_list',
    ]);
    expect(start).toMatchObject({
      state: 'WAITING_FOR_UPLOAD',
      number_batches_waiting_for_upload: 5,
      batch_list: [],
    });
    expect(start.created_date).toBe(String(T0));
    expect(start.output_format).toBe('JSON');

    const uploading = await at(0.05);
    expect(uploading.state).toBe('WAITING_FOR_UPLOAD');
    expect(uploading.number_batches_waiting_for_upload).toBe(5);
    expect(uploading.batch_list).toHaveLength(2);

    const queued = await at(0.15);
    expect(queued).toMatchObject({ state: 'QUEUED', number_batches_queued: 5 });
    expect(queued.batch_list).toHaveLength(5);

    const half = await at(0.5);
    expect(half).toMatchObject({
      state: 'IN_PROGRESS',
      number_batches_queued: 1,
      number_batches_in_progress: 4,
      number_batches_completed: 0,
    });

    const almost = await at(0.999);
    expect(almost.state).toBe('IN_PROGRESS');
    expect(almost.number_batches_in_progress).toBeGreaterThan(0);

    const done = await at(1);
    expect(done).toMatchObject({ state: 'COMPLETED', number_batches_completed: 5, number_batches_failed: 0 });
    expect(done.batch_list).toHaveLength(5);
    expect(new Set(done.batch_list).size).toBe(5);
    for (const id of done.batch_list) expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(done.batch_list.slice(0, 2)).toEqual(uploading.batch_list);

    for (let percent = 0; percent <= 110; percent += 5) expect(sumOf(await at(percent / 100))).toBe(5);

    const view = h.sim.job(jobId);
    expect(view?.terminalAt).toBe(new Date(T0 + 10_000).toISOString());
    expect(view?.getJobCalls).toBe(6 + 23);
  });

  it('ends FAILED with at least one failed batch, the rest completed', async () => {
    const h = harness();
    const { token, jobId } = await h.job({ name: 'doomed [sim duration=1m batches=10 outcome=FAILED]' });
    h.clock.now = T0 + 60_000;
    const body = (await h.getJob(token, jobId)).json<TdgJobBody>();
    expect(body.state).toBe('FAILED');
    expect(body.number_batches_failed).toBeGreaterThanOrEqual(1);
    expect(body.number_batches_failed + body.number_batches_completed).toBe(10);
    expect(body.batch_list).toHaveLength(10);
  });

  it('completes an empty job', async () => {
    const h = harness();
    const { token, jobId } = await h.job({ name: 'empty [sim batches=0 duration=1s]' });
    expect((await h.getJob(token, jobId)).json<TdgJobBody>().state).toBe('WAITING_FOR_UPLOAD');
    h.clock.now = T0 + 1_000;
    const body = (await h.getJob(token, jobId)).json<TdgJobBody>();
    expect(body).toMatchObject({ state: 'COMPLETED', number_batches_completed: 0, batch_list: [] });
    expect(sumOf(body)).toBe(0);
  });

  it('uses the defaults without a tag', async () => {
    const h = harness({ defaults: { durationMs: 2_000, batches: 3, outcome: 'FAILED' } });
    const { token, jobId } = await h.job({ name: 'plain' });
    h.clock.now = T0 + 2_000;
    const body = (await h.getJob(token, jobId)).json<TdgJobBody>();
    expect(body.state).toBe('FAILED');
    expect(body.batch_list).toHaveLength(3);
  });

  it('with checks=N ends on the N-th call, whatever the clock says', async () => {
    const h = harness();
    const { token, jobId } = await h.job({ name: 'counted [sim checks=4 duration=1s batches=4]' });
    h.clock.now = T0 + 3_600_000; // far past duration=1s, within the token lifetime
    const states: string[] = [];
    for (let call = 1; call <= 5; call++) {
      if (call === 4) h.clock.now += 1_234;
      states.push((await h.getJob(token, jobId)).json<TdgJobBody>().state);
    }
    expect(states).toEqual(['IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS', 'COMPLETED', 'COMPLETED']);
    const view = h.sim.job(jobId);
    expect(view?.getJobCalls).toBe(5);
    expect(view?.terminalAt).toBe(new Date(T0 + 3_600_000 + 1_234).toISOString());

    const ten = await h.job({ name: 'ten [sim checks=10]' });
    expect((await h.getJob(ten.token, ten.jobId)).json<TdgJobBody>().state).toBe('QUEUED');
  });

  it('answers 404 for an unknown job and for unknown routes', async () => {
    const h = harness();
    const token = await h.login();
    const missing = await h.getJob(token, 'ffffffffffffff0');
    expect([missing.statusCode, missing.json()]).toEqual([404, { error: 'job not found: ffffffffffffff0' }]);
    const unknown = await h.inject({ method: 'DELETE', url: '/anything?x=1' });
    expect([unknown.statusCode, unknown.json()]).toEqual([404, { error: 'no route DELETE /anything' }]);
    const badUrl = await h.inject({ method: 'GET', url: `${JOB_URL}/%zz` });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json()).toHaveProperty('error');
  });
});

describe('/_sim/ control', () => {
  it('counts requests by route and status, jobs by name, and resets', async () => {
    const h = harness({ faults: { errorRate: 0 } });
    const { token, jobId } = await h.job({ name: 'counted' });
    await h.createJob(token, { name: 'counted' });
    await h.createJob(token, { name: 'other name' });
    await h.createJob(token, { name: '' });
    await h.getJob(token, jobId);
    await h.getJob(token, 'nope');
    await h.inject({ method: 'GET', url: '/v3/unknown' });
    await h.inject({ method: 'GET', url: '/_sim/jobs' });

    const stats = await h.stats();
    expect(stats.requests).toEqual({ 'POST /auth': 1, 'POST /job': 4, 'GET /job': 2, other: 1 });
    expect(stats.responses).toEqual({
      'POST /auth': { '200': 1 },
      'POST /job': { '200': 3, '400': 1 },
      'GET /job': { '200': 1, '404': 1 },
    });
    expect(stats.jobsCreated).toEqual({ total: 3, byName: { counted: 2, 'other name': 1 } });
    expect(stats.faultsInjected).toEqual({
      error: 0,
      rateLimit: 0,
      malformed: 0,
      html: 0,
      redirect: 0,
      notFound: 0,
      reset: 0,
      hang: 0,
      outage: 0,
      laggingRead: 0,
      incompleteBatchList: 0,
    });

    const list = (await h.inject({ method: 'GET', url: '/_sim/jobs' })).json<{
      jobs: Array<{ jobId: string }>;
    }>();
    expect(list.jobs).toHaveLength(3);
    const one = (await h.inject({ method: 'GET', url: `/_sim/jobs/${jobId}` })).json<
      Record<string, unknown>
    >();
    expect(one).toMatchObject({
      jobId,
      name: 'counted',
      scenario: { durationMs: 10_000, batches: 5, outcome: 'COMPLETED', checks: null },
      createdAt: new Date(T0).toISOString(),
      terminalAt: null,
      state: 'WAITING_FOR_UPLOAD',
      getJobCalls: 1,
      notification: null,
      notifications: [],
    });
    expect((await h.inject({ method: 'GET', url: '/_sim/jobs/nope' })).statusCode).toBe(404);

    h.sim.setFaults({ latencyMs: 1 });
    const reset = await h.inject({ method: 'POST', url: '/_sim/reset' });
    expect([reset.statusCode, reset.json()]).toEqual([200, { ok: true }]);
    const after = await h.stats();
    expect(after.requests).toEqual({ 'POST /auth': 0, 'POST /job': 0, 'GET /job': 0, other: 0 });
    expect(after.jobsCreated).toEqual({ total: 0, byName: {} });
    expect(h.sim.jobs()).toEqual([]);
    expect(h.sim.faults().latencyMs).toBe(0);
    // Tokens survive a reset, and new job ids do not repeat old ones.
    const again = await h.createJob(token, { name: 'after reset' });
    expect(again.statusCode).toBe(200);
    expect(again.json<{ job_id: string }>().job_id).not.toBe(jobId);
  });

  it('keeps a job name like __proto__ as a plain counter', async () => {
    const h = harness();
    await h.job({ name: '__proto__' });
    expect((await h.stats()).jobsCreated.byName).toEqual({ ['__proto__']: 1 });
  });
});
