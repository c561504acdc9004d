/**
 * The webhook listener with an in-memory WorkflowNotifier (the app's injected port): every HTTP
 * answer, over inject() and over a real socket, plus a fuzz run and the no-secrets-in-logs rule.
 * The real Temporal notifier is exercised in listener-temporal-notifier.test.ts.
 */
import { mulberry32 } from '../src/platform/prng.js';
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildListenerApp, RETRY_AFTER_SECONDS } from '../src/listener/app.js';
import { readBody } from '../src/listener/body.js';
import { loadListenerConfig } from '../src/listener/config.js';
import { buildHint, cleanText, MAX_FIELDS_BYTES, sanitiseFields } from '../src/listener/hint.js';
import type { NotifyOutcome, WorkflowNotifier } from '../src/listener/notifier.js';
import { startListener, type RunningListener } from '../src/listener/server.js';
import { ConfigError } from '../src/platform/env/schema.js';
import type { NotificationHint } from '../src/contract/definitions.js';
import { createServiceLogger, redactUrl } from '../src/platform/log.js';
import { signWorkflowId } from '../src/platform/notify-url.js';

const SECRET = 'current-secret-0123456789abcdef-0123456789';
const PREVIOUS_SECRET = 'previous-secret-0123456789abcdef-012345678';
const FIXED_NOW = new Date('2025-01-02T03:04:05.000Z');

/** Answers per workflow id (default `signalled`) and records every call. */
class FakeNotifier implements WorkflowNotifier {
  readonly calls: { workflowId: string; hint: NotificationHint }[] = [];
  readonly outcomes = new Map<string, NotifyOutcome | Error>();
  reachable = true;

  notify(workflowId: string, hint: NotificationHint): Promise<NotifyOutcome> {
    this.calls.push({ workflowId, hint });
    const outcome = this.outcomes.get(workflowId) ?? 'signalled';
    return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
  }

  healthy(): Promise<boolean> {
    return Promise.resolve(this.reachable);
  }
}

/**
 * Everything the listener logs, as the process would write it (the production logger at TRACE, so
 * fastify's client-error lines are in too), so tests can search it for secrets.
 */
const logLines: string[] = [];
const capturingLogger = createServiceLogger('listener', {
  env: { LOG_LEVEL: 'TRACE' },
  destination: { write: (line: string) => void logLines.push(line) },
});

type LogLine = Record<string, unknown> & { level: string; time: string; service: string; message: string };

function parseLines(lines: readonly string[]): LogLine[] {
  return lines.map((line) => JSON.parse(line) as LogLine);
}

/** One line of the services' log format (src/platform/log.ts). */
function expectLogLine(line: Record<string, unknown>, service: string): void {
  expect(line.service).toBe(service);
  expect(line.level).toMatch(/^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)$/);
  expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(typeof line.message).toBe('string');
}
/** Every valid signature a test sent: none may show up in the logs. */
const issuedSignatures = new Set<string>();

function signedPath(workflowId: string, secret = SECRET, extraQuery = ''): string {
  const sig = signWorkflowId(secret, workflowId);
  issuedSignatures.add(sig);
  return `/notifications/${encodeURIComponent(workflowId)}?sig=${sig}${extraQuery}`;
}

let notifier: FakeNotifier;
let app: FastifyInstance;

