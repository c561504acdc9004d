/**
 * The TDG API simulator: in-process through app.inject with an injected clock for exact
 * progression, plus real sockets for notifications, startSimulator and the main process.
 */
import { PROJECT_ROOT } from '../src/platform/project-root.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildSimulator,
  type NotificationMode,
  type Simulator,
  type SimulatorOptions,
  type StatsView,
} from '../src/simulator/app.js';
import { simulatorConfigFromEnv } from '../src/simulator/config.js';
import { formatDuration } from '../src/contract/index.js';
import { parseDuration } from '../src/platform/duration.js';
import { progressAt, makePlan } from '../src/simulator/jobs.js';
import type { JobCounts } from '../src/contract/index.js';
import { startSimulator } from '../src/simulator/index.js';
import { notificationGetUrl } from '../src/simulator/notifier.js';
import { createServiceLogger } from '../src/platform/log.js';
import { mulberry32 } from '../src/platform/prng.js';
import { parseScenario } from '../src/simulator/scenario.js';
import { MAINTENANCE_URL } from '../src/simulator/faults.js';
import { createTdgClient } from '../src/tdg/client.js';
import {
  TdgHttpError,
  TdgMalformedResponseError,
  TdgNetworkError,
  TdgTimeoutError,
} from '../src/tdg/errors.js';
import { createStaticTokenProvider } from '../src/tdg/token-provider.js';

const API_KEY = 'test-api-key';
const USERNAME = 'tester';
const PASSWORD = 'correct horse battery staple';
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const JOB_URL = '/v3/async/append/email/job';

