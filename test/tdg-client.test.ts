/**
 * The TDG client over real HTTP, against tiny node:http servers scripted per test so each status and
 * body TDG might send is exercised exactly, and what the client sends is asserted byte for byte.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  TdgAuthError,
  TdgError,
  TdgHttpError,
  TdgMalformedResponseError,
  TdgNetworkError,
  TdgTimeoutError,
} from '../src/tdg/errors.js';
import { createTdgClient, type TdgClient, type TdgClientOptions } from '../src/tdg/client.js';
import {
  createPasswordTokenProvider,
  createStaticTokenProvider,
  type PasswordTokenProviderOptions,
} from '../src/tdg/token-provider.js';
import { startSimulator } from '../tooling/simulator/index.js';
import { TdgThrottledError } from '../src/tdg/errors.js';

const API_KEY = 'key-7f3a9c1e-secret';
const USERNAME = 'alice@example.com';
const PASSWORD = 'hunter2-very-secret';
const SECRETS = [API_KEY, USERNAME, PASSWORD];

interface Recorded {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Handler = (req: Recorded, res: http.ServerResponse) => void;

interface TestServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServer(handler: Handler): Promise<TestServer> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: Recorded = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      handler(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const testServer: TestServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(testServer);
  return testServer;
}

function json(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

const COMPLETED_JOB = {
  state: 'COMPLETED',
  number_batches_waiting_for_upload: 0,
  number_batches_queued: 0,
  number_batches_in_progress: 0,
  number_batches_completed: 2,
  number_batches_failed: 0,
  number_batches_malformed: 0,
  created_date: '1461726337744',
  output_format: 'JSON',
  batch_list: ['b1', 'b2'],
};

/** A TDG stand-in: auth issues tok-1, tok-2, ...; job routes are answered by `jobs`. */
async function startTdg(jobs: Handler, auth?: Handler): Promise<TestServer & { tokensIssued: () => number }> {
  let issued = 0;
  const server = await startServer((req, res) => {
    if (req.path === '/v3/auth') {
      if (auth) return auth(req, res);
      issued++;
      return json(res, 200, { token: `tok-${issued}` });
    }
    jobs(req, res);
  });
  return Object.assign(server, { tokensIssued: () => issued });
}