beforeAll(async () => {
  notifier = new FakeNotifier();
  app = buildListenerApp({
    secrets: [SECRET, PREVIOUS_SECRET],
    notifier,
    logger: capturingLogger,
    now: () => FIXED_NOW,
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
});

describe('listener answers (inject, fake notifier)', () => {
  it('202 for a signed GET and signals once with a sanitised hint', async () => {
    const before = notifier.calls.length;
    const res = await app.inject({
      method: 'GET',
      url: signedPath('wf-get', SECRET, '&job_id=J1&state=done'),
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'accepted' });
    expect(notifier.calls.slice(before)).toEqual([
      {
        workflowId: 'wf-get',
        hint: { method: 'GET', receivedAt: FIXED_NOW.toISOString(), fields: { job_id: 'J1', state: 'done' } },
      },
    ]);
  });

  it('202 for a signed POST with JSON, form and text bodies, and with none', async () => {
    const before = notifier.calls.length;
    const bodies = [
      {
        type: 'application/json; charset=utf-8',
        payload: '{"job_id":"J2","state":"COMPLETED","n":3,"deep":{"x":1}}',
      },
      { type: 'application/x-www-form-urlencoded', payload: 'job_id=J2&state=COMPLETED' },
      { type: 'text/plain', payload: 'job J2 is COMPLETED' },
      { type: 'application/json', payload: '' },
      { type: undefined, payload: undefined },
    ];
    for (const { type, payload } of bodies) {
      const res = await app.inject({
        method: 'POST',
        url: signedPath('wf-post'),
        headers: type === undefined ? {} : { 'content-type': type },
        ...(payload === undefined ? {} : { payload }),
      });
      expect(res.statusCode, `${type}`).toBe(202);
    }
    const fields = notifier.calls.slice(before).map((call) => call.hint.fields);
    expect(fields).toEqual([
      { job_id: 'J2', state: 'COMPLETED', n: '3' },
      { job_id: 'J2', state: 'COMPLETED' },
      { text: 'job J2 is COMPLETED' },
      undefined,
      undefined,
    ]);
    expect(notifier.calls.slice(before).every((call) => call.hint.method === 'POST')).toBe(true);
  });

  it('accepts ids with unicode, slashes and reserved characters, exactly as the worker encodes them', async () => {
    const before = notifier.calls.length;
    const ids = ['a/b c+d?e#f%g&h=i', 'jöb-😀-名前', 'quote\'"<>', 'x'.repeat(200)];
    for (const id of ids) {
      const res = await app.inject({ method: 'GET', url: signedPath(id) });
      expect(res.statusCode, id).toBe(202);
    }
    expect(notifier.calls.slice(before).map((call) => call.workflowId)).toEqual(ids);
  });

  it('accepts a URL signed with the previous secret (rotation)', async () => {
    const res = await app.inject({ method: 'GET', url: signedPath('wf-rotated', PREVIOUS_SECRET) });
    expect(res.statusCode).toBe(202);
    expect(notifier.calls.at(-1)?.workflowId).toBe('wf-rotated');
  });

  it('401 for a missing, malformed, wrong, foreign-secret or other-workflow signature, and never signals', async () => {
    const before = notifier.calls.length;
    const sigForA = signWorkflowId(SECRET, 'wf-A');
    const urls = [
      '/notifications/wf-B',
      '/notifications/wf-B?sig=',
      '/notifications/wf-B?sig=xyz',
      `/notifications/wf-B?sig=${sigForA}`,
      `/notifications/wf-B?sig=${sigForA.toUpperCase().replace(/./, '0')}`,
      `/notifications/wf-B?sig=${signWorkflowId('some-other-secret-0123456789abcdef', 'wf-B')}`,
      `/notifications/wf-B?sig=${signWorkflowId(SECRET, 'wf-B')}&sig=${sigForA}`,
      `/notifications/wf-A?sig=${sigForA}0`,
    ];
    for (const url of urls) {
      for (const method of ['GET', 'POST'] as const) {
        const res = await app.inject({ method, url });
        expect(res.statusCode, `${method} ${url}`).toBe(401);
        expect(res.json()).toEqual({ error: 'invalid signature' });
      }
    }
    expect(notifier.calls.length).toBe(before);
  });

  it('checks the signature before the body: bad bodies get 401 without a valid signature', async () => {
    const bad = [
      { 'content-type': 'application/json', payload: '{broken' },
      { 'content-type': 'application/xml', payload: '<x/>' },
      { 'content-type': 'not a media type', payload: 'x' },
      { 'content-type': 'application/json', payload: 'x'.repeat(20_000) },
    ];
    for (const { payload, ...headers } of bad) {
      const unsigned = await app.inject({
        method: 'POST',
        url: '/notifications/wf-x?sig=00',
        headers,
        payload,
      });
      expect(unsigned.statusCode).toBe(401);
    }
  });

  it('400 for unreadable JSON, 415 for other content types, 413 over 16 KiB (signed), no signal', async () => {
    const before = notifier.calls.length;
    const post = (headers: Record<string, string>, payload: string) =>
      app.inject({ method: 'POST', url: signedPath('wf-body'), headers, payload });
    expect((await post({ 'content-type': 'application/json' }, '{"a":')).statusCode).toBe(400);
    expect((await post({ 'content-type': 'application/json' }, '{"a":1}}')).statusCode).toBe(400);
    expect((await post({ 'content-type': 'application/xml' }, '<a/>')).statusCode).toBe(415);
    expect((await post({ 'content-type': 'application/octet-stream' }, 'abc')).statusCode).toBe(415);
    expect((await post({ 'content-type': 'garbage' }, 'abc')).statusCode).toBe(415);
    const tooLarge = await post(
      { 'content-type': 'application/json' },
      JSON.stringify({ a: 'x'.repeat(17_000) }),
    );
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json()).toEqual({ error: 'body too large' });
    // Just under the limit is fine.
    const fits = await post(
      { 'content-type': 'application/json' },
      JSON.stringify({ a: 'x'.repeat(16_000) }),
    );
    expect(fits.statusCode).toBe(202);
    expect(notifier.calls.length).toBe(before + 1);
  });

  it('maps notifier outcomes: not-found 404, closed 200, unavailable 503 + Retry-After, failure 500', async () => {
    notifier.outcomes.set('wf-missing', 'not-found');
    notifier.outcomes.set('wf-done', 'closed');
    notifier.outcomes.set('wf-down', 'unavailable');
    notifier.outcomes.set('wf-broken', new Error('boom'));
    const missing = await app.inject({ method: 'GET', url: signedPath('wf-missing') });
    expect([missing.statusCode, missing.json()]).toEqual([404, { error: 'unknown workflow' }]);
    const done = await app.inject({ method: 'POST', url: signedPath('wf-done') });
    expect([done.statusCode, done.json()]).toEqual([200, { status: 'already closed' }]);
    const down = await app.inject({ method: 'GET', url: signedPath('wf-down') });
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
    const broken = await app.inject({ method: 'GET', url: signedPath('wf-broken') });
    expect([broken.statusCode, broken.json()]).toEqual([500, { error: 'internal error' }]);
  });

  it('404 for a signed but empty or over-long workflow id, without signalling', async () => {
    const before = notifier.calls.length;
    expect((await app.inject({ method: 'GET', url: signedPath('') })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: signedPath('x'.repeat(201)) })).statusCode).toBe(404);
    expect(notifier.calls.length).toBe(before);
  });

  it('405 with Allow for other methods on the route, HEAD included (it must not signal)', async () => {
    const before = notifier.calls.length;
    for (const method of ['HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const) {
      const res = await app.inject({ method, url: signedPath('wf-405') });
      expect(res.statusCode, method).toBe(405);
      expect(res.headers.allow).toBe('GET, POST');
    }
    const postHealth = await app.inject({ method: 'POST', url: '/healthz' });
    expect([postHealth.statusCode, postHealth.headers.allow]).toEqual([405, 'GET, HEAD']);
    expect(notifier.calls.length).toBe(before);
  });

  it('404 JSON for unknown paths, 400 for malformed percent-encoding', async () => {
    for (const url of ['/', '/notifications', '/notifications/a/b', '/nope?sig=1', '/healthz/x']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toEqual({ error: 'not found' });
    }
    const badUrl = await app.inject({ method: 'GET', url: '/notifications/%E0%A4%A?sig=1' });
    expect([badUrl.statusCode, badUrl.json()]).toEqual([400, { error: 'malformed url' }]);
  });

  it('/healthz: 200 when Temporal is reachable, 503 when not', async () => {
    const up = await app.inject({ method: 'GET', url: '/healthz' });
    expect([up.statusCode, up.json()]).toEqual([200, { status: 'ok', temporal: 'reachable' }]);
    notifier.reachable = false;
    const down = await app.inject({ method: 'GET', url: '/healthz' });
    expect([down.statusCode, down.json()]).toEqual([503, { status: 'degraded', temporal: 'unreachable' }]);
    notifier.reachable = true;
  });

  it('answers 503 at once when too many signals are waiting on Temporal', async () => {
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: WorkflowNotifier = {
      notify: async () => {
        await gate;
        return 'signalled';
      },
      healthy: () => Promise.resolve(true),
    };
    const limited = buildListenerApp({ secrets: [SECRET], notifier: slow, maxConcurrentSignals: 2 });
    const pending = [0, 1].map(() => limited.inject({ method: 'GET', url: signedPath('wf-slow') }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const shed = await limited.inject({ method: 'GET', url: signedPath('wf-slow') });
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
    release();
    expect((await Promise.all(pending)).map((res) => res.statusCode)).toEqual([202, 202]);
    await limited.close();
  });
});

describe('notification hint', () => {
  it('strips control characters, drops sig and unsafe keys, redacts signature-shaped values, bounds size', () => {
    const sig = signWorkflowId(SECRET, 'wf');
    const fields = sanitiseFields([
      ['SIG', sig],
      ['__proto__', 'x'],
      ['state\u0000', 'COMP\u001b[31mLETED\u202e'],
      ['url', `https://example.test/n/wf?sig=${sig}`],
      ['long', 'y'.repeat(5_000)],
      ...Array.from({ length: 100 }, (_, i) => [`k${i}`, 'z'.repeat(100)] as const),
    ]);
    expect(fields.state).toBe('COMP[31mLETED');
    expect(fields.url).toBe('https://example.test/n/wf?sig=[redacted]');
    expect(JSON.stringify(fields)).not.toContain(sig);
    expect(Object.keys(fields)).not.toContain('SIG');
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(fields.long?.length).toBe(256);
    const bytes = Object.entries(fields).reduce(
      (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
      0,
    );
    expect(bytes).toBeLessThanOrEqual(MAX_FIELDS_BYTES);
  });

  it('never splits a surrogate pair when truncating', () => {
    expect(cleanText('😀'.repeat(300), 256)).toBe('😀'.repeat(256));
    expect(cleanText(`${'\u0001'.repeat(1023)}😀`, 256)).toBe('');
    expect(cleanText('a\ud800b', 256)).toBe('ab');
    // The byte budget (1 KiB) cuts whole characters too.
    const { e } = sanitiseFields([['e', '😀'.repeat(300)]]);
    expect(e).toBe('😀'.repeat(255));
  });

  it('omits fields when there are none', () => {
    expect(buildHint('GET', FIXED_NOW, [])).toEqual({ method: 'GET', receivedAt: FIXED_NOW.toISOString() });
  });

  it('reads bodies leniently but reports unreadable JSON and unknown types', () => {
    expect(readBody('application/vnd.tdg+json', Buffer.from('{"a":"b"}'))).toEqual({
      ok: true,
      fields: [['a', 'b']],
    });
    expect(readBody('application/json', Buffer.from('[1,2]'))).toEqual({ ok: true, fields: [] });
    expect(readBody(undefined, Buffer.from('{"a":1}'))).toEqual({ ok: true, fields: [['a', '1']] });
    expect(readBody(undefined, Buffer.from('plain words'))).toEqual({
      ok: true,
      fields: [['text', 'plain words']],
    });
    expect(readBody('application/json', Buffer.from([0xff, 0xfe, 0x00]))).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(readBody('image/png', Buffer.from('x'))).toMatchObject({ ok: false, status: 415 });
    expect(readBody('image/png', Buffer.alloc(0))).toEqual({ ok: true, fields: [] });
  });
});

describe('listener configuration', () => {
  const secret = 's'.repeat(32);
  it('reads defaults and both secrets in order', () => {
    const config = loadListenerConfig({ NOTIFY_SECRET: secret, NOTIFY_SECRET_PREVIOUS: `p${secret}` });
    expect(config).toMatchObject({ port: 8788, host: '0.0.0.0', secrets: [secret, `p${secret}`] });
    expect(config.temporal).toMatchObject({ address: 'localhost:7233', namespace: 'default' });
    expect(loadListenerConfig({ NOTIFY_SECRET: secret, LISTENER_PORT: '0' }).port).toBe(0);
  });

  it('reports every problem at once and never echoes a secret', () => {
    const short = 'short-secret-value';
    const error = (() => {
      try {
        loadListenerConfig({
          NOTIFY_SECRET: short,
          NOTIFY_SECRET_PREVIOUS: `${short}!`,
          LISTENER_PORT: 'http',
        });
      } catch (e) {
        return e;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect((error as ConfigError).problems).toHaveLength(3);
    expect(message).toContain('NOTIFY_SECRET must be at least 32 bytes');
    expect(message).toContain('NOTIFY_SECRET_PREVIOUS must be at least 32 bytes');
    expect(message).toContain('LISTENER_PORT');
    expect(message).not.toContain(short);
    expect(() => loadListenerConfig({})).toThrow(/NOTIFY_SECRET is required/);
  });
});

interface RawAnswer {
  status: number | null;
  text: string;
}

/** Writes raw bytes to the listener and reads whatever comes back until close or `waitMs`. */
function rawRequest(url: string, bytes: Buffer | string, waitMs = 1_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : null, text });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // One response is enough: the listener answered.
      if (/\r\n\r\n/.test(Buffer.concat(chunks).toString('latin1'))) setTimeout(finish, 20);
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(bytes);
  });
}

describe('listener over a real socket', () => {
  let running: RunningListener;
  let socketNotifier: FakeNotifier;

  beforeAll(async () => {
    socketNotifier = new FakeNotifier();
    running = await startListener(
      { secrets: [SECRET, PREVIOUS_SECRET], notifier: socketNotifier, logger: capturingLogger },
      { port: 0, host: '127.0.0.1' },
    );
  });
  afterAll(async () => {
    await running?.close();
  });

  it('starts on port 0 and answers the main paths', async () => {
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${running.url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok', temporal: 'reachable' }]);
    const signed = await fetch(`${running.url}${signedPath('wf-socket', SECRET, '&state=DONE')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ job_id: 'J9', state: 'COMPLETED' }),
    });
    expect([signed.status, await signed.json()]).toEqual([202, { status: 'accepted' }]);
    // Query fields come first and win over a body field of the same name.
    expect(socketNotifier.calls.at(-1)?.hint.fields).toEqual({ state: 'DONE', job_id: 'J9' });
    const unsigned = await fetch(`${running.url}/notifications/wf-socket?sig=${'0'.repeat(64)}`);
    expect(unsigned.status).toBe(401);
    const tooLarge = await fetch(`${running.url}${signedPath('wf-socket')}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(64 * 1024),
    });
    expect(tooLarge.status).toBe(413);
  });

  it('answers 401 to a large unsigned upload and stays usable', async () => {
    const body = 'x'.repeat(200_000);
    const answer = await rawRequest(
      running.url,
      `POST /notifications/wf?sig=1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(answer.status).toBe(401);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  });

  it('cuts off an unsigned caller that keeps streaming a body after its 401', async () => {
    const { hostname, port } = new URL(running.url);
    const socket = connect({ host: hostname, port: Number(port) });
    let received = '';
    let sent = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.write('POST /notifications/wf?sig=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = `${(1000).toString(16)}\r\n${'y'.repeat(1000)}\r\n`;
    const pump = setInterval(() => {
      if (!socket.destroyed) socket.write(chunk);
      sent += 1000;
    }, 2);
    await Promise.race([once(socket, 'close'), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    clearInterval(pump);
    const closed = socket.destroyed || socket.readyState === 'closed';
    socket.destroy();
    expect(received).toMatch(/^HTTP\/1\.1 401/);
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(1_000_000);
  });

  it('a stalled caller does not block others', async () => {
    const { hostname, port } = new URL(running.url);
    const stalled = connect({ host: hostname, port: Number(port) });
    stalled.write('POST /notifications/wf?sig=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc');
    stalled.on('error', () => {});
    const started = Date.now();
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1_000);
    stalled.destroy();
  });

  it('survives thousands of random and malformed requests and delivers no signal without a signature', async () => {
    const rand = mulberry32(20_250_101);
    const startedAt = Date.now();
    const callsBefore = socketNotifier.calls.length;
    const sigForA = signWorkflowId(SECRET, 'wf-A');
    // Never 'wf-A' itself: sigForA is only ever replayed against other ids.
    const ids = [
      'wf-a',
      'wf-B',
      '',
      'ü',
      '😀',
      '%',
      '%25',
      '%2F',
      '%E0%A4%A',
      '%00',
      '..',
      '..%2F..%2Fetc%2Fpasswd',
      'x'.repeat(300),
      '%F0%9F%98%80'.repeat(50),
      '\u202e',
      'a b',
    ];
    const sigs = [
      '',
      `sig=${sigForA}`,
      'sig=',
      'sig=zz',
      `sig=${'f'.repeat(64)}`,
      `sig=${sigForA}&sig=${sigForA}`,
    ];
    const contentTypes = [
      'application/json',
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'garbage',
      ';;;',
      'application/json; charset=utf-16',
    ];
    const bodies = [
      () => '{"job_id":',
      () => '{"a":'.repeat(rand.int(2_000)),
      () => '['.repeat(rand.int(5_000)),
      () => 'a=%ZZ&&&=&b',
      () => '\u0000\u0001\u00ff',
      () => Buffer.from(Array.from({ length: rand.int(4_000) }, () => rand.int(256))),
      () => 'x'.repeat(rand.int(40_000)),
      () => JSON.stringify({ state: 'COMPLETED', nested: { deep: [1, 2, 3] } }),
    ];
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;

    const answers = new Map<string, number>();
    const one = async (): Promise<void> => {
      const method = rand.pick(methods);
      const base = rand.chance(0.85)
        ? `/notifications/${rand.pick(ids)}`
        : rand.pick(['/', '/healthz', '/notifications', '/notifications/a/b', '//notifications//x', '/%%%']);
      let query = rand.pick(sigs);
      if (rand.chance(0.2)) query += `&q=${'%41'.repeat(rand.int(4_000))}`;
      if (rand.chance(0.1)) query += `&${'k'.repeat(rand.int(20_000))}=v`;
      const url = `${running.url}${base}${query ? `?${query}` : ''}`;
      const withBody = method !== 'GET' && method !== 'HEAD' && rand.chance(0.8);
      let answer: string;
      try {
        const response = await fetch(url, {
          method,
          headers: rand.chance(0.8) ? { 'content-type': rand.pick(contentTypes) } : {},
          ...(withBody ? { body: rand.pick(bodies)() } : {}),
          signal: AbortSignal.timeout(5_000),
        });
        const text = await response.text();
        // 431 comes from Node's HTTP parser (headers over 16 KiB), before the app sees anything.
        answer =
          method === 'HEAD' || response.status === 431
            ? `${response.status} ${method === 'HEAD' ? '(head)' : ''}`
            : `${response.status} ${text.startsWith('{"error"') ? (JSON.parse(text) as { error: string }).error : ''}`;
      } catch (error) {
        // A caller that keeps sending a body nobody will read may be cut off (see drainBodyWithin);
        // a timeout, though, would mean the listener hung.
        answer = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'connection closed';
      }
      answers.set(answer, (answers.get(answer) ?? 0) + 1);
    };

    const total = 2_400;
    let issued = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (issued < total) {
          issued++;
          await one();
        }
      }),
    );

    // Bytes no HTTP client would send.
    const rawStatuses: (number | null)[] = [];
    for (let i = 0; i < 150; i++) {
      const garbage = rand.chance(0.5)
        ? Buffer.from(Array.from({ length: 1 + rand.int(2_000) }, () => rand.int(256)))
        : rand.pick([
            'GET /notifications/wf-A HTTP/9.9\r\n\r\n',
            'BREW /notifications/wf-A HTTP/1.1\r\nHost: x\r\n\r\n',
            `TRACE /notifications/wf-A?${'sig'}=${sigForA} HTTP/1.1\r\nHost: x\r\n\r\n`,
            'POST /notifications/wf-A?sig=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
            'POST /notifications/wf-A?sig=1 HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
            `GET /notifications/${'\u00ff'.repeat(100)} HTTP/1.1\r\nHost: x\r\n\r\n`,
            `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
          ]);
      rawStatuses.push((await rawRequest(running.url, garbage, 300)).status);
    }

    const elapsed = Date.now() - startedAt;
    expect(socketNotifier.calls.length - callsBefore).toBe(0);
    // Every answer is about the URL, the method or the missing signature: a body is never judged
    // without a valid signature (no 400-JSON, 413, 415) and nothing was a server error.
    const expected = new Set([
      '200 ',
      '400 malformed url',
      '401 invalid signature',
      '404 not found',
      '404 unknown workflow',
      '405 method not allowed',
      '431 ',
      'connection closed',
      ...['200', '400', '404', '405', '431'].map((status) => `${status} (head)`),
    ]);
    const unexpected = [...answers.keys()].filter((answer) => !expected.has(answer));
    expect(unexpected, JSON.stringify(Object.fromEntries(answers))).toEqual([]);
    expect([...answers.values()].reduce((a, b) => a + b, 0)).toBe(total);
    expect(rawStatuses.filter((status) => status !== null && status >= 500)).toEqual([]);
    const health = await fetch(`${running.url}/healthz`);
    expect(health.status).toBe(200);
    expect(elapsed).toBeLessThan(25_000);
  });
});