interface Harness {
  sim: Simulator;
  clock: { now: number };
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  login(apiKey?: string): Promise<string>;
  createJob(token: string, body: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  getJob(token: string, jobId: string): Promise<LightMyRequestResponse>;
  /** Logs in and creates a job; returns the token and job id. */
  job(body: Record<string, unknown>): Promise<{ token: string; jobId: string }>;
  stats(): Promise<StatsView>;
}

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

function harness(overrides: Partial<SimulatorOptions> = {}): Harness {
  const clock = { now: T0 };
  const sim = buildSimulator({
    apiKey: API_KEY,
    username: USERNAME,
    password: PASSWORD,
    seed: 42,
    now: () => clock.now,
    tickIntervalMs: 0,
    notificationRetryDelaysMs: [10, 10, 10],
    ...overrides,
  });
  running.push(sim);
  const inject = (options: InjectOptions): Promise<LightMyRequestResponse> => sim.app.inject(options);
  const login = async (apiKey = API_KEY): Promise<string> => {
    const response = await inject({
      method: 'POST',
      url: '/v3/auth',
      headers: { 'x-api-key': apiKey },
      payload: { username: USERNAME, password: PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    return response.json<{ token: string }>().token;
  };
  const createJob = (token: string, body: unknown, headers: Record<string, string> = {}) =>
    inject({
      method: 'POST',
      url: JOB_URL,
      headers: {
        'x-api-key': API_KEY,
        authorizationtoken: token,
        'content-type': 'application/json',
        ...headers,
      },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const getJob = (token: string, jobId: string) =>
    inject({
      method: 'GET',
      url: `${JOB_URL}/${jobId}`,
      headers: { 'x-api-key': API_KEY, authorizationtoken: token },
    });
  return {
    sim,
    clock,
    inject,
    login,
    createJob,
    getJob,
    async job(body) {
      const token = await login();
      const response = await createJob(token, body);
      expect(response.statusCode, response.body).toBe(200);
      return { token, jobId: response.json<{ job_id: string }>().job_id };
    },
    async stats() {
      return (await inject({ method: 'GET', url: '/_sim/stats' })).json<StatsView>();
    },
  };
}

interface TdgJobBody {
  state: string;
  number_batches_waiting_for_upload: number;
  number_batches_queued: number;
  number_batches_in_progress: number;
  number_batches_completed: number;
  number_batches_failed: number;
  number_batches_malformed: number;
  created_date: string;
  output_format: string;
  batch_list: string[];
}

function sumOf(body: TdgJobBody): number {
  return (
    body.number_batches_waiting_for_upload +
    body.number_batches_queued +
    body.number_batches_in_progress +
    body.number_batches_completed +
    body.number_batches_failed +
    body.number_batches_malformed
  );
}

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real notification endpoint; answers the queued statuses first, then 204. */
async function receiver(
  statuses: number[] = [],
): Promise<{ base: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.statusCode = statuses.shift() ?? 204;
      response.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const handle = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  running.push(handle);
  return handle;
}

/** One line of the services' log format (src/platform/log.ts). */
function expectLogLine(line: Record<string, unknown>, service: string): void {
  expect(line.service).toBe(service);
  expect(line.level).toMatch(/^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)$/);
  expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(typeof line.message).toBe('string');
}

describe('parseDuration', () => {
  it('reads units, decimals, compounds and bare milliseconds', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('90S')).toBe(90_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('3d')).toBe(259_200_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration(' 1500 ')).toBe(1_500);
    expect(formatDuration(5_400_250)).toBe('1h30m');
  });

  it('throws a clear error on bad text', () => {
    for (const bad of ['', 'abc', '10x', '-5s', 's', '1h 30m', '10s5']) {
      expect(() => parseDuration(bad), bad).toThrow(/invalid duration/);
    }
  });
});

describe('scenario tags', () => {
  const defaults = { durationMs: 10_000, batches: 5, outcome: 'COMPLETED', notify: 'changes' } as const;

  it('reads every key, case-insensitively, anywhere in the name', () => {
    expect(
      parseScenario(
        'nightly [SIM Duration=90S BATCHES=7 outcome=failed Checks=40 Notify=TERMINAL] run',
        defaults,
      ),
    ).toEqual({
      durationMs: 90_000,
      batches: 7,
      outcome: 'FAILED',
      checks: 40,
      notify: 'terminal',
    });
    expect(parseScenario('[sim notify=changes]', { ...defaults, notify: 'terminal' })).toMatchObject({
      notify: 'changes',
    });
    expect(parseScenario('[sim createLatency=9s getlatency=250ms]', defaults)).toEqual({
      ...defaults,
      checks: null,
      createLatencyMs: 9_000,
      getLatencyMs: 250,
    });
    expect(parseScenario('[sim batches=0]', defaults)).toEqual({ ...defaults, batches: 0, checks: null });
    expect(parseScenario('[sim]', defaults)).toEqual({ ...defaults, checks: null });
    expect(parseScenario('no tag [simulation] here', defaults)).toEqual({ ...defaults, checks: null });
  });

  it('rejects bad tags with a specific message', () => {
    const cases: Array<[string, RegExp]> = [
      ['[sim duration=soon]', /duration/],
      ['[sim duration=400d]', /366d/],
      ['[sim batches=-1]', /batches "-1"/],
      ['[sim batches=10001]', /batches/],
      ['[sim outcome=MAYBE]', /outcome "MAYBE" must be COMPLETED or FAILED/],
      ['[sim checks=0]', /checks "0"/],
      ['[sim notify=sometimes]', /notify "sometimes" must be changes or terminal/],
      ['[sim notify=]', /notify "" must be changes or terminal/],
      ['[sim colour=red]', /unknown key "colour"/],
      ['[sim createLatency=soon]', /createLatency/],
      ['[sim getLatency=11m]', /getLatency "11m" is longer than 10m/],
      ['[sim batches]', /expected key=value/],
      ['[sim batches=1 batches=2]', /given twice/],
      ['[sim batches=1', /closing/],
      ['[sim] [sim]', /only one tag/],
    ];
    for (const [name, message] of cases) expect(() => parseScenario(name, defaults), name).toThrow(message);
  });
});

describe('progression model', () => {
  it('keeps counters summing to the batch count and work in flight until the end', () => {
    for (const batches of [1, 5, 7, 40]) {
      for (const outcome of ['COMPLETED', 'FAILED'] as const) {
        const plan = makePlan(
          { durationMs: 1, batches, outcome, checks: null, notify: 'changes' },
          mulberry32(batches),
        );
        let previousListed = 0;
        for (let step = 0; step <= 1000; step++) {
          const progress = progressAt(plan, step / 1000);
          const counts: JobCounts = progress.counts;
          const sum =
            counts.waitingForUpload +
            counts.queued +
            counts.inProgress +
            counts.completed +
            counts.failed +
            counts.malformed;
          expect(sum).toBe(batches);
          expect(progress.batchList.length).toBeGreaterThanOrEqual(previousListed);
          previousListed = progress.batchList.length;
          if (progress.state === 'IN_PROGRESS') expect(counts.inProgress).toBeGreaterThan(0);
        }
        const end = progressAt(plan, 1);
        expect(end.state).toBe(outcome);
        expect(end.batchList).toHaveLength(batches);
        if (outcome === 'FAILED') expect(end.counts.failed).toBeGreaterThan(0);
        else expect(end.counts.completed).toBe(batches);
      }
    }
  });
});

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
    const put = (payload: unknown) =>
      h.inject({
        method: 'PUT',
        url: '/_sim/settings',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });
    for (const [bad, message] of [
      [{ notificationMode: 'sometimes' }, /notificationMode must be changes or terminal/],
      [{ notificationMode: 1 }, /notificationMode must be changes or terminal/],
      [{ notifyMode: 'terminal' }, /unknown setting\(s\) notifyMode/],
      [[1], /JSON object/],
    ] as const) {
      const response = await put(bad);
      expect(response.statusCode, JSON.stringify(bad)).toBe(400);
      expect(response.json<{ error: string }>().error).toMatch(message);
    }
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
    const put = (payload: unknown) =>
      h.inject({
        method: 'PUT',
        url: '/_sim/faults',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });
    for (const [bad, message] of [
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
    ] as const) {
      const response = await put(bad);
      expect(response.statusCode, JSON.stringify(bad)).toBe(400);
      expect(response.json<{ error: string }>().error).toMatch(message);
    }
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

describe('outages seen by the TDG client over real sockets', () => {
  const STATIC = 'static-outage-token';

  async function setUp(): Promise<{
    sim: Awaited<ReturnType<typeof startSimulator>>;
    client: ReturnType<typeof createTdgClient>;
    jobId: string;
  }> {
    const sim = await startSimulator(
      {
        apiKey: API_KEY,
        username: USERNAME,
        password: PASSWORD,
        staticTokens: [STATIC],
        seed: 11,
        tickIntervalMs: 0,
      },
      { port: 0, host: '127.0.0.1' },
    );
    running.push(sim);
    const client = createTdgClient({
      baseUrl: sim.url,
      apiVersion: 'v3',
      apiKey: API_KEY,
      tokens: createStaticTokenProvider(STATIC),
      requestTimeoutMs: 300,
    });
    const jobId = await client.createJob({ name: 'outage victim [sim duration=1h]' });
    return { sim, client, jobId };
  }

  const cases = [
    { fault: 'htmlRate', counter: 'html', error: TdgMalformedResponseError },
    { fault: 'redirectRate', counter: 'redirect', error: TdgHttpError },
    { fault: 'notFoundRate', counter: 'notFound', error: TdgHttpError },
    { fault: 'resetRate', counter: 'reset', error: TdgNetworkError },
    { fault: 'hangRate', counter: 'hang', error: TdgTimeoutError },
  ] as const;

  it.each(cases)('$fault 1: getJob and createJob fail with $error.name; rate 0 answers again', async (c) => {
    const { sim, client, jobId } = await setUp();
    sim.simulator.setFaults({ [c.fault]: 1 });
    const getError = await client.getJob(jobId).then(
      () => null,
      (error: unknown) => error,
    );
    expect(getError).toBeInstanceOf(c.error);
    if (c.fault === 'redirectRate') expect((getError as TdgHttpError).status).toBeGreaterThanOrEqual(300);
    if (c.fault === 'redirectRate') expect((getError as TdgHttpError).status).toBeLessThan(400);
    if (c.fault === 'notFoundRate') expect((getError as TdgHttpError).status).toBe(404);
    await expect(client.createJob({ name: 'during the fault' })).rejects.toBeInstanceOf(c.error);
    const stats = sim.simulator.stats();
    expect(stats.faultsInjected[c.counter]).toBe(2);
    expect(stats.jobsCreated.total).toBe(1);
    sim.simulator.setFaults({ [c.fault]: 0 });
    expect((await client.getJob(jobId)).jobId).toBe(jobId);
  });

  it('outage: the client sees a retryable 503; close() ends at once even with a hung request', async () => {
    const { sim, client, jobId } = await setUp();
    sim.simulator.setFaults({ outage: true });
    const error = await client.getJob(jobId).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TdgHttpError);
    expect([(error as TdgHttpError).status, (error as TdgHttpError).retryable]).toEqual([503, true]);
    expect(sim.simulator.stats().faultsInjected.outage).toBe(1);
    sim.simulator.setFaults({ outage: false, hangRate: 1 });
    // A client without any timeout: only the simulator can end this request.
    const hung = fetch(`${sim.url}/v3/auth`, { method: 'POST' }).then(
      () => 'answered',
      () => 'dropped',
    );
    for (let i = 0; i < 50 && sim.simulator.stats().faultsInjected.hang === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const started = performance.now();
    await sim.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await hung).toBe('dropped');
  });
});

describe('determinism', () => {
  async function run(seed: number): Promise<{ ids: string[]; statuses: number[]; tokens: string[] }> {
    const h = harness({ seed });
    const ids: string[] = [];
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { token, jobId } = await h.job({ name: `job ${i}` });
      ids.push(jobId);
      tokens.push(token);
    }
    h.sim.setFaults({ errorRate: 0.3, rateLimitRate: 0.2, malformedRate: 0.2 });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await h.getJob(tokens[0] ?? '', ids[0] ?? '');
      statuses.push(
        response.statusCode * 10 +
          (response.body.startsWith('{"state"') && response.body.endsWith('}') ? 1 : 0),
      );
    }
    return { ids, statuses, tokens };
  }

  it('gives the same job ids, tokens and fault sequence for the same seed', async () => {
    const first = await run(1234);
    const second = await run(1234);
    expect(second).toEqual(first);
    expect(new Set(first.statuses).size).toBeGreaterThan(2);
    const other = await run(4321);
    expect(other.ids).not.toEqual(first.ids);
    expect(other.statuses).not.toEqual(first.statuses);
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

describe('over real sockets', () => {
  it('startSimulator serves the whole flow on an ephemeral port', async () => {
    const target = await receiver();
    const sim = await startSimulator(
      { apiKey: API_KEY, username: USERNAME, password: PASSWORD, seed: 5, tickIntervalMs: 10 },
      { port: 0, host: '127.0.0.1' },
    );
    running.push(sim);
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const auth = await fetch(`${sim.url}/v3/auth`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ username: USERNAME, password: PASSWORD }),
    });
    const { token } = (await auth.json()) as { token: string };
    const headers = { 'x-api-key': API_KEY, AuthorizationToken: token, 'content-type': 'application/json' };
    const created = await fetch(`${sim.url}/v3/async/append/email/job`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'socket [sim duration=100ms batches=2]',
        notification_URL: `${target.base}/hook?sig=abc`,
        notification_method: 'GET',
      }),
    });
    const { job_id: jobId } = (await created.json()) as { job_id: string };
    let body: TdgJobBody | undefined;
    for (let i = 0; i < 100 && body?.state !== 'COMPLETED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const response = await fetch(`${sim.url}/v3/async/append/email/job/${jobId}`, {
        headers: { 'x-api-key': API_KEY, AuthorizationToken: token },
      });
      body = (await response.json()) as TdgJobBody;
    }
    expect(body?.batch_list).toHaveLength(2);
    await sim.simulator.notificationsIdle();
    expect(target.received.at(-1)?.url).toBe(`/hook?sig=abc&job_id=${jobId}&state=COMPLETED`);
    const view = (await (await fetch(`${sim.url}/_sim/jobs/${jobId}`)).json()) as {
      terminalAt: string;
      state: string;
    };
    expect(view.state).toBe('COMPLETED');
    expect(Date.parse(view.terminalAt)).toBeGreaterThan(0);
    const broken = await fetch(`${sim.url}/v3/auth`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: '{"username": ',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toMatch(/not valid JSON/);
  });
});

