/**
 * The codec server as a fastify app factory (separate from listen(), so tests use inject()):
 * Temporal's remote codec protocol for the Web UI and the `temporal` CLI. `POST /decode` and
 * `POST /encode` take and return `{"payloads": [{"metadata": {name: base64}, "data": base64}]}`;
 * the UI names its namespace in `X-Namespace`.
 *
 * Order of checks: Origin (403; CORS answers only the configured UI origins) → caller (401: a
 * bearer token or a session cookie, auth.ts) → namespace (403) → body (400) → codec (422 when a
 * payload cannot be decrypted, e.g. its key id is not configured). Payloads, tokens and cookies
 * are never logged: fastify logs method, URL and status only (src/platform/log.ts).
 */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { silentLogger, withLogSerializers, type ServiceLogger } from '../platform/log.js';
import { PayloadDecryptionError } from '../platform/payload-codec.js';
import { isLoopbackHost } from '../platform/url-host.js';
import {
  SESSION_COOKIE,
  bearerToken,
  cookieValue,
  matchingToken,
  newSession,
  sessionCookie,
  validSession,
} from './auth.js';

export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
export const DEFAULT_SESSION_TTL_MS = 8 * 3_600_000;

export interface CodecServerDeps {
  codec: PayloadCodec;
  /** CODEC_SERVER_TOKENS: secrets, never logged. */
  tokens: readonly string[];
  /** The Web UI's origins (CODEC_SERVER_UI_ORIGINS): the only pages allowed to call from a browser. */
  uiOrigins: readonly string[];
  /** The namespace whose payloads these keys protect; a request naming another one is refused. */
  namespace: string;
  sessionTtlMs?: number;
  /** Fastify's logger; silent when omitted (tests, dev stack). */
  logger?: ServiceLogger;
  now?: () => number;
  bodyLimitBytes?: number;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isBase64(value: unknown): value is string {
  return typeof value === 'string' && BASE64.test(value);
}

/** The request body's payloads, or a reason it is not one. */
function payloadsOf(body: unknown): Payload[] | string {
  // Protobuf's JSON leaves an empty list out: the `temporal` CLI sends `{}` for no payloads.
  const payloads = (body as { payloads?: unknown } | null)?.payloads ?? [];
  if (!Array.isArray(payloads)) return 'the body must be {"payloads": [...]}';
  const out: Payload[] = [];
  for (const [index, item] of payloads.entries()) {
    const { metadata = {}, data = '' } = (item ?? {}) as JsonPayload;
    if (typeof metadata !== 'object' || metadata === null || !isBase64(data))
      return `payload ${index}: metadata must map names to base64 and data must be base64`;
    const entries = Object.entries(metadata);
    if (!entries.every(([, value]) => isBase64(value)))
      return `payload ${index}: metadata values must be base64`;
    out.push({
      metadata: Object.fromEntries(entries.map(([name, value]) => [name, Buffer.from(value, 'base64')])),
      data: Buffer.from(data, 'base64'),
    });
  }
  return out;
}

const toBase64 = (bytes: Uint8Array | null | undefined): string =>
  Buffer.from(bytes ?? []).toString('base64');

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([name, value]) => [name, toBase64(value)]),
    ),
    data: toBase64(payload.data),
  };
}

const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

const LOGIN_FORM = `<p>Sign in with a codec server token to let the Temporal Web UI show decrypted job data in this browser.</p>
<form method="post" action="login"><label>Token <input type="password" name="token" autocomplete="off" required></label> <button type="submit">Sign in</button></form>`;

