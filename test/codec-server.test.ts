/**
 * The codec server: Temporal's remote codec protocol, CORS answered for the Web UI's origin only,
 * and authorization by token or session cookie (an allowed Origin alone decodes nothing); over
 * `inject`, over a real socket, and as a process with a bad configuration.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { buildCodecServerApp, startCodecServer, type RunningCodecServer } from '../src/codec-server/index.js';
import { SESSION_COOKIE } from '../src/codec-server/auth.js';
import { loadCodecServerConfig } from '../src/codec-server/config.js';
import { AesGcmPayloadCodec, parseCodecKeys } from '../src/platform/payload-codec.js';
import { ConfigError } from '../src/platform/env/schema.js';
import { serviceLoggerOptions } from '../src/platform/log.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const codec = new AesGcmPayloadCodec(parseCodecKeys(`k1:${KEY}`));
const TOKEN = 't'.repeat(40);
const OLD_TOKEN = 'o'.repeat(40);
const UI = 'https://temporal-ui.example.com';
const SECRET_NAME = 'Acme Corp customer list';

const asJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const fromJson = (p: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
const encrypted = async (value: unknown) =>
  asJson((await codec.encode([defaultPayloadConverter.toPayload(value)]))[0]!);

let now = 1_800_000_000_000;
const logged: string[] = [];
const logger = pino(
  serviceLoggerOptions('codec-server', 'DEBUG'),
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(chunk.toString());
      done();
    },
  }),
);
const app = buildCodecServerApp({
  codec,
  tokens: [TOKEN, OLD_TOKEN],
  uiOrigins: [UI],
  namespace: 'default',
  sessionTtlMs: 3_600_000,
  now: () => now,
  logger,
});
afterAll(() => app.close());

const decode = (headers: Record<string, string>, payloads: unknown[]) =>
  app.inject({
    method: 'POST',
    url: '/decode',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    payload: { payloads },
  });

describe('codec server over inject', () => {
  it('decodes and encodes for a caller with a token (the CLI: --codec-auth "Bearer …")', async () => {
    const response = await decode({ authorization: `Bearer ${TOKEN}` }, [
      await encrypted({ name: SECRET_NAME }),
    ]);
    expect(response.statusCode).toBe(200);
    const [payload] = response.json<{ payloads: { metadata: Record<string, string>; data: string }[] }>()
      .payloads;
    expect(defaultPayloadConverter.fromPayload(fromJson(payload!))).toEqual({ name: SECRET_NAME });

    const plain = asJson(defaultPayloadConverter.toPayload('typed in the UI'));
    const encoded = await app.inject({
      method: 'POST',
      url: '/encode',
      headers: { authorization: `Bearer ${OLD_TOKEN}`, 'content-type': 'application/json' },
      payload: { payloads: [plain] },
    });
    expect(encoded.statusCode).toBe(200);
    const [sealed] = encoded.json<{ payloads: { metadata: Record<string, string>; data: string }[] }>()
      .payloads;
    expect(Buffer.from(sealed!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(defaultPayloadConverter.fromPayload((await codec.decode([fromJson(sealed!)]))[0]!)).toBe(
      'typed in the UI',
    );
  });

  it('reads an empty list left out, as protobuf JSON writes it (the temporal CLI)', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/decode',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: {},
    });
    expect(response.json()).toEqual({ payloads: [] });
  });

  it('passes plaintext payloads through and names an unknown key id', async () => {
    const plain = asJson(defaultPayloadConverter.toPayload('written before the codec'));
    const passed = await decode({ authorization: `Bearer ${TOKEN}` }, [plain]);
    expect(passed.json()).toEqual({ payloads: [plain] });
    const other = new AesGcmPayloadCodec(parseCodecKeys(`k9:${Buffer.alloc(32, 9).toString('base64')}`));
    const foreign = asJson((await other.encode([defaultPayloadConverter.toPayload('x')]))[0]!);
    const refused = await decode({ authorization: `Bearer ${TOKEN}` }, [foreign]);
    expect(refused.statusCode).toBe(422);
    expect(refused.json<{ error: string }>().error).toMatch(/key id "k9", which is not configured/);
    expect(refused.body).not.toContain(KEY);
  });

  it('refuses a caller without a valid token, whatever its Origin', async () => {
    const payloads = [await encrypted({ name: SECRET_NAME })];
    for (const headers of [
      {} as Record<string, string>,
      { origin: UI },
      { authorization: `Bearer ${'x'.repeat(40)}` },
      { authorization: TOKEN },
    ]) {
      const response = await decode(headers, payloads);
      expect(response.statusCode, JSON.stringify(headers)).toBe(401);
      expect(response.body).not.toContain(SECRET_NAME);
    }
  });

  it('answers CORS for the UI origin only, and refuses other pages even with a token', async () => {
    const preflight = (origin: string) =>
      app.inject({
        method: 'OPTIONS',
        url: '/decode',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-namespace',
        },
      });
    const ok = await preflight(UI);
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(UI);
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    expect(String(ok.headers['access-control-allow-headers'])).toMatch(/x-namespace/i);
    const evil = await preflight('https://evil.example.com');
    expect(evil.statusCode).toBe(403);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();

    const withToken = await decode({ origin: 'https://evil.example.com', authorization: `Bearer ${TOKEN}` }, [
      await encrypted('x'),
    ]);
    expect(withToken.statusCode).toBe(403);
    const fromUi = await decode({ origin: UI, authorization: `Bearer ${TOKEN}` }, [await encrypted('x')]);
    expect(fromUi.statusCode).toBe(200);
    expect(fromUi.headers['access-control-allow-origin']).toBe(UI);
  });

  it('decodes for one namespace only', async () => {
    const response = await decode({ authorization: `Bearer ${TOKEN}`, 'x-namespace': 'other' }, [
      await encrypted('x'),
    ]);
    expect(response.statusCode).toBe(403);
  });

  it('refuses a body that is not a payload list', async () => {
    for (const payload of [
      { payloads: {} },
      { payloads: [{ data: '***' }] },
      { payloads: [{ metadata: { a: '!' } }] },
    ]) {
      const response = await app.inject({
        method: 'POST',
        url: '/decode',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(400);
    }
  });

  it('signs a browser in with a token: an HttpOnly session cookie that expires and dies with its token', async () => {
    const wrong = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${'x'.repeat(40)}`,
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const crossSite = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example.com' },
      payload: `token=${TOKEN}`,
    });
    expect(crossSite.statusCode).toBe(403);

    const login = await app.inject({
      method: 'POST',
      url: '/login',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        host: 'codec.example.com',
        origin: 'https://codec.example.com',
      },
      payload: `token=${OLD_TOKEN}`,
    });
    expect(login.statusCode).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=None; Secure/);
    expect(setCookie).not.toContain(OLD_TOKEN);
    const cookie = setCookie.split(';')[0]!;
    expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);

    const payloads = [await encrypted({ name: SECRET_NAME })];
    expect((await decode({ origin: UI, cookie }, payloads)).statusCode).toBe(200);
    const forged = cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await decode({ origin: UI, cookie: forged }, payloads)).statusCode).toBe(401);

    const withoutOldToken = buildCodecServerApp({
      codec,
      tokens: [TOKEN],
      uiOrigins: [UI],
      namespace: 'default',
      now: () => now,
    });
    const revoked = await withoutOldToken.inject({
      method: 'POST',
      url: '/decode',
      headers: { origin: UI, cookie, 'content-type': 'application/json' },
      payload: { payloads },
    });
    expect(revoked.statusCode).toBe(401);
    await withoutOldToken.close();

    now += 3_600_001;
    expect((await decode({ origin: UI, cookie }, payloads)).statusCode).toBe(401);
  });

  it('logs no payload, token or cookie', () => {
    const text = logged.join('');
    expect(text).toContain('/decode');
    for (const secret of [TOKEN, OLD_TOKEN, SESSION_COOKIE, SECRET_NAME, KEY, 'binary/encrypted']) {
      expect(text, secret).not.toContain(secret);
    }
  });
});

describe('codec server over a real socket', () => {
  let server: RunningCodecServer;
  const UI_LOCAL = 'http://localhost:8233';
  beforeAll(async () => {
    server = await startCodecServer(
      { codec, tokens: [TOKEN], uiOrigins: [UI_LOCAL], namespace: 'default' },
      { port: 0, host: '127.0.0.1' },
    );
  });
  afterAll(() => server.close());

  const post = (headers: Record<string, string>, body: unknown) =>
    fetch(`${server.url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
      body: JSON.stringify(body),
    });

  it('decodes for the UI origin with a token, refuses another origin and a caller without one', async () => {
    const body = { payloads: [await encrypted({ name: SECRET_NAME })] };
    const ok = await post({ origin: UI_LOCAL, authorization: `Bearer ${TOKEN}` }, body);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI_LOCAL);
    expect(await ok.text()).not.toContain('binary/encrypted');

    const otherOrigin = await post(
      { origin: 'http://localhost:9999', authorization: `Bearer ${TOKEN}` },
      body,
    );
    expect(otherOrigin.status).toBe(403);
    expect(otherOrigin.headers.get('access-control-allow-origin')).toBeNull();
    const anonymous = await post({ origin: UI_LOCAL }, body);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain(SECRET_NAME);
  });

  it('sets a Lax cookie without Secure when the UI is on loopback http (the dev stack)', async () => {
    const login = await fetch(`${server.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Lax$/);
  });
});

describe('codec server configuration', () => {
  const base = { PAYLOAD_CODEC_KEYS: `k1:${KEY}`, CODEC_SERVER_TOKENS: TOKEN, CODEC_SERVER_UI_ORIGINS: UI };

  it('reads its settings with defaults', () => {
    const config = loadCodecServerConfig(base);
    expect(config).toMatchObject({
      port: 8789,
      host: '0.0.0.0',
      uiOrigins: [UI],
      namespace: 'default',
      sessionTtlMs: 8 * 3_600_000,
    });
    expect(config.codecKeys.map((k) => k.id)).toEqual(['k1']);
  });

  it('lists every problem, quoting no token or key', () => {
    const problems = (() => {
      try {
        loadCodecServerConfig({
          CODEC_SERVER_TOKENS: 'short-token',
          CODEC_SERVER_UI_ORIGINS: 'http://ui.example.com,https://ui.example.com/path',
        });
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      return [];
    })();
    expect(problems).toEqual([
      'CODEC_SERVER_TOKENS.0 must be at least 32 bytes (it has 11)',
      'CODEC_SERVER_UI_ORIGINS: "http://ui.example.com" must use https (http only for loopback)',
      expect.stringMatching(/^CODEC_SERVER_UI_ORIGINS: "https:\/\/ui.example.com\/path" must be an origin/),
      'PAYLOAD_CODEC_KEYS or PAYLOAD_CODEC_KEYS_FILE is required (the keys the worker encrypts with)',
    ]);
    expect(problems.join()).not.toContain('short-token');
  });

  it('as a process: exits 2 on a bad configuration without echoing a secret', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin/codec-server.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        CODEC_SERVER_TOKENS: 'short-token',
        PAYLOAD_CODEC_KEYS: `k1:${KEY.slice(0, 30)}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(output).toContain('codec-server: invalid configuration');
    expect(output).toContain('CODEC_SERVER_UI_ORIGINS is required');
    expect(output).not.toContain('short-token');
    expect(output).not.toContain(KEY.slice(0, 30));
  });
});