describe('configuration from the environment', () => {
  const base = { SIM_API_KEY: 'k', SIM_USERNAME: 'u', SIM_PASSWORD: 'p' };

  it('reads SIM_ variables with TDG_ fallbacks and defaults', () => {
    const config = simulatorConfigFromEnv({
      TDG_API_KEY: 'tk',
      TDG_USERNAME: 'tu',
      TDG_PASSWORD: 'tp',
      TDG_AUTH_TOKEN: 'static',
    });
    expect(config).toMatchObject({
      port: 8787,
      host: '127.0.0.1',
      options: { apiKey: 'tk', username: 'tu', password: 'tp', staticTokens: ['static'], versions: ['v3'] },
    });
    // Unset: the simulator's own defaults (changes; job_id and state).
    expect(config.options.notificationMode).toBeUndefined();
    expect(config.options.notificationFields).toEqual({});
    const full = simulatorConfigFromEnv({
      ...base,
      TDG_API_KEY: 'ignored',
      SIM_SEED: '9',
      SIM_DEFAULT_DURATION: '90s',
      SIM_DEFAULT_BATCHES: '7',
      SIM_DEFAULT_OUTCOME: 'failed',
      SIM_TOKEN_TTL: '2h',
      SIM_ERROR_RATE: '0.25',
      SIM_RETRY_AFTER_SECONDS: '3',
      SIM_LATENCY_MS: '15',
      SIM_TRAILING_COMMA: 'true',
      SIM_HTML_RATE: '0.1',
      SIM_REDIRECT_RATE: '0.2',
      SIM_NOT_FOUND_RATE: '0.3',
      SIM_RESET_RATE: '0.4',
      SIM_HANG_RATE: '0.05',
      SIM_OUTAGE: 'on',
      SIM_NOTIFICATION_MODE: 'Terminal',
      SIM_NOTIFICATION_JOB_ID_FIELD: 'jobId',
      SIM_NOTIFICATION_STATE_FIELD: 'status',
      SIMULATOR_PORT: '0',
      SIMULATOR_HOST: '0.0.0.0',
    });
    expect(full).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      options: {
        apiKey: 'k',
        seed: 9,
        tokenTtlMs: 7_200_000,
        defaults: { durationMs: 90_000, batches: 7, outcome: 'FAILED' },
        notificationMode: 'terminal',
        notificationFields: { jobId: 'jobId', state: 'status' },
        faults: {
          errorRate: 0.25,
          retryAfterSeconds: 3,
          latencyMs: 15,
          trailingCommaBodies: true,
          htmlRate: 0.1,
          redirectRate: 0.2,
          notFoundRate: 0.3,
          resetRate: 0.4,
          hangRate: 0.05,
          outage: true,
        },
      },
    });
  });

  it('rejects bad values with one clear line', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /SIM_API_KEY \(or TDG_API_KEY\) is required/],
      [{ SIM_API_KEY: 'k' }, /no way to authenticate/],
      [{ SIM_API_KEY: 'k', SIM_USERNAME: 'u' }, /both SIM_USERNAME and SIM_PASSWORD/],
      [{ ...base, SIM_DEFAULT_DURATION: 'soon' }, /SIM_DEFAULT_DURATION: invalid duration "soon"/],
      [{ ...base, SIM_ERROR_RATE: '2' }, /SIM_ERROR_RATE must be a number from 0 to 1/],
      [{ ...base, SIM_DEFAULT_OUTCOME: 'maybe' }, /SIM_DEFAULT_OUTCOME/],
      [{ ...base, SIM_TRAILING_COMMA: 'perhaps' }, /SIM_TRAILING_COMMA must be true or false/],
      [{ ...base, SIM_HTML_RATE: '1.5' }, /SIM_HTML_RATE must be a number from 0 to 1/],
      [{ ...base, SIM_HANG_RATE: 'often' }, /SIM_HANG_RATE must be a number from 0 to 1/],
      [{ ...base, SIM_OUTAGE: 'down' }, /SIM_OUTAGE must be true or false/],
      [{ ...base, SIMULATOR_PORT: '70000' }, /SIMULATOR_PORT must be a whole number from 0 to 65535/],
      [{ ...base, SIM_SEED: 'abc' }, /SIM_SEED/],
      [{ ...base, SIM_NOTIFICATION_MODE: 'sometimes' }, /SIM_NOTIFICATION_MODE must be changes or terminal/],
      [{ ...base, SIM_NOTIFICATION_STATE_FIELD: 'job_id' }, /must differ/],
    ];
    for (const [env, message] of cases)
      expect(() => simulatorConfigFromEnv(env), JSON.stringify(env)).toThrow(message);
  });
});