export function buildCodecServerApp(deps: CodecServerDeps): FastifyInstance {
  const now = deps.now ?? Date.now;
  const ttlMs = deps.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const allowed = new Set(deps.uiOrigins);
  // Secure cookies need https; a loopback-only setup (the dev stack) runs on plain http.
  const secureCookies = deps.uiOrigins.some((origin) => !isLoopbackHost(new URL(origin).hostname));
  const logger: FastifyBaseLogger = withLogSerializers(deps.logger ?? silentLogger);
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  /** The codec server's own pages (the login form posting to itself) come from its own origin. */
  const sameOrigin = (request: FastifyRequest, origin: string): boolean => {
    try {
      return new URL(origin).host === request.headers.host;
    } catch {
      return false;
    }
  };

  // CORS, limited to the UI: another page's request is refused before anything else is read.
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    if (allowed.has(origin)) {
      void reply
        .header('Access-Control-Allow-Origin', origin)
        .header('Access-Control-Allow-Credentials', 'true')
        .header('Vary', 'Origin');
      return;
    }
    if (request.url.startsWith('/login') && sameOrigin(request, origin)) return;
    await reply.code(403).header('Vary', 'Origin').send({ error: 'origin not allowed' });
  });

  // Reached only by the UI's origin (or a caller with no Origin): the headers it asks for are allowed.
  const preflight = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const asked = request.headers['access-control-request-headers'];
    await reply
      .code(204)
      .header('Access-Control-Allow-Methods', 'POST, OPTIONS')
      .header(
        'Access-Control-Allow-Headers',
        typeof asked === 'string' && /^[A-Za-z0-9-, ]{1,500}$/.test(asked)
          ? asked
          : 'Content-Type, X-Namespace, Authorization',
      )
      .header('Access-Control-Max-Age', '600')
      .send();
  };

  const authorized = (request: FastifyRequest): boolean => {
    const bearer = bearerToken(request.headers.authorization);
    if (bearer !== null) return matchingToken(deps.tokens, bearer) !== null;
    return validSession(deps.tokens, cookieValue(request.headers.cookie, SESSION_COOKIE), now());
  };

  const codecRoute =
    (operation: 'encode' | 'decode') => async (request: FastifyRequest, reply: FastifyReply) => {
      if (!authorized(request)) {
        return reply.code(401).header('WWW-Authenticate', 'Bearer realm="codec"').send({
          error: 'not authorized: send "Authorization: Bearer <token>", or sign in at /login first',
        });
      }
      const namespace = request.headers['x-namespace'];
      if (namespace !== undefined && namespace !== deps.namespace) {
        return reply.code(403).send({ error: `this codec server serves namespace "${deps.namespace}" only` });
      }
      const payloads = payloadsOf(request.body);
      if (typeof payloads === 'string') return reply.code(400).send({ error: payloads });
      try {
        const result = await deps.codec[operation](payloads);
        return await reply.send({ payloads: result.map(toJson) });
      } catch (error) {
        if (!(error instanceof PayloadDecryptionError)) throw error;
        // The message names a key id at most, never key material or payload content.
        return reply.code(422).send({ error: error.message });
      }
    };

  for (const operation of ['encode', 'decode'] as const) {
    app.options(`/${operation}`, preflight);
    app.post(`/${operation}`, codecRoute(operation));
  }

  app.get('/healthz', () => Promise.resolve({ status: 'ok' }));

  app.get('/login', async (_request, reply) =>
    reply.type('text/html').send(page('Codec server', LOGIN_FORM)),
  );

  app.post('/login', async (request, reply) => {
    const given = (request.body as { token?: unknown } | null)?.token;
    const token = typeof given === 'string' ? matchingToken(deps.tokens, given.trim()) : null;
    if (token === null) {
      return reply
        .code(401)
        .type('text/html')
        .send(page('Not signed in', `<p>That token is not valid.</p>${LOGIN_FORM}`));
    }
    const until = new Date(now() + ttlMs).toISOString();
    return reply
      .header(
        'Set-Cookie',
        sessionCookie(newSession(token, ttlMs, now()), Math.floor(ttlMs / 1000), secureCookies),
      )
      .header('Cache-Control', 'no-store')
      .type('text/html')
      .send(
        page('Signed in', `<p>This browser may decode job data until ${until}. Return to the Web UI.</p>`),
      );
  });

  app.post('/logout', async (_request, reply) =>
    reply.header('Set-Cookie', sessionCookie('', 0, secureCookies)).send({ status: 'signed out' }),
  );

  return app;
}
