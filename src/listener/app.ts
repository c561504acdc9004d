/**
 * The listener as a fastify app factory (separate from listen(), so tests use inject()).
 * TDG's notification, a call to `/notifications/{workflowId}?sig=…` when a job changes, is unsigned
 * and its payload undocumented, so the URL's signature is the only proof, and it is only a hint.
 *
 * Order of checks (each answer is chosen so TDG retries exactly when retrying can help):
 *   signature (401) → workflow id shape (404) → body (413/415/400) → Temporal (202/404/200/503).
 */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { hintedStateOf, isRunningState } from '../contract/index.js';
import { verifySignature } from '../platform/notify-url.js';
import { readBody } from './body.js';
import { buildHint, queryFields } from './hint.js';
import { silentLogger, withLogSerializers, type ServiceLogger } from '../platform/log.js';
import type { NotifyOutcome, WorkflowNotifier } from './notifier.js';

export type { NotifyOutcome, WorkflowNotifier } from './notifier.js';

export const NOTIFICATIONS_PATH = '/notifications';
export const HEALTH_PATH = '/healthz';
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;
export const MAX_WORKFLOW_ID_LENGTH = 200;
export const RETRY_AFTER_SECONDS = 30;
export const DEFAULT_MAX_CONCURRENT_SIGNALS = 256;

export interface ListenerDeps {
  /** Current secret first, then NOTIFY_SECRET_PREVIOUS (URLs of running jobs stay valid during rotation). */
  secrets: readonly string[];
  notifier: WorkflowNotifier;
  /**
   * Fastify's logger: `createServiceLogger('listener')` in the process; silent when omitted (tests,
   * dev stack). The request serializers of src/platform/log.ts are applied whatever logger is given.
   */
  logger?: ServiceLogger;
  bodyLimitBytes?: number;
  now?: () => Date;
  /** Beyond this many signals awaiting Temporal, callers get 503 at once instead of queueing. */
  maxConcurrentSignals?: number;
  /**
   * Also signal hints that name a running state (LISTENER_FORWARD_RUNNING_HINTS). Off by default:
   * the workflow makes no check for them, so each would only cost a signal and a workflow task
   * (4 history events, a billed action). Hints naming COMPLETED, FAILED or no readable state are
   * always signalled.
   */
  forwardRunningHints?: boolean;
}

interface NotificationRoute {
  Params: { workflowId: string };
  Querystring: Record<string, unknown>;
  Body: Buffer | undefined;
}

/** Where a path is known but the method is not: 405 with Allow, rather than 404. */
const ALLOWED_METHODS: readonly { pattern: RegExp; allow: string }[] = [
  { pattern: /^\/notifications\/[^/]+$/, allow: 'GET, POST' },
  { pattern: /^\/healthz$/, allow: 'GET, HEAD' },
];

const OUTCOME_ANSWERS: Record<Exclude<NotifyOutcome, 'unavailable'>, { status: number; body: object }> = {
  signalled: { status: 202, body: { status: 'accepted' } },
  // The id was signed by us but Temporal has never heard of it: retrying cannot help.
  'not-found': { status: 404, body: { error: 'unknown workflow' } },
  // A 2xx so TDG stops retrying: the job already finished, there is nothing to wake.
  closed: { status: 200, body: { status: 'already closed' } },
};

function pathOf(url: string): string {
  const cut = url.search(/[?#]/);
  return cut < 0 ? url : url.slice(0, cut);
}

/**
 * For answers given before the body is read (401, 404, 405): Node would otherwise discard an
 * unread body for as long as the caller keeps sending it. Up to the body limit it is drained, so
 * the connection stays reusable; beyond, the socket is closed.
 */
function drainBodyWithin(request: FastifyRequest, limit: number): void {
  const raw = request.raw;
  if (raw.readableEnded) return;
  let seen = 0;
  raw.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    // In-process injection has no real socket; destroying the request stream then suffices.
    if (seen > limit) (typeof raw.socket?.destroy === 'function' ? raw.socket : raw).destroy();
  });
}

function retryLater(reply: FastifyReply, error: string): FastifyReply {
  return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ error });
}

/** Fastify's own errors (body too large, bad media type, timeouts) in this app's JSON shape. */
function frameworkAnswer(error: FastifyError): { status: number; error: string } {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, error: 'body too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, error: 'unsupported content type' };
    case 'FST_ERR_BAD_URL':
      return { status: 400, error: 'malformed url' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { status: 404, error: 'unknown workflow' };
    case 'FST_ERR_HANDLER_TIMEOUT':
      return { status: 503, error: 'timed out' };
    default: {
      const status = error.statusCode ?? 500;
      return status >= 400 && status < 500
        ? { status, error: 'bad request' }
        : { status: 500, error: 'internal error' };
    }
  }
}

