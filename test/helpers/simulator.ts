/**
 * The TDG simulator under test: an in-process harness (app.inject, an injected clock), a real
 * notification receiver, and what the tests share about TDG's job bodies and the services' log lines.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import {
  buildSimulator,
  type Simulator,
  type SimulatorOptions,
  type StatsView,
} from '../../tooling/simulator/app.js';

export const API_KEY = 'test-api-key';
export const USERNAME = 'tester';
export const PASSWORD = 'correct horse battery staple';
export const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
export const JOB_URL = '/v3/async/append/email/job';

export interface Harness {
  sim: Simulator;
  clock: { now: number };
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  login(apiKey?: string): Promise<string>;
  createJob(token: string, body: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  getJob(token: string, jobId: string): Promise<LightMyRequestResponse>;
  /** Logs in and creates a job; returns the token and job id. */
  job(body: Record<string, unknown>): Promise<{ token: string; jobId: string }>;
  stats(): Promise<StatsView>;
  /** PUTs a JSON body to a control route (`/_sim/faults`, `/_sim/settings`). */
  put(url: string, payload: unknown): Promise<LightMyRequestResponse>;
}

/** What a test started: closed after each test by `afterEach(closeRunning)`. */
export const running: Array<{ close(): Promise<void> }> = [];
export async function closeRunning(): Promise<void> {
  await Promise.all(running.splice(0).map((r) => r.close()));
}

export function harness(overrides: Partial<SimulatorOptions> = {}): Harness {
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
    put: (url, payload) =>
      inject({
        method: 'PUT',
        url,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      }),
  };
}

/** Each body PUT to a control route is refused with 400 and an error that matches its pattern. */
export async function expectRefused(
  h: Harness,
  url: string,
  cases: readonly (readonly [unknown, RegExp])[],
): Promise<void> {
  for (const [bad, message] of cases) {
    const response = await h.put(url, bad);
    expect(response.statusCode, JSON.stringify(bad)).toBe(400);
    expect(response.json<{ error: string }>().error).toMatch(message);
  }
}

export interface TdgJobBody {
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

export function sumOf(body: TdgJobBody): number {
  return (
    body.number_batches_waiting_for_upload +
    body.number_batches_queued +
    body.number_batches_in_progress +
    body.number_batches_completed +
    body.number_batches_failed +
    body.number_batches_malformed
  );
}

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real notification endpoint; answers the queued statuses first, then 204. */
export async function receiver(
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
export function expectLogLine(line: Record<string, unknown>, service: string): void {
  expect(line.service).toBe(service);
  expect(line.level).toMatch(/^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)$/);
  expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(typeof line.message).toBe('string');
}