describe('the simulator process', () => {
  const cleanEnv = (): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (
        value !== undefined &&
        !name.startsWith('SIM_') &&
        !name.startsWith('TDG_') &&
        !name.startsWith('SIMULATOR_')
      )
        env[name] = value;
    }
    return env;
  };
  const spawnMain = (env: Record<string, string>) =>
    spawn(process.execPath, ['--import', 'tsx', 'src/bin/simulator.ts'], {
      cwd: PROJECT_ROOT,
      env,
      stdio: 'pipe',
    });

  it('exits 2 with a one-line message on bad configuration', async () => {
    const child = spawnMain({
      ...cleanEnv(),
      SIM_API_KEY: 'k',
      SIM_STATIC_TOKEN: 't',
      SIM_ERROR_RATE: 'lots',
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('simulator: SIM_ERROR_RATE must be a number from 0 to 1 (got "lots")');
  });

  it('listens, logs JSON lines without credentials, and shuts down on SIGTERM', async () => {
    const apiKey = 'process-api-key-never-logged';
    const token = 'process-static-token-never-logged';
    const child = spawnMain({
      ...cleanEnv(),
      SIM_API_KEY: apiKey,
      SIM_STATIC_TOKEN: token,
      SIMULATOR_PORT: '0',
      SIM_SEED: '3',
    });
    let stdout = '';
    const logLines = (): Record<string, unknown>[] =>
      stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (!stdout.endsWith('\n')) return;
        const started = logLines().find((line) => line.message === `listening on ${String(line.url)}`);
        if (typeof started?.url === 'string') resolve(started.url);
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${stdout}`)));
    });
    const created = await fetch(`${url}/v3/async/append/email/job`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, AuthorizationToken: token, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from the process' }),
    });
    expect(created.status).toBe(200);
    expect(((await (await fetch(`${url}/_sim/stats`)).json()) as StatsView).jobsCreated.total).toBe(1);
    expect(logLines()).toContainEqual(expect.objectContaining({ service: 'simulator', seed: 3 }));
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    const lines = logLines();
    for (const line of lines) expectLogLine(line, 'simulator');
    expect(lines).toContainEqual(expect.objectContaining({ message: 'shutting down', signal: 'SIGTERM' }));
    // Credentials arrive in headers, which are never logged.
    expect(lines.filter((line) => line.message === 'incoming request').length).toBeGreaterThanOrEqual(2);
    expect(stdout).not.toContain(apiKey);
    expect(stdout).not.toContain(token);
  });
});