describe('secrets in logs', () => {
  it('the captured log never contains a secret or a valid signature', () => {
    expect(logLines.length).toBeGreaterThan(100);
    expect(issuedSignatures.size).toBeGreaterThan(10);
    const log = logLines.join('\n');
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(PREVIOUS_SECRET);
    for (const sig of issuedSignatures) expect(log).not.toContain(sig);
    expect(log).not.toContain(signWorkflowId(SECRET, 'wf-A'));
  });

  it('every captured line is one JSON object with the shared field names', () => {
    for (const line of parseLines(logLines)) expectLogLine(line, 'listener');
  });
});

describe('logs through the production logger (LOG_LEVEL unset: INFO, as the process runs)', () => {
  const WORKFLOW_ID = 'wf-logged';
  const SIG = signWorkflowId(SECRET, WORKFLOW_ID);
  const percentEncoded = (text: string): string =>
    [...text].map((char) => `%${char.charCodeAt(0).toString(16)}`).join('');
  const HEADERS = {
    'x-api-key': 'api-key-that-must-not-be-logged',
    authorization: 'Bearer authorization-that-must-not-be-logged',
    authorizationtoken: 'token-that-must-not-be-logged',
  };

  async function logOf(requests: InjectOptions[], notifier = new FakeNotifier()): Promise<string[]> {
    const lines: string[] = [];
    const logged = buildListenerApp({
      secrets: [SECRET],
      notifier,
      logger: createServiceLogger('listener', {
        env: {},
        destination: { write: (line: string) => void lines.push(line) },
      }),
      now: () => FIXED_NOW,
    });
    try {
      for (const request of requests) await logged.inject(request);
    } finally {
      await logged.close();
    }
    return lines;
  }

  it('logs each request as JSON lines with the sig value replaced and no headers', async () => {
    const lines = await logOf([
      {
        method: 'GET',
        url: `/notifications/${WORKFLOW_ID}?sig=${SIG}&job_id=J1&state=done`,
        headers: HEADERS,
      },
    ]);
    const [incoming, completed, ...rest] = parseLines(lines);
    expect(rest).toEqual([]);
    expect(incoming).toMatchObject({
      level: 'INFO',
      service: 'listener',
      message: 'incoming request',
      req: { method: 'GET', url: `/notifications/${WORKFLOW_ID}?sig=[redacted]&job_id=J1&state=done` },
    });
    expect(Object.keys(incoming?.req as object).sort()).toEqual(['method', 'remoteAddress', 'url']);
    expect(completed).toMatchObject({
      level: 'INFO',
      service: 'listener',
      message: 'request completed',
      reqId: incoming?.reqId,
      res: { statusCode: 202 },
    });
    expect(typeof completed?.responseTime).toBe('number');
    const log = lines.join('');
    expect(log).not.toContain(SIG);
    for (const value of Object.values(HEADERS)) expect(log).not.toContain(value);
  });

  it('never logs a signature, however the request spells it and whatever the answer', async () => {
    const failing = new FakeNotifier();
    failing.outcomes.set(WORKFLOW_ID, new Error(`boom ?sig=${SIG}`));
    const lines = await logOf(
      [
        { method: 'GET', url: `/notifications/${WORKFLOW_ID}?sig=${SIG}` },
        { method: 'POST', url: `/notifications/${WORKFLOW_ID}?state=done&sig=${SIG}`, payload: { sig: SIG } },
        { method: 'GET', url: `/notifications/${WORKFLOW_ID}?SIG=${SIG}` },
        { method: 'GET', url: `/notifications/${WORKFLOW_ID}?%73ig=${SIG}` },
        { method: 'GET', url: `/notifications/${WORKFLOW_ID}?sig=${percentEncoded(SIG)}` },
        { method: 'GET', url: `/notifications/${WORKFLOW_ID}?sig=${SIG.toUpperCase()}` },
        { method: 'GET', url: `/notifications/other?sig=${SIG}` },
        { method: 'GET', url: `/nowhere/${SIG}?sig=${SIG}` },
        { method: 'PUT', url: `/notifications/${WORKFLOW_ID}?sig=${SIG}` },
        { method: 'GET', url: `/notifications/${WORKFLOW_ID}?sig=${SIG}&sig=${SIG}` },
      ],
      failing,
    );
    // Two lines per request, plus the 500's own error line.
    expect(lines.length).toBeGreaterThanOrEqual(20);
    expect(parseLines(lines).some((line) => line.message === 'signal failed')).toBe(true);
    const log = lines.join('');
    for (const form of [SIG, SIG.toUpperCase(), percentEncoded(SIG)]) expect(log).not.toContain(form);
  });

  it('redacts sig values in any spelling and masks signature-shaped runs in URLs', () => {
    expect(redactUrl(`/n/wf?a=1&sig=${SIG}&b=2`)).toBe('/n/wf?a=1&sig=[redacted]&b=2');
    expect(redactUrl(`/n/wf?Sig=x&%53IG=y&sig`)).toBe('/n/wf?Sig=[redacted]&%53IG=[redacted]&sig');
    expect(redactUrl(`/n/${SIG}`)).toBe('/n/[redacted]');
    expect(redactUrl(`/n/wf?signal=1&xsig=2`)).toBe('/n/wf?signal=1&xsig=2');
    expect(redactUrl(`/n/wf?u=https%3A%2F%2Fx%2Fn%3Fsig%3D${SIG}`)).toBe(
      '/n/wf?u=[redacted]'.replace('[redacted]', `https%3A%2F%2Fx%2Fn%3Fsig%3D[redacted]`),
    );
  });

  // Found adopting the CLI: the signature only, never a 64-hex run inside a workflow id.
  it('keeps a workflow id that contains a 64-hex run readable, and still masks its sig', () => {
    const workflowId = `import-${'ab12'.repeat(16)}-retry`;
    expect(redactUrl(`/notifications/${workflowId}?sig=${SIG}`)).toBe(
      `/notifications/${workflowId}?sig=[redacted]`,
    );
    expect(redactUrl(`/notifications/job-${SIG}`)).toBe(`/notifications/job-${SIG}`);
  });
});
