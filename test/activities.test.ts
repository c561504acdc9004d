/**
 * The activities over real HTTP against the TDG simulator, each run in a real activity Context
 * (MockActivityEnvironment: no Temporal server needed). Checks what reaches TDG, and that every
 * failure arrives as the ApplicationFailure type and retryability the workflow relies on.
 */
import { randomBytes } from 'node:crypto';
import type { Info } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure, msToNumber } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createActivities } from '../activities/index.js';
import { createKeepAliveFetch, type FetchLike } from '../src/tdg/http.js';
import { createTdgClient, jobNameFor } from '../src/tdg/index.js';
import {
  createPasswordTokenProvider,
  createStaticTokenProvider,
  type TokenProvider,
} from '../src/tdg/token-provider.js';
import { FailureType, type CreateJobRequest } from '../src/contract/definitions.js';
import { buildNotificationUrl, signWorkflowId, verifySignature } from '../src/platform/notify-url.js';
import { startSimulator } from '../tooling/simulator/index.js';

const secret = (): string => randomBytes(24).toString('hex');

const API_KEY = secret();
const RESTRICTED_KEY = secret();
const USERNAME = 'tester@example.com';
const PASSWORD = secret();
const STATIC_TOKEN = secret();
const NOTIFY_SECRET = secret();
const NOTIFY_PUBLIC_URL = 'http://127.0.0.1:9/notifications';

/** Every secret any test uses, plus every token the client sent: none may appear in a failure. */
const knownSecrets = new Set([API_KEY, RESTRICTED_KEY, USERNAME, PASSWORD, STATIC_TOKEN, NOTIFY_SECRET]);
const failures: ApplicationFailure[] = [];

interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

interface Sim {
  url: string;
  close(): Promise<void>;
  simulator: { jobs(): readonly unknown[] };
}

const sims: Sim[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

afterAll(() => {
  // Checked once over all failures collected by the whole file, after every token is known.
  expect(failures.length).toBeGreaterThan(10);
  for (const failure of failures) {
    const visible = `${failure.message}\n${JSON.stringify(failure.details)}`;
    for (const value of knownSecrets) expect(visible).not.toContain(value);
  }
});

async function runSim(faults: Record<string, unknown> = {}): Promise<Sim> {
  const sim = await startSimulator(
    {
      apiKey: API_KEY,
      username: USERNAME,
      password: PASSWORD,
      staticTokens: [STATIC_TOKEN],
      restrictedApiKeys: [RESTRICTED_KEY],
      seed: 11,
      faults,
    },
    { port: 0, host: '127.0.0.1' },
  );
  sims.push(sim);
  return sim;
}

async function setFaults(sim: Sim, faults: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${sim.url}/_sim/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  expect(response.ok).toBe(true);
}

/** Real HTTP, but every request is recorded so tests can see exactly what reached TDG. */
function recordingFetch(): { fetch: FetchLike; sent: SentRequest[] } {
  const inner = createKeepAliveFetch();
  const sent: SentRequest[] = [];
  const fetch: FetchLike = (url, init) => {
    knownSecrets.add(init.headers['AuthorizationToken'] ?? API_KEY);
    sent.push({
      method: init.method,
      url,
      headers: init.headers,
      body: init.body === undefined ? undefined : (JSON.parse(init.body) as unknown),
    });
    return inner(url, init);
  };
  return { fetch, sent };
}

interface Setup {
  apiKey?: string;
  tokens?: 'password' | 'static' | TokenProvider;
  password?: string;
  notifications?: { publicUrl: string; secret: string } | null;
  baseUrl?: string;
  requestTimeoutMs?: number;
  maxCallsPerSecond?: number;
}

function activitiesFor(sim: Sim, setup: Setup = {}) {
  const { fetch, sent } = recordingFetch();
  const baseUrl = setup.baseUrl ?? sim.url;
  const apiKey = setup.apiKey ?? API_KEY;
  const tokens =
    setup.tokens === 'static'
      ? createStaticTokenProvider(STATIC_TOKEN)
      : typeof setup.tokens === 'object'
        ? setup.tokens
        : createPasswordTokenProvider({
            baseUrl,
            apiVersion: 'v3',
            apiKey,
            username: USERNAME,
            password: setup.password ?? PASSWORD,
            fetch,
          });
  const tdg = createTdgClient({
    baseUrl,
    apiVersion: 'v3',
    apiKey,
    tokens,
    fetch,
    requestTimeoutMs: setup.requestTimeoutMs ?? 5_000,
    ...(setup.maxCallsPerSecond === undefined ? {} : { maxCallsPerSecond: setup.maxCallsPerSecond }),
  });
  const activities = createActivities({
    tdg,
    jobName: jobNameFor,
    notificationUrl: setup.notifications
      ? (workflowId) =>
          buildNotificationUrl(setup.notifications!.publicUrl, setup.notifications!.secret, workflowId)
      : null,
  });
  return { activities, sent };
}

function jobRequests(sent: SentRequest[]): SentRequest[] {
  return sent.filter((r) => r.method === 'POST' && r.url.endsWith('/v3/async/append/email/job'));
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    failures.push(failure);
    return failure;
  }
  throw new Error('expected the activity to fail');
}