export function buildListenerApp(deps: ListenerDeps): FastifyInstance {
  const logger: FastifyBaseLogger = withLogSerializers(deps.logger ?? silentLogger);
  const now = deps.now ?? (() => new Date());
  const bodyLimit = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const maxInFlight = deps.maxConcurrentSignals ?? DEFAULT_MAX_CONCURRENT_SIGNALS;
  const secrets = deps.secrets.filter((secret) => secret.length > 0);
  if (secrets.length === 0)
    throw new TypeError('buildListenerApp: at least one non-empty secret is required');
  let inFlight = 0;
  let healthCheck: Promise<boolean> | undefined;

  const app = Fastify({
    // Fastify logs each request (incoming, completed) through it; its serializer redacts the `sig`.
    loggerInstance: logger,
    bodyLimit,
    // A slow or stalled caller must not hold a socket: the whole request within 10 s, idle sockets 30 s.
    requestTimeout: 10_000,
    connectionTimeout: 30_000,
    keepAliveTimeout: 5_000,
    // The notifier bounds each signal itself; this is the backstop so no handler waits forever.
    handlerTimeout: 15_000,
    forceCloseConnections: 'idle',
    // HEAD must never run the GET handler: it would send the workflow a hint.
    exposeHeadRoutes: false,
    // Percent-encoded ids (unicode, `/`) are up to 12 characters per character of the id.
    routerOptions: { maxParamLength: 4096 },
    frameworkErrors: (error, _request, reply) => {
      const answer = frameworkAnswer(error);
      void (reply as FastifyReply).code(answer.status).send({ error: answer.error });
    },
  });

  // One catch-all that never fails: the body is read only after the signature has been checked.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = frameworkAnswer(error);
    if (answer.status >= 500) {
      request.log.error({ error: error.code ?? error.name }, 'request failed');
    }
    if (answer.status === 503) return retryLater(reply, answer.error);
    return reply.code(answer.status).send({ error: answer.error });
  });

  const answerUnrouted = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    drainBodyWithin(request, bodyLimit);
    const path = pathOf(request.url);
    const known = ALLOWED_METHODS.find(({ pattern }) => pattern.test(path));
    if (known) return reply.code(405).header('allow', known.allow).send({ error: 'method not allowed' });
    return reply.code(404).send({ error: 'not found' });
  };
  // Answered before the body is read, so a body never turns a 404/405 into a 413/415.
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return answerUnrouted(request, reply);
  });
  app.setNotFoundHandler(answerUnrouted);

  const requireSignature = async (request: FastifyRequest<NotificationRoute>, reply: FastifyReply) => {
    if (!verifySignature(secrets, request.params.workflowId, request.query.sig)) {
      drainBodyWithin(request, bodyLimit);
      return reply.code(401).send({ error: 'invalid signature' });
    }
  };

  const handleNotification = async (request: FastifyRequest<NotificationRoute>, reply: FastifyReply) => {
    const { workflowId } = request.params;
    // Reached only with a valid signature, so this is our own URL with an id Temporal would refuse.
    if (workflowId.length === 0 || workflowId.length > MAX_WORKFLOW_ID_LENGTH) {
      return reply.code(404).send({ error: 'unknown workflow' });
    }
    const { sig: _sig, ...query } = request.query;
    const fields = queryFields(query);
    if (request.method === 'POST') {
      const body = readBody(request.headers['content-type'], request.body);
      if (!body.ok) return reply.code(body.status).send({ error: body.error });
      fields.push(...body.fields);
    }
    if (inFlight >= maxInFlight) return retryLater(reply, 'too many notifications in flight');

    const hint = buildHint(request.method, now(), fields);
    const hinted = hintedStateOf(hint.fields);
    if (!deps.forwardRunningHints && hinted !== null && isRunningState(hinted)) {
      request.log.info(
        { workflowId, state: hinted },
        'hint names a running state: acknowledged, not signalled',
      );
      return reply.code(202).send({ status: 'accepted' });
    }
    inFlight++;
    let outcome: NotifyOutcome;
    try {
      outcome = await deps.notifier.notify(workflowId, hint);
    } catch (error) {
      request.log.error(
        { workflowId, error: error instanceof Error ? error.name : 'unknown' },
        'signal failed',
      );
      return reply.code(500).send({ error: 'internal error' });
    } finally {
      inFlight--;
    }
    if (outcome !== 'signalled') request.log.warn({ workflowId, outcome }, 'notification not delivered');
    if (outcome === 'unavailable') return retryLater(reply, 'temporal unavailable');
    const answer = OUTCOME_ANSWERS[outcome];
    return reply.code(answer.status).send(answer.body);
  };

  app.route<NotificationRoute>({
    method: ['GET', 'POST'],
    url: `${NOTIFICATIONS_PATH}/:workflowId`,
    onRequest: requireSignature,
    handler: handleNotification,
  });

  app.route({
    method: 'GET',
    url: HEALTH_PATH,
    exposeHeadRoute: true,
    handler: async (_request, reply) => {
      // Concurrent probes share one round trip, so a burst of them cannot flood Temporal.
      healthCheck ??= deps.notifier
        .healthy()
        .catch(() => false)
        .finally(() => {
          healthCheck = undefined;
        });
      const reachable = await healthCheck;
      return reachable
        ? reply.code(200).send({ status: 'ok', temporal: 'reachable' })
        : reply.code(503).send({ status: 'degraded', temporal: 'unreachable' });
    },
  });

  return app;
}