function clientFor(
  server: { url: string },
  overrides: Partial<TdgClientOptions> = {},
  tokenOverrides: Partial<PasswordTokenProviderOptions> = {},
): TdgClient {
  const tokens = createPasswordTokenProvider({
    baseUrl: server.url,
    apiVersion: 'v3',
    apiKey: API_KEY,
    username: USERNAME,
    password: PASSWORD,
    ...tokenOverrides,
  });
  return createTdgClient({ baseUrl: server.url, apiVersion: 'v3', apiKey: API_KEY, tokens, ...overrides });
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    const error = err as Error;
    for (const secret of SECRETS) expect(error.message).not.toContain(secret);
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('createJob', () => {
  it('authenticates, then posts the documented request and returns the job id', async () => {
    const tdg = await startTdg((_req, res) => json(res, 200, { job_id: '160718103247ad0' }));
    const jobId = await clientFor(tdg).createJob({ name: 'Tutorial Job', outputFormat: 'JSON' });

    expect(jobId).toBe('160718103247ad0');
    const [auth, create] = tdg.requests;
    expect(auth?.method).toBe('POST');
    expect(auth?.path).toBe('/v3/auth');
    expect(auth?.headers['x-api-key']).toBe(API_KEY);
    expect(auth?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(auth?.body ?? '')).toEqual({ username: USERNAME, password: PASSWORD });

    expect(create?.method).toBe('POST');
    expect(create?.path).toBe('/v3/async/append/email/job');
    expect(create?.headers['x-api-key']).toBe(API_KEY);
    expect(create?.headers['authorizationtoken']).toBe('tok-1');
    expect(create?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(create?.body ?? '')).toEqual({ name: 'Tutorial Job', output_format: 'JSON' });
  });

  it('sends the notification URL and method together', async () => {
    const tdg = await startTdg((_req, res) => json(res, 200, { job_id: 'j1' }));
    await clientFor(tdg).createJob({
      name: 'n',
      notificationUrl: 'https://hooks.example.com/notifications/wf?sig=abc',
      notificationMethod: 'POST',
    });
    expect(JSON.parse(tdg.requests[1]?.body ?? '')).toEqual({
      name: 'n',
      output_format: 'JSON',
      notification_URL: 'https://hooks.example.com/notifications/wf?sig=abc',
      notification_method: 'POST',
    });
  });

  it('refuses a notification URL without a method', async () => {
    const tdg = await startTdg((_req, res) => json(res, 200, { job_id: 'j1' }));
    await expect(clientFor(tdg).createJob({ name: 'n', notificationUrl: 'https://x/y' })).rejects.toThrow(
      TypeError,
    );
    expect(tdg.requests).toHaveLength(0);
  });

  it('tolerates a trailing slash on the base URL and a numeric job id', async () => {
    const tdg = await startTdg((_req, res) => json(res, 201, '{"job_id": 42}'));
    const jobId = await clientFor({ url: `${tdg.url}/` }).createJob({ name: 'n' });
    expect(jobId).toBe('42');
    expect(tdg.requests[1]?.path).toBe('/v3/async/append/email/job');
  });

  it('reports a 400 as a non-retryable invalid request quoting TDG', async () => {
    const tdg = await startTdg((_req, res) => json(res, 400, { message: 'name is required' }));
    const error = await failureOf(clientFor(tdg).createJob({ name: '' }));
    expect(error).toBeInstanceOf(TdgHttpError);
    expect(error).toMatchObject({ status: 400, reason: 'invalid-request', retryable: false });
    expect(error.message).toContain('name is required');
    expect(error.message).toContain('POST /v3/async/append/email/job');
  });

  it('reports a 422 with a nested error body as an invalid request', async () => {
    const tdg = await startTdg((_req, res) =>
      json(res, 422, { errors: [{ message: 'output_format must be JSON' }, { message: 'bad URL' }] }),
    );
    const error = await failureOf(clientFor(tdg).createJob({ name: 'n' }));
    expect(error).toMatchObject({ status: 422, reason: 'invalid-request', retryable: false });
    expect(error.message).toContain('output_format must be JSON; bad URL');
  });

  it('reports a 403 as not permitted, suggesting a trial or restricted account', async () => {
    const tdg = await startTdg((_req, res) => json(res, 403, { error: 'Forbidden' }));
    const error = await failureOf(clientFor(tdg).createJob({ name: 'n' }));
    expect(error).toMatchObject({ status: 403, reason: 'not-permitted', retryable: false });
    expect(error.message).toContain('trial or restricted account');
    expect(error.message).toContain('Forbidden');
  });

  it('reports a 404 on create as a wrong endpoint, not a missing job', async () => {
    const tdg = await startTdg((_req, res) => json(res, 404, 'Not Found'));
    const error = await failureOf(clientFor(tdg).createJob({ name: 'n' }));
    expect(error).toMatchObject({ status: 404, reason: 'rejected', retryable: false });
    expect(error.message).toContain('TDG_API_VERSION');
  });

  it('reports other 4xx as non-retryable refusals', async () => {
    const tdg = await startTdg((_req, res) => json(res, 409, { message: 'duplicate' }));
    const error = await failureOf(clientFor(tdg).createJob({ name: 'n' }));
    expect(error).toMatchObject({ status: 409, reason: 'rejected', retryable: false });
    expect(error.message).toContain('duplicate');
  });

  it('does not follow a redirect, which would resend the credentials elsewhere', async () => {
    const elsewhere = await startServer((_req, res) => json(res, 200, { job_id: 'stolen' }));
    const tdg = await startTdg((_req, res) => {
      res.writeHead(302, { Location: `${elsewhere.url}/v3/async/append/email/job` });
      res.end();
    });
    const error = await failureOf(clientFor(tdg).createJob({ name: 'n' }));
    expect(error).toMatchObject({ status: 302, reason: 'rejected', retryable: false });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('redacts secrets that TDG echoes back, including the notification signature', async () => {
    const tdg = await startTdg((req, res) =>
      json(res, 400, {
        message: `bad request from key ${String(req.headers['x-api-key'])} token ${String(req.headers['authorizationtoken'])} body ${req.body}`,
      }),
    );
    const sig = 'a'.repeat(64);
    const error = await failureOf(
      clientFor(tdg).createJob({
        name: 'n',
        notificationUrl: `https://hooks.example.com/n/wf?sig=${sig}`,
        notificationMethod: 'GET',
      }),
    );
    expect(error.message).toContain('[redacted]');
    expect(error.message).not.toContain('tok-1');
    expect(error.message).not.toContain(sig);
    expect((error as TdgHttpError).bodyPreview).not.toContain(API_KEY);
  });

  it('reports an answer without job_id as malformed, showing the body', async () => {
    const tdg = await startTdg((_req, res) => json(res, 200, { id: 'nope' }));
    const error = await failureOf(clientFor(tdg).createJob({ name: 'n' }));
    expect(error).toBeInstanceOf(TdgMalformedResponseError);
    expect(error.message).toContain('POST /v3/async/append/email/job');
    expect(error.message).toContain('job_id');
    expect((error as TdgMalformedResponseError).bodyPreview).toBe('{"id":"nope"}');
  });
});

describe('getJob', () => {
  it('requests the job by its encoded id and normalises the answer', async () => {
    const tdg = await startTdg((_req, res) => json(res, 200, COMPLETED_JOB));
    const snapshot = await clientFor(tdg).getJob('a/b c');

    const get = tdg.requests[1];
    expect(get?.method).toBe('GET');
    expect(get?.path).toBe('/v3/async/append/email/job/a%2Fb%20c');
    expect(get?.headers['x-api-key']).toBe(API_KEY);
    expect(get?.headers['authorizationtoken']).toBe('tok-1');
    expect(get?.headers['content-type']).toBe('application/json');
    expect(snapshot).toEqual({
      jobId: 'a/b c',
      state: 'COMPLETED',
      counts: { waitingForUpload: 0, queued: 0, inProgress: 0, completed: 2, failed: 0, malformed: 0 },
      createdDate: '2016-04-27T03:05:37.744Z',
      outputFormat: 'JSON',
      batchList: ['b1', 'b2'],
      missingFields: [],
    });
  });

  it('reads a trailing-comma body and warns about it', async () => {
    const tdg = await startTdg((_req, res) =>
      json(res, 200, '{ "state": "completed", "batch_list": [ "54115674feafeafe", "g468ge465ge6ew", ] }'),
    );
    const warn = vi.fn();
    const snapshot = await clientFor(tdg, { logger: { info: () => undefined, warn } }).getJob('j');
    expect(snapshot.state).toBe('COMPLETED');
    expect(snapshot.batchList).toEqual(['54115674feafeafe', 'g468ge465ge6ew']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('trailing comma');
  });

  it('sends the lenient-body warning to the per-call logger when given', async () => {
    const tdg = await startTdg((_req, res) => json(res, 200, '{"state": "QUEUED",}'));
    const clientWarn = vi.fn();
    const callWarn = vi.fn();
    await clientFor(tdg, { logger: { info: () => undefined, warn: clientWarn } }).getJob('j', {
      logger: { info: () => undefined, warn: callWarn },
    });
    expect(callWarn).toHaveBeenCalledTimes(1);
    expect(clientWarn).not.toHaveBeenCalled();
  });

  it('reports a 404 as a missing job', async () => {
    const tdg = await startTdg((_req, res) => json(res, 404, { message: 'Job not found' }));
    const error = await failureOf(clientFor(tdg).getJob('nope'));
    expect(error).toMatchObject({ status: 404, reason: 'not-found', retryable: false });
    expect(error.message).toContain('"nope"');
  });

  it.each([500, 502, 504])('reports HTTP %i as retryable unavailability', async (status) => {
    const tdg = await startTdg((_req, res) => json(res, status, '<html>upstream trouble</html>'));
    const error = await failureOf(clientFor(tdg).getJob('j'));
    expect(error).toBeInstanceOf(TdgHttpError);
    expect(error).toMatchObject({ status, reason: 'unavailable', retryable: true, retryAfterMs: undefined });
    expect((error as TdgHttpError).bodyPreview).toBe('<html>upstream trouble</html>');
  });

  it('honours Retry-After seconds on a 503', async () => {
    const tdg = await startTdg((_req, res) =>
      json(res, 503, { message: 'maintenance' }, { 'Retry-After': '7' }),
    );
    const error = await failureOf(clientFor(tdg).getJob('j'));
    expect(error).toMatchObject({ status: 503, reason: 'unavailable', retryable: true, retryAfterMs: 7000 });
    expect(error.message).toContain('maintenance');
  });

  it('reports a 429 as rate-limited with Retry-After seconds', async () => {
    const tdg = await startTdg((_req, res) =>
      json(res, 429, { message: 'slow down' }, { 'Retry-After': '3' }),
    );
    const error = await failureOf(clientFor(tdg).getJob('j'));
    expect(error).toMatchObject({ status: 429, reason: 'rate-limited', retryable: true, retryAfterMs: 3000 });
  });

  it('reads a Retry-After HTTP-date against the injected clock', async () => {
    const nowMs = Date.parse('2025-03-01T12:00:00Z');
    const retryAt = new Date(nowMs + 120_000).toUTCString();
    const tdg = await startTdg((_req, res) => json(res, 429, '', { 'Retry-After': retryAt }));
    const error = await failureOf(clientFor(tdg, { now: () => nowMs }).getJob('j'));
    expect(error).toMatchObject({ reason: 'rate-limited', retryAfterMs: 120_000 });
  });

  it('caps an excessive Retry-After and ignores an unreadable one', async () => {
    const capped = await startTdg((_req, res) => json(res, 429, '', { 'Retry-After': '86400' }));
    await expect(
      failureOf(clientFor(capped, { maxRetryAfterMs: 60_000 }).getJob('j')),
    ).resolves.toMatchObject({
      retryAfterMs: 60_000,
    });
    const garbled = await startTdg((_req, res) => json(res, 429, '', { 'Retry-After': 'soon-ish' }));
    await expect(failureOf(clientFor(garbled).getJob('j'))).resolves.toMatchObject({
      retryAfterMs: undefined,
    });
  });

  it('reports an unreadable 200 body as malformed, showing its first 200 characters', async () => {
    const body = `<!DOCTYPE html><html>${'x'.repeat(500)}`;
    const tdg = await startTdg((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(body);
    });
    const error = await failureOf(clientFor(tdg).getJob('j'));
    expect(error).toBeInstanceOf(TdgMalformedResponseError);
    expect(error).toMatchObject({ retryable: true });
    expect((error as TdgMalformedResponseError).bodyPreview).toBe(`${body.slice(0, 200)}…`);
    expect(error.message).toContain('GET /v3/async/append/email/job/j');
    expect(error.message).toContain('<!DOCTYPE html>');
  });

  it('times out a server that never answers', async () => {
    const tdg = await startTdg(() => undefined);
    const started = Date.now();
    const error = await failureOf(clientFor(tdg, { requestTimeoutMs: 200 }).getJob('j'));
    expect(error).toBeInstanceOf(TdgTimeoutError);
    expect(error).toMatchObject({ retryable: true, requestTimeoutMs: 200 });
    expect(error.message).toContain('within 200 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('times out a body that stalls after the headers', async () => {
    const tdg = await startTdg((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"state": ');
    });
    const error = await failureOf(clientFor(tdg, { requestTimeoutMs: 200 }).getJob('j'));
    expect(error).toBeInstanceOf(TdgTimeoutError);
  });

  it("bounds a token request by the client's request timeout", async () => {
    const tdg = await startTdg(
      (_req, res) => json(res, 200, COMPLETED_JOB),
      () => undefined,
    );
    const error = await failureOf(clientFor(tdg, { requestTimeoutMs: 200 }).getJob('j'));
    expect(error).toBeInstanceOf(TdgTimeoutError);
    expect(error).toMatchObject({ retryable: true, requestTimeoutMs: 200 });
    expect(error.message).toContain('POST /v3/auth');
  });

  it("waits for a token refresh after a 401 no later than the call's deadline", async () => {
    // The call uses most of its attempt and is refused; the refresh that follows never answers.
    let authRequests = 0;
    const tdg = await startTdg(
      (_req, res) => {
        setTimeout(() => json(res, 401, { message: 'token expired' }), 900);
      },
      (_req, res) => {
        authRequests++;
        if (authRequests === 1) json(res, 200, { token: 'tok-1' });
      },
    );
    const client = clientFor(tdg, { requestTimeoutMs: 1_000 });
    const started = Date.now();
    const error = await failureOf(
      client.getJob('j', { escalatedRequestTimeoutMs: 1_200, deadlineAt: started + 1_500 }),
    );
    const took = Date.now() - started;
    expect(authRequests).toBe(2);
    expect(error).toBeInstanceOf(TdgTimeoutError);
    expect(error.message).toContain("before the attempt's deadline");
    // The refresh alone may take 1 s: waited for in full it would end ~1.9 s in, past the deadline.
    expect(took).toBeGreaterThanOrEqual(1_400);
    expect(took).toBeLessThan(1_700);
  });

  it("cuts an escalated request to the time left before the call's deadline", async () => {
    const tdg = await startTdg(() => undefined);
    const client = clientFor(tdg, { requestTimeoutMs: 200 });
    const started = Date.now();
    const error = await failureOf(
      client.getJob('j', { escalatedRequestTimeoutMs: 5_000, deadlineAt: started + 800 }),
    );
    const took = Date.now() - started;
    expect(error).toBeInstanceOf(TdgTimeoutError);
    expect((error as TdgTimeoutError).requestTimeoutMs).toBeLessThanOrEqual(800);
    expect(took).toBeGreaterThanOrEqual(700);
    expect(took).toBeLessThan(1_000);
  });

  it('reports a refused connection as a retryable network error', async () => {
    const closed = await startServer(() => undefined);
    await closed.close();
    const tokens = createStaticTokenProvider('static-token');
    const client = createTdgClient({ baseUrl: closed.url, apiVersion: 'v3', apiKey: API_KEY, tokens });
    const error = await failureOf(client.getJob('j'));
    expect(error).toBeInstanceOf(TdgNetworkError);
    expect(error).toMatchObject({ retryable: true, code: 'ECONNREFUSED' });
    expect(error.message).not.toContain('static-token');
  });

  it('passes cancellation through with its own reason instead of a TDG error', async () => {
    const tdg = await startTdg(() => undefined);
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    const pending = clientFor(tdg).getJob('j', { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 100);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('rate limit', () => {
  /** When each of `calls` concurrent getJobs reached TDG, in ms after the first. */
  async function arrivals(calls: number, overrides: Partial<TdgClientOptions>): Promise<number[]> {
    const seen: number[] = [];
    const tdg = await startTdg((_req, res) => {
      seen.push(Date.now());
      json(res, 200, COMPLETED_JOB);
    });
    const client = clientFor(tdg, overrides);
    await Promise.all(Array.from({ length: calls }, (_, i) => client.getJob(`job-${i}`)));
    return seen.map((t) => t - (seen[0] ?? t));
  }

  it('paces calls at maxCallsPerSecond after a burst of one second of calls', async () => {
    const at = await arrivals(10, { maxCallsPerSecond: 4 });
    // 4 at once, then one every 250 ms: the tenth goes out about 1.5 s after the first.
    expect(at.filter((ms) => ms < 500).length).toBeLessThanOrEqual(6);
    expect(Math.max(...at)).toBeGreaterThanOrEqual(1_200);
  });

  it('sends at once without a limit (the control for the pacing above)', async () => {
    const at = await arrivals(10, {});
    expect(at.filter((ms) => ms < 500)).toHaveLength(10);
  });
});

describe('rate limit against the simulator: a call that gave up never sends', () => {
  const STATIC_TOKEN = 'static-token-for-the-limit-test';

  async function simulatorClient(perSecond: number) {
    const sim = await startSimulator(
      { apiKey: API_KEY, username: '', password: '', staticTokens: [STATIC_TOKEN], seed: 3 },
      { port: 0, host: '127.0.0.1' },
    );
    servers.push({ url: sim.url, requests: [], close: () => sim.close() });
    const client = createTdgClient({
      baseUrl: sim.url,
      apiVersion: 'v3',
      apiKey: API_KEY,
      tokens: createStaticTokenProvider(STATIC_TOKEN),
      maxCallsPerSecond: perSecond,
      requestTimeoutMs: 2_000,
    });
    const jobId = await client.createJob({ name: 'limit test [sim duration=1h]' });
    const getJobs = async (): Promise<number> =>
      ((await (await fetch(`${sim.url}/_sim/stats`)).json()) as { requests: Record<string, number> })
        .requests['GET /job'] ?? 0;
    return { client, jobId, getJobs };
  }

  it('callers aborted while queued leave at once, send nothing afterwards, and cost no token', async () => {
    // 1 call/s: createJob took the only token, so every getJob below has to queue.
    const { client, jobId, getJobs } = await simulatorClient(1);
    const t0 = Date.now();
    const controllers = Array.from({ length: 8 }, () => new AbortController());
    const calls = controllers.map((c) =>
      client.getJob(jobId, { signal: c.signal }).then(
        () => 'sent and answered',
        (e: unknown) => e,
      ),
    );
    await sleep(300);
    const reason = new Error('activity cancelled');
    const abortedAt = Date.now();
    for (const c of controllers) c.abort(reason);
    const outcomes = await Promise.all(calls);
    expect(Date.now() - abortedAt).toBeLessThan(200);
    expect(outcomes).toEqual(Array.from({ length: 8 }, () => reason));
    // The eight tokens they would have taken are free: the next caller gets the bucket's next
    // token (1 s after createJob's), not the ninth.
    await client.getJob(jobId);
    expect(Date.now() - t0).toBeLessThan(1_500);
    // Long enough for all eight to have had their turn under a limiter that kept them queued.
    await sleep(8_000);
    expect(await getJobs()).toBe(1);
  });

  it('a call whose deadline leaves no room for the request fails unsent, and never sends later', async () => {
    const { client, jobId, getJobs } = await simulatorClient(0.5);
    // The token comes in 2 s; the deadline leaves 2 s request time from now + 2.5 s: give up at 0.5 s.
    const deadlineAt = Date.now() + 2_500;
    const started = Date.now();
    const error = await failureOf(client.getJob(jobId, { deadlineAt }));
    expect(error).toBeInstanceOf(TdgThrottledError);
    expect(Date.now() - started).toBeLessThan(1_500);
    await sleep(3_000);
    expect(await getJobs()).toBe(0);
  });

  it("'now' takes a free token or fails at once, without waiting or sending", async () => {
    const { client, jobId, getJobs } = await simulatorClient(1);
    const started = Date.now();
    const error = await failureOf(client.getJob(jobId, { rateLimit: 'now' }));
    expect(Date.now() - started).toBeLessThan(200);
    expect(error).toBeInstanceOf(TdgThrottledError);
    expect((error as TdgThrottledError).retryAfterMs).toBeGreaterThan(0);
    await sleep((error as TdgThrottledError).retryAfterMs + 50);
    await client.getJob(jobId, { rateLimit: 'now' });
    expect(await getJobs()).toBe(1);
  });
});

describe('authorization', () => {
  it('reuses one token across calls', async () => {
    const tdg = await startTdg((_req, res) => json(res, 200, COMPLETED_JOB));
    const client = clientFor(tdg);
    await client.getJob('a');
    await client.getJob('b');
    expect(tdg.tokensIssued()).toBe(1);
  });

  it('shares one auth request among concurrent callers', async () => {
    let issued = 0;
    const tdg = await startTdg(
      (_req, res) => json(res, 200, COMPLETED_JOB),
      (_req, res) => {
        issued++;
        setTimeout(() => json(res, 200, { token: `tok-${issued}` }), 50);
      },
    );
    const client = clientFor(tdg);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => client.getJob(id)));
    expect(issued).toBe(1);
    expect(tdg.requests.filter((r) => r.headers['authorizationtoken'] === 'tok-1')).toHaveLength(5);
  });

  it('renews the token before the 8-hour expiry, by the injected clock', async () => {
    let nowMs = 0;
    const tdg = await startTdg((_req, res) => json(res, 200, COMPLETED_JOB));
    const client = clientFor(tdg, {}, { now: () => nowMs });
    await client.getJob('a');
    nowMs = 7 * 60 * 60 * 1000; // 7 h: still well within the lifetime
    await client.getJob('b');
    expect(tdg.tokensIssued()).toBe(1);
    nowMs = 8 * 60 * 60 * 1000 - 10 * 60 * 1000; // 10 min before expiry: inside the 15-min margin
    await client.getJob('c');
    expect(tdg.tokensIssued()).toBe(2);
    expect(tdg.requests.at(-1)?.headers['authorizationtoken']).toBe('tok-2');
  });

  it('renews at half the lifetime when the TTL is shorter than twice the margin', async () => {
    let nowMs = 0;
    const tdg = await startTdg((_req, res) => json(res, 200, COMPLETED_JOB));
    const client = clientFor(tdg, {}, { now: () => nowMs, tokenTtlMs: 10_000 });
    await client.getJob('a');
    nowMs = 4_999;
    await client.getJob('b');
    expect(tdg.tokensIssued()).toBe(1);
    nowMs = 5_000;
    await client.getJob('c');
    expect(tdg.tokensIssued()).toBe(2);
  });

  it('honours a shorter lifetime announced in expires_in', async () => {
    let nowMs = 0;
    let issued = 0;
    const tdg = await startTdg(
      (_req, res) => json(res, 200, COMPLETED_JOB),
      (_req, res) => {
        issued++;
        json(res, 200, { token: `tok-${issued}`, expires_in: 60 });
      },
    );
    const client = clientFor(tdg, {}, { now: () => nowMs });
    await client.getJob('a');
    nowMs = 29_000;
    await client.getJob('b');
    expect(issued).toBe(1);
    nowMs = 30_000; // half of the announced 60 s, since the 15-min margin exceeds it
    await client.getJob('c');
    expect(issued).toBe(2);
  });

  it('re-authenticates once on a 401 and retries the request', async () => {
    const tdg = await startTdg((req, res) =>
      req.headers['authorizationtoken'] === 'tok-1'
        ? json(res, 401, { message: 'expired' })
        : json(res, 200, COMPLETED_JOB),
    );
    const snapshot = await clientFor(tdg).getJob('j');
    expect(snapshot.state).toBe('COMPLETED');
    expect(
      tdg.requests.map((r) => `${r.method} ${r.path} ${String(r.headers['authorizationtoken'])}`),
    ).toEqual([
      'POST /v3/auth undefined',
      'GET /v3/async/append/email/job/j tok-1',
      'POST /v3/auth undefined',
      'GET /v3/async/append/email/job/j tok-2',
    ]);
  });

  it('gives up with an auth error when the fresh token is refused too', async () => {
    const tdg = await startTdg((_req, res) => json(res, 401, { message: 'nope' }));
    const error = await failureOf(clientFor(tdg).getJob('j'));
    expect(error).toBeInstanceOf(TdgAuthError);
    expect(error).toMatchObject({ retryable: false, status: 401 });
    expect(tdg.tokensIssued()).toBe(2);
    expect(error.message).not.toMatch(/tok-\d/);
  });

  it('does not retry a 401 with a static token, which cannot be renewed', async () => {
    const tdg = await startTdg((_req, res) => json(res, 401, { message: 'expired' }));
    const client = createTdgClient({
      baseUrl: tdg.url,
      apiVersion: 'v3',
      apiKey: API_KEY,
      tokens: createStaticTokenProvider('static-token-value'),
    });
    const error = await failureOf(client.getJob('j'));
    expect(error).toBeInstanceOf(TdgAuthError);
    expect(error.message).toContain('TDG_AUTH_TOKEN');
    expect(error.message).not.toContain('static-token-value');
    expect(tdg.requests).toHaveLength(1);
    expect(tdg.requests[0]?.headers['authorizationtoken']).toBe('static-token-value');
  });

  it('invalidates only the refused token', async () => {
    const tdg = await startTdg((_req, res) => json(res, 200, COMPLETED_JOB));
    const tokens = createPasswordTokenProvider({
      baseUrl: tdg.url,
      apiVersion: 'v3',
      apiKey: API_KEY,
      username: USERNAME,
      password: PASSWORD,
    });
    expect(await tokens.get()).toBe('tok-1');
    tokens.invalidate('some-older-token');
    expect(await tokens.get()).toBe('tok-1');
    tokens.invalidate('tok-1');
    expect(await tokens.get()).toBe('tok-2');
  });

  it('reports refused credentials as an auth error without echoing them', async () => {
    const tdg = await startTdg(
      () => undefined,
      (req, res) =>
        json(res, 401, {
          message: `unknown user ${(JSON.parse(req.body) as { username: string }).username}`,
        }),
    );
    const error = await failureOf(clientFor(tdg).getJob('j'));
    expect(error).toBeInstanceOf(TdgAuthError);
    expect(error.message).toContain('TDG_PASSWORD');
    expect(error.message).toContain('unknown user [redacted]');
  });

  it('reports a 403 at the auth endpoint as not permitted', async () => {
    const tdg = await startTdg(
      () => undefined,
      (_req, res) => json(res, 403, { message: 'restricted key' }),
    );
    const error = await failureOf(clientFor(tdg).getJob('j'));
    expect(error).toMatchObject({ reason: 'not-permitted', retryable: false });
  });

  it('reports an overloaded auth endpoint as retryable', async () => {
    const tdg = await startTdg(
      () => undefined,
      (_req, res) => json(res, 503, '', { 'Retry-After': '2' }),
    );
    const error = await failureOf(clientFor(tdg).getJob('j'));
    expect(error).toMatchObject({ reason: 'unavailable', retryable: true, retryAfterMs: 2000 });
    expect(error.message).toContain('POST /v3/auth');
  });

  it('withholds the auth body when it holds no recognisable token field', async () => {
    const tdg = await startTdg(
      () => undefined,
      (_req, res) => json(res, 200, { session: 'looks-like-a-secret-token' }),
    );
    const error = await failureOf(clientFor(tdg).getJob('j'));
    expect(error).toBeInstanceOf(TdgMalformedResponseError);
    expect(error.message).toContain('fields: session');
    expect(error.message).not.toContain('looks-like-a-secret-token');
    expect((error as TdgMalformedResponseError).bodyPreview).not.toContain('looks-like-a-secret-token');
  });

  it('reads the token from a configured field, or from a plain-text body', async () => {
    const configured = await startTdg(
      (_req, res) => json(res, 200, COMPLETED_JOB),
      (_req, res) => json(res, 200, { data: { session: 'sess-1' } }),
    );
    await clientFor(configured, {}, { tokenField: 'session' }).getJob('j');
    expect(configured.requests[1]?.headers['authorizationtoken']).toBe('sess-1');

    const plain = await startTdg(
      (_req, res) => json(res, 200, COMPLETED_JOB),
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('eyJhbGciOi.plain-token.value\n');
      },
    );
    await clientFor(plain).getJob('j');
    expect(plain.requests[1]?.headers['authorizationtoken']).toBe('eyJhbGciOi.plain-token.value');
  });
});

describe('every client error', () => {
  it('is a TdgError whose name says what it is', async () => {
    const tdg = await startTdg((_req, res) => json(res, 500, ''));
    const error = await failureOf(clientFor(tdg).getJob('j'));
    expect(error).toBeInstanceOf(TdgError);
    expect(error.name).toBe('TdgHttpError');
  });
});

describe('outages seen by the TDG client over real sockets (the simulator)', () => {
  const simulators: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(simulators.splice(0).map((s) => s.close()));
  });
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
    simulators.push(sim);
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