/** An activity Context whose logger keeps the SDK's "Activity failed" warnings out of the test output. */
function quietEnv(info: Partial<Info> = {}): MockActivityEnvironment {
  return new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
}

/** MockActivityEnvironment.run cannot infer the result type; this keeps the tests typed. */
function run<A extends unknown[], R>(
  env: MockActivityEnvironment,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  return env.run<A, R, (...args: A) => Promise<R>>(fn, ...args);
}

function request(workflowId: string, overrides: Partial<CreateJobRequest> = {}): CreateJobRequest {
  return { workflowId, name: 'Tutorial Job', outputFormat: 'JSON', notificationMethod: null, ...overrides };
}

describe('notification URL signing', () => {
  it('is lower-case hex HMAC-SHA256 (RFC 4231-style known vector)', () => {
    expect(signWorkflowId('key', 'The quick brown fox jumps over the lazy dog')).toBe(
      'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });

  it('builds {base}/{encoded workflow id}?sig={signature}, ignoring trailing slashes', () => {
    expect(buildNotificationUrl('https://hooks.example.com/notifications//', 'key', 'wf 1/a')).toBe(
      `https://hooks.example.com/notifications/wf%201%2Fa?sig=${signWorkflowId('key', 'wf 1/a')}`,
    );
  });

  it('verifies against any of several secrets, for rotation', () => {
    const sig = signWorkflowId('new-secret', 'wf-1');
    expect(verifySignature(['old-secret', 'new-secret'], 'wf-1', sig)).toBe(true);
    expect(verifySignature(['old-secret'], 'wf-1', sig)).toBe(false);
    expect(verifySignature([], 'wf-1', sig)).toBe(false);
    expect(verifySignature(['new-secret'], 'wf-2', sig)).toBe(false);
  });

  it.each([
    ['undefined', undefined],
    ['an array', ['a']],
    ['too short', 'abc'],
    ['non-hex', 'z'.repeat(64)],
    ['too long', 'a'.repeat(66)],
    ['empty', ''],
  ])('rejects a malformed signature (%s) without throwing', (_label, sig) => {
    expect(verifySignature(['s'], 'wf-1', sig)).toBe(false);
  });
});

describe('createJob and getJob against the simulator', () => {
  it('creates a job named after the workflow and reads it back', async () => {
    const sim = await runSim();
    const { activities, sent } = activitiesFor(sim);
    const env = quietEnv();

    const created = await run(env, activities.createJob, request('wf-happy'));
    expect(created.notificationsRequested).toBe(false);
    expect(created.jobId).toMatch(/\S/);
    expect(jobRequests(sent)[0]?.body).toEqual({
      name: 'Tutorial Job (wf: wf-happy)',
      output_format: 'JSON',
    });

    const snapshot = await run(env, activities.getJob, created.jobId);
    expect(snapshot.jobId).toBe(created.jobId);
    expect(snapshot.state).toMatch(/^[A-Z_]+$/);
    expect(snapshot.missingFields).toEqual([]);
    expect(snapshot.createdDate).not.toBeNull();
  });

  it('sends a signed notification URL when the workflow asks and a listener is configured', async () => {
    const sim = await runSim();
    const notifications = { publicUrl: NOTIFY_PUBLIC_URL, secret: NOTIFY_SECRET };
    const { activities, sent } = activitiesFor(sim, { notifications });

    const created = await run(
      quietEnv(),
      activities.createJob,
      request('wf/notify 1', { notificationMethod: 'POST' }),
    );
    expect(created.notificationsRequested).toBe(true);
    const sig = signWorkflowId(NOTIFY_SECRET, 'wf/notify 1');
    expect(jobRequests(sent)[0]?.body).toEqual({
      name: 'Tutorial Job (wf: wf/notify 1)',
      output_format: 'JSON',
      notification_URL: `${NOTIFY_PUBLIC_URL}/wf%2Fnotify%201?sig=${sig}`,
      notification_method: 'POST',
    });
  });

  it('sends no notification URL when the workflow wants none', async () => {
    const sim = await runSim();
    const notifications = { publicUrl: NOTIFY_PUBLIC_URL, secret: NOTIFY_SECRET };
    const { activities, sent } = activitiesFor(sim, { notifications });
    const created = await run(quietEnv(), activities.createJob, request('wf-poll-only'));
    expect(created.notificationsRequested).toBe(false);
    expect(jobRequests(sent)[0]?.body).not.toHaveProperty('notification_URL');
  });

  it('sends no notification URL when no listener is configured', async () => {
    const sim = await runSim();
    const { activities, sent } = activitiesFor(sim, { notifications: null });
    const created = await run(
      quietEnv(),
      activities.createJob,
      request('wf-no-listener', { notificationMethod: 'GET' }),
    );
    expect(created.notificationsRequested).toBe(false);
    expect(jobRequests(sent)[0]?.body).not.toHaveProperty('notification_method');
  });

  it('works with a static token', async () => {
    const sim = await runSim();
    const { activities, sent } = activitiesFor(sim, { tokens: 'static' });
    const created = await run(quietEnv(), activities.createJob, request('wf-static'));
    expect(created.jobId).toMatch(/\S/);
    expect(sent.map((r) => r.url)).not.toContain(`${sim.url}/v3/auth`);
  });

  it('reads trailing-comma bodies and warns through the activity logger', async () => {
    const sim = await runSim({ trailingCommaBodies: true });
    const { activities } = activitiesFor(sim);
    const entries: LogEntry[] = [];
    const env = new MockActivityEnvironment(
      {},
      { logger: new DefaultLogger('WARN', (e) => entries.push(e)) },
    );
    const { jobId } = await run(
      env,
      activities.createJob,
      request('wf-trailing', { name: 'j [sim checks=1 batches=3]' }),
    );
    const snapshot = await run(env, activities.getJob, jobId);
    expect(snapshot.state).toBe('COMPLETED');
    expect(snapshot.batchList).toHaveLength(3);
    expect(snapshot.missingFields).toEqual([]);
    expect(entries.some((e) => e.level === 'WARN' && e.message.includes('trailing comma'))).toBe(true);
  });

  it('stops waiting for TDG when the activity is cancelled', async () => {
    const sim = await runSim();
    const { activities } = activitiesFor(sim);
    const env = quietEnv();
    const { jobId } = await run(env, activities.createJob, request('wf-cancel'));
    await setFaults(sim, { latencyMs: 3_000 });
    const started = Date.now();
    const pending = run(env, activities.getJob, jobId);
    setTimeout(() => env.cancel(), 100);
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});

describe('failures as the workflow sees them', () => {
  it('InvalidJobRequest (non-retryable) when TDG rejects the request, quoting TDG', async () => {
    const sim = await runSim();
    const { activities } = activitiesFor(sim);
    const failure = await failureOf(
      run(quietEnv(), activities.createJob, request('wf-bad', { name: 'x [sim duration=forever]' })),
    );
    expect(failure).toMatchObject({ type: FailureType.InvalidJobRequest, nonRetryable: true });
    expect(failure.message).toContain('HTTP 400');
    expect(failure.message).toContain('duration');
  });

  it('NotPermitted (non-retryable) for a restricted account', async () => {
    const sim = await runSim();
    const { activities } = activitiesFor(sim, { apiKey: RESTRICTED_KEY });
    const failure = await failureOf(run(quietEnv(), activities.createJob, request('wf-trial')));
    expect(failure).toMatchObject({ type: FailureType.NotPermitted, nonRetryable: true });
    expect(failure.message).toContain('trial or restricted account');
  });

  it('JobNotFound (non-retryable) for an unknown job id', async () => {
    const sim = await runSim();
    const { activities } = activitiesFor(sim);
    const failure = await failureOf(run(quietEnv(), activities.getJob, 'no-such-job'));
    expect(failure).toMatchObject({ type: FailureType.JobNotFound, nonRetryable: true });
    expect(failure.message).toContain('"no-such-job"');
  });

  it('NotAuthenticated (non-retryable) for a wrong password', async () => {
    const sim = await runSim();
    const { activities } = activitiesFor(sim, { password: 'wrong-password-value' });
    knownSecrets.add('wrong-password-value');
    const failure = await failureOf(run(quietEnv(), activities.getJob, 'j'));
    expect(failure).toMatchObject({ type: FailureType.NotAuthenticated, nonRetryable: true });
    expect(failure.message).toContain('TDG_PASSWORD');
  });

  it('NotAuthenticated (non-retryable) for an unknown static token, without a second try', async () => {
    const sim = await runSim();
    const unknownToken = secret();
    knownSecrets.add(unknownToken);
    const { activities, sent } = activitiesFor(sim, { tokens: createStaticTokenProvider(unknownToken) });
    const failure = await failureOf(run(quietEnv(), activities.createJob, request('wf-401')));
    expect(failure).toMatchObject({ type: FailureType.NotAuthenticated, nonRetryable: true });
    expect(jobRequests(sent)).toHaveLength(1);
  });

  it('recovers from a token TDG no longer accepts by signing in again', async () => {
    const sim = await runSim();
    const real = createPasswordTokenProvider({
      baseUrl: sim.url,
      apiVersion: 'v3',
      apiKey: API_KEY,
      username: USERNAME,
      password: PASSWORD,
    });
    // The first token handed out is one TDG does not accept, as after an expiry.
    const stale = secret();
    let staleHandedOut = false;
    const tokens: TokenProvider = {
      get: () => {
        if (staleHandedOut) return real.get();
        staleHandedOut = true;
        return Promise.resolve(stale);
      },
      invalidate: (token) => real.invalidate(token),
    };
    knownSecrets.add(stale);
    const { activities, sent } = activitiesFor(sim, { tokens });
    const created = await run(quietEnv(), activities.createJob, request('wf-refresh'));
    expect(created.jobId).toMatch(/\S/);
    expect(jobRequests(sent).map((r) => r.headers['AuthorizationToken'] === stale)).toEqual([true, false]);
  });

  it('TdgUnavailable (retryable) when TDG answers 5xx', async () => {
    const sim = await runSim();
    const { activities } = activitiesFor(sim);
    const env = quietEnv();
    const { jobId } = await run(env, activities.createJob, request('wf-5xx'));
    await setFaults(sim, { errorRate: 1 });
    const failure = await failureOf(run(env, activities.getJob, jobId));
    expect(failure).toMatchObject({ type: FailureType.TdgUnavailable, nonRetryable: false });
    expect(failure.message).toMatch(/HTTP 50[023]/);
  });

  it('TdgUnavailable (retryable) when TDG cannot be reached', async () => {
    const sim = await runSim();
    await sim.close();
    const { activities } = activitiesFor(sim);
    const failure = await failureOf(run(quietEnv(), activities.getJob, 'j'));
    expect(failure).toMatchObject({ type: FailureType.TdgUnavailable, nonRetryable: false });
  });

  it('TdgRateLimited (retryable) on 429, with nextRetryDelay from Retry-After', async () => {
    const sim = await runSim();
    const { activities } = activitiesFor(sim);
    const env = quietEnv();
    const { jobId } = await run(env, activities.createJob, request('wf-429'));
    await setFaults(sim, { rateLimitRate: 1, retryAfterSeconds: 3 });
    const failure = await failureOf(run(env, activities.getJob, jobId));
    expect(failure).toMatchObject({
      type: FailureType.TdgRateLimited,
      nonRetryable: false,
      nextRetryDelay: 3000,
    });
  });

  it('TdgMalformedResponse on getJob stays retryable however many attempts (bounded by time, not count)', async () => {
    const sim = await runSim();
    const { activities } = activitiesFor(sim);
    const { jobId } = await run(quietEnv(), activities.createJob, request('wf-malformed-get'));
    await setFaults(sim, { malformedRate: 1 });
    for (const attempt of [1, 5, 50]) {
      const failure = await failureOf(run(quietEnv({ attempt }), activities.getJob, jobId));
      expect(failure).toMatchObject({ type: FailureType.TdgMalformedResponse, nonRetryable: false });
      expect(failure.message).toContain('GET /v3/async/append/email/job/');
    }
  });

  it('a failed createJob says whether TDG may hold a job: not-sent only for refusals and unopened connections', async () => {
    const sim = await runSim();
    const { activities } = activitiesFor(sim);
    const outcomeOf = async (faults: Record<string, unknown>, workflowId: string) => {
      await setFaults(sim, { errorRate: 0, rateLimitRate: 0, malformedRate: 0, resetRate: 0, ...faults });
      const failure = await failureOf(run(quietEnv(), activities.createJob, request(workflowId)));
      return [failure.type, (failure.details?.[0] as { createOutcome: unknown }).createOutcome];
    };
    // The token is fetched (and cached) first, so the faults below hit the job request itself.
    await run(quietEnv(), activities.createJob, request('wf-outcome-token'));
    expect(await outcomeOf({ rateLimitRate: 1 }, 'wf-429')).toEqual([FailureType.TdgRateLimited, 'not-sent']);
    expect(await outcomeOf({ errorRate: 1 }, 'wf-5xx')).toEqual([FailureType.TdgUnavailable, 'unknown']);
    expect(await outcomeOf({ resetRate: 1 }, 'wf-reset')).toEqual([FailureType.TdgUnavailable, 'unknown']);
    const created = sim.simulator.jobs().length;
    expect(await outcomeOf({ malformedRate: 1 }, 'wf-unreadable')).toEqual([
      FailureType.TdgMalformedResponse,
      'unknown',
    ]);
    // The unreadable answer hid a job TDG did create: exactly why a retry is marked.
    expect(sim.simulator.jobs().length).toBe(created + 1);
    await setFaults(sim, { malformedRate: 0 });
    const { jobId } = await run(quietEnv(), activities.createJob, request('wf-outcome-get'));
    await setFaults(sim, { errorRate: 1 });
    const getFailure = await failureOf(run(quietEnv(), activities.getJob, jobId));
    expect((getFailure.details?.[0] as { createOutcome: unknown }).createOutcome).toBeNull();
    // Nothing listens there and no token request comes first: the job request never left.
    const closed = activitiesFor(sim, { tokens: 'static', baseUrl: 'http://127.0.0.1:9' }).activities;
    expect(await failureOf(run(quietEnv(), closed.createJob, request('wf-refused')))).toMatchObject({
      type: FailureType.TdgUnavailable,
      details: [{ kind: 'unreachable', code: 'ECONNREFUSED', createOutcome: 'not-sent' }],
    });
  });

  it('a failed token request makes a createJob failure not-sent', async () => {
    const sim = await runSim({ errorRate: 1 });
    const { activities } = activitiesFor(sim);
    const failure = await failureOf(run(quietEnv(), activities.createJob, request('wf-no-token')));
    expect(failure.message).toContain('POST /v3/auth');
    expect((failure.details?.[0] as { createOutcome: unknown }).createOutcome).toBe('not-sent');
  });

  it('TdgMalformedResponse for an unreadable auth answer, without showing it', async () => {
    const sim = await runSim({ malformedRate: 1 });
    const { activities } = activitiesFor(sim);
    const failure = await failureOf(run(quietEnv(), activities.getJob, 'j'));
    expect(failure).toMatchObject({ type: FailureType.TdgMalformedResponse, nonRetryable: false });
    expect(failure.message).toContain('POST /v3/auth');
    expect(failure.message).toContain('withheld');
  });
});

describe('under pressure (a tight TDG rate limit, a slow createJob)', () => {
  /** An activity attempt as Temporal starts it: scheduled now, 30 s per attempt unless given. */
  const attemptEnv = (info: Partial<Info> = {}) =>
    quietEnv({
      scheduledTimestampMs: Date.now(),
      currentAttemptScheduledTimestampMs: Date.now(),
      startToCloseTimeoutMs: 30_000,
      scheduleToCloseTimeoutMs: 0,
      ...info,
    });
  const getJobsSent = (sent: SentRequest[]) => sent.filter((r) => r.method === 'GET').length;

  it('a local getJob without a free token fails at once with RateLimited, sends nothing, and says when', async () => {
    const sim = await runSim();
    const { activities, sent } = activitiesFor(sim, { tokens: 'static', maxCallsPerSecond: 0.5 });
    // createJob takes the only token; the next comes in 2 s.
    const { jobId } = await run(attemptEnv(), activities.createJob, request('wf-local-limited'));
    const started = Date.now();
    const failure = await failureOf(run(attemptEnv({ isLocal: true }), activities.getJob, jobId));
    expect(Date.now() - started).toBeLessThan(200);
    expect(failure).toMatchObject({ type: FailureType.RateLimited, nonRetryable: false });
    expect(msToNumber(failure.nextRetryDelay ?? 0)).toBeGreaterThan(1_000);
    expect(msToNumber(failure.nextRetryDelay ?? 0)).toBeLessThanOrEqual(2_000);
    expect(getJobsSent(sent)).toBe(0);
  });

  it('an activity getJob waits for its token while its attempt leaves the request its timeout', async () => {
    const sim = await runSim();
    const { activities, sent } = activitiesFor(sim, {
      tokens: 'static',
      maxCallsPerSecond: 1,
      requestTimeoutMs: 1_000,
    });
    const { jobId } = await run(attemptEnv(), activities.createJob, request('wf-wait-limited'));
    const started = Date.now();
    const snapshot = await run(attemptEnv(), activities.getJob, jobId);
    expect(snapshot.jobId).toBe(jobId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    // A 1.5 s attempt cannot wait 1 s for a token and still give its request 1 s: it fails unsent.
    const short = await failureOf(
      run(attemptEnv({ startToCloseTimeoutMs: 1_500 }), activities.getJob, jobId),
    );
    expect(short).toMatchObject({ type: FailureType.RateLimited, nonRetryable: false });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(getJobsSent(sent)).toBe(1);
  });

  it('a createJob that gave up waiting for a token reports not-sent: no duplicate mark follows', async () => {
    const sim = await runSim();
    const { activities } = activitiesFor(sim, { tokens: 'static', maxCallsPerSecond: 0.5 });
    await run(attemptEnv(), activities.createJob, request('wf-create-first'));
    const failure = await failureOf(
      run(attemptEnv({ startToCloseTimeoutMs: 1_000 }), activities.createJob, request('wf-create-limited')),
    );
    expect(failure).toMatchObject({
      type: FailureType.RateLimited,
      details: [{ createOutcome: 'not-sent' }],
    });
    expect(sim.simulator.jobs()).toHaveLength(1);
  });

  it('createJob takes requestTimeoutMs: a TDG slower than the configured timeout gets the time it needs', async () => {
    const sim = await runSim({ createJobLatencyMs: 1_500 });
    const { activities } = activitiesFor(sim, { tokens: 'static', requestTimeoutMs: 1_000 });
    const timedOut = await failureOf(run(attemptEnv(), activities.createJob, request('wf-slow-create')));
    expect(timedOut).toMatchObject({
      type: FailureType.TdgUnavailable,
      details: [{ kind: 'timed-out', createOutcome: 'unanswered' }],
    });
    // TDG made the job all the same: exactly why the next attempt must not time out again.
    expect(sim.simulator.jobs()).toHaveLength(1);
    const created = await run(
      attemptEnv(),
      activities.createJob,
      request('wf-slow-create', { requestTimeoutMs: 3_000 }),
    );
    expect(created.jobId).toMatch(/\S/);
    expect(sim.simulator.jobs()).toHaveLength(2);
  });

  it('a requestTimeoutMs beyond the attempt is cut to the attempt: our own timeout, not Temporal’s', async () => {
    const sim = await runSim({ createJobLatencyMs: 5_000 });
    const { activities } = activitiesFor(sim, { tokens: 'static', requestTimeoutMs: 1_000 });
    const started = Date.now();
    const failure = await failureOf(
      run(
        attemptEnv({ startToCloseTimeoutMs: 2_000 }),
        activities.createJob,
        request('wf-capped', { requestTimeoutMs: 60_000 }),
      ),
    );
    const took = Date.now() - started;
    expect(failure).toMatchObject({ type: FailureType.TdgUnavailable, details: [{ kind: 'timed-out' }] });
    expect(took).toBeGreaterThanOrEqual(1_500);
    expect(took).toBeLessThan(2_000);
  });

  it('a retried getJob doubles its request timeout per attempt, so a slow TDG is eventually read', async () => {
    const sim = await runSim();
    const { activities } = activitiesFor(sim, { tokens: 'static', requestTimeoutMs: 1_000 });
    const { jobId } = await run(attemptEnv(), activities.createJob, request('wf-slow-get'));
    await setFaults(sim, { getJobLatencyMs: 1_500 });
    const first = await failureOf(run(attemptEnv({ attempt: 1 }), activities.getJob, jobId));
    expect(first).toMatchObject({ type: FailureType.TdgUnavailable, details: [{ kind: 'timed-out' }] });
    // The local attempt keeps the configured timeout whatever its number: it holds a workflow task.
    const local = await failureOf(run(attemptEnv({ attempt: 3, isLocal: true }), activities.getJob, jobId));
    expect(local).toMatchObject({ type: FailureType.TdgUnavailable });
    const second = await run(attemptEnv({ attempt: 2 }), activities.getJob, jobId);
    expect(second.jobId).toBe(jobId);
  });

  it('a COMPLETED answer without its batch list is TdgMalformedResponse (retryable), never a result', async () => {
    const sim = await runSim({ completedBatchList: 'missing' });
    const { activities } = activitiesFor(sim);
    const { jobId } = await run(
      attemptEnv(),
      activities.createJob,
      request('wf-no-list', { name: 'j [sim checks=1 batches=4]' }),
    );
    const failure = await failureOf(run(attemptEnv(), activities.getJob, jobId));
    expect(failure).toMatchObject({ type: FailureType.TdgMalformedResponse, nonRetryable: false });
    expect(failure.message).toContain('COMPLETED answer must carry the whole batch list');
    await setFaults(sim, { completedBatchList: 'short' });
    const short = await failureOf(run(attemptEnv(), activities.getJob, jobId));
    expect(short.message).toMatch(/names 3 batch\(es\) but "number_batches_completed" says 4/);
    await setFaults(sim, { completedBatchList: 'full' });
    expect((await run(attemptEnv(), activities.getJob, jobId)).batchList).toHaveLength(4);
  });
});
