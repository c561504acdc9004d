/**
 * TDG's REST API under `/{version}`: auth, create job, get job. Each request passes a gate that
 * counts it, applies injected latency and faults (like a gateway in front of the real API would),
 * then checks the API key and token.
 */
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  drawFault,
  injectedErrorBody,
  MAINTENANCE_URL,
  maintenancePage,
  malformedBody,
  outagePage,
} from './faults.js';
import { ApiError, isJsonContentType } from './http-errors.js';
import { parseCreateJobBody } from './job-request.js';
import { isTerminalState } from '../../src/contract/index.js';
import type { CompletedBatchList } from './faults.js';
import { observe, progressAt, type JobProgress, type SimJob } from './jobs.js';
import type { SimulatorState } from './state.js';
import type { ApiRoute } from './stats.js';

type Gate = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

const MAX_LIVE_TOKENS = 10_000;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Drops the connection without an answer: a TCP RST on a real socket, a destroyed response under inject(). */
export function resetConnection(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.hijack();
  const socket: unknown = request.raw.socket;
  if (socket instanceof Socket && !socket.destroyed) socket.resetAndDestroy();
  else reply.raw.destroy();
  return reply;
}

/** A down API's answer (503 with an HTML page); also used for unknown routes during an outage. */
export function sendOutage(reply: FastifyReply): FastifyReply {
  const raw = outagePage();
  return reply.code(503).type(raw.contentType).send(raw.body);
}

/** How far along a lagging read shows a job that has in fact ended: still IN_PROGRESS, nearly done. */
export const LAGGING_READ_FRACTION = 0.99;

/**
 * getJob's body, in exactly TDG's documented shape and field order; `batchList` other than `full`
 * leaves a COMPLETED job's list out or cuts it (the `completedBatchList` fault).
 */
export function renderJob(
  job: SimJob,
  progress: JobProgress,
  trailingComma: boolean,
  batchList: CompletedBatchList = 'full',
): string {
  const head = {
    state: progress.state,
    number_batches_waiting_for_upload: progress.counts.waitingForUpload,
    number_batches_queued: progress.counts.queued,
    number_batches_in_progress: progress.counts.inProgress,
    number_batches_completed: progress.counts.completed,
    number_batches_failed: progress.counts.failed,
    number_batches_malformed: progress.counts.malformed,
    created_date: String(job.createdAt),
    output_format: 'JSON',
  };
  const cut = progress.state !== 'COMPLETED' ? 'full' : batchList;
  if (cut === 'missing') return JSON.stringify(head);
  const listed =
    cut === 'empty' ? [] : cut === 'short' ? progress.batchList.slice(0, -1) : progress.batchList;
  const ids = listed.map((id) => JSON.stringify(id));
  // TDG's own example ends batch_list with `,]`; clients must cope with that.
  const list = trailingComma && ids.length > 0 ? `[${ids.join(',')},]` : `[${ids.join(',')}]`;
  return `${JSON.stringify(head).slice(0, -1)},"batch_list":${list}}`;
}

export function registerTdgRoutes(api: FastifyInstance, state: SimulatorState): void {
  const { options } = state;
  const routeOf = new WeakMap<FastifyRequest, ApiRoute>();
  const malformedFor = new WeakMap<FastifyRequest, 'truncated' | 'html'>();
  const delayFor = new WeakMap<FastifyRequest, number>();

  /** A job's own slowness (its `[sim createLatency=… getLatency=…]` tag), on top of the gate's. */
  const addDelay = (request: FastifyRequest, ms: number | undefined): void => {
    if (ms !== undefined && ms > 0) delayFor.set(request, (delayFor.get(request) ?? 0) + ms);
  };

  const checkApiKey = (request: FastifyRequest): string => {
    const key = header(request, 'x-api-key');
    if (key === undefined || key === '') throw new ApiError(401, 'missing x-api-key header');
    if (key !== options.apiKey && !options.restrictedApiKeys.has(key))
      throw new ApiError(401, 'invalid API key');
    return key;
  };

  const checkToken = (request: FastifyRequest): void => {
    const token = header(request, 'authorizationtoken');
    if (token === undefined || token === '') throw new ApiError(401, 'missing AuthorizationToken header');
    if (options.staticTokens.has(token)) return;
    const expiresAt = state.tokens.get(token);
    if (expiresAt === undefined) throw new ApiError(401, 'unknown authorization token');
    if (options.now() >= expiresAt) {
      state.tokens.delete(token);
      throw new ApiError(401, 'authorization token expired');
    }
  };

  const gate =
    (route: ApiRoute, needsToken: boolean): Gate =>
    async (request, reply) => {
      state.stats.requests[route]++;
      routeOf.set(request, route);
      // Drawn on arrival, before any delay, so concurrent requests keep the seed's order.
      const fault = drawFault(state.prng.faults, state.faults);
      const routeDelayMs =
        route === 'POST /job'
          ? state.faults.createJobLatencyMs
          : route === 'GET /job'
            ? state.faults.getJobLatencyMs
            : 0;
      // The answer is slow, not the work: like a real API, TDG does what was asked even when the
      // caller hangs up while waiting (a createJob whose answer never arrives still made a job).
      const backendAnswers = fault.kind === 'none' || fault.kind === 'malformed';
      // Only the API behind the gateway is slow: an injected gateway answer carries no route delay.
      const delayMs = fault.delayMs + (backendAnswers ? routeDelayMs : 0);
      if (delayMs > 0) delayFor.set(request, delayMs);
      const injected = state.stats.faultsInjected;
      if (fault.kind === 'outage') {
        injected.outage++;
        return sendOutage(reply);
      }
      if (fault.kind === 'reset') {
        injected.reset++;
        return resetConnection(request, reply);
      }
      if (fault.kind === 'hang') {
        injected.hang++;
        state.hung.hold(reply);
        return reply;
      }
      if (fault.kind === 'rateLimit') {
        injected.rateLimit++;
        return reply
          .code(429)
          .header('retry-after', String(fault.retryAfterSeconds))
          .send({ error: 'too many requests (injected fault)' });
      }
      if (fault.kind === 'error') {
        injected.error++;
        const raw = injectedErrorBody(fault.status, fault.textBody);
        return reply.code(fault.status).type(raw.contentType).send(raw.body);
      }
      if (fault.kind === 'redirect') {
        injected.redirect++;
        return reply
          .code(fault.status)
          .header('location', MAINTENANCE_URL)
          .type('text/html; charset=utf-8')
          .send(`<html><body>Moved: <a href="${MAINTENANCE_URL}">maintenance</a></body></html>\n`);
      }
      if (fault.kind === 'notFound') {
        injected.notFound++;
        const jobId = (request.params as { jobId?: unknown } | undefined)?.jobId;
        const message =
          typeof jobId === 'string'
            ? `job not found: ${jobId.slice(0, 100)}`
            : `no route ${request.method} ${request.url.split('?')[0]?.slice(0, 200) ?? ''}`;
        return reply.code(404).send({ error: message });
      }
      if (fault.kind === 'html') {
        injected.html++;
        const raw = maintenancePage();
        return reply.code(200).type(raw.contentType).send(raw.body);
      }
      if (fault.kind === 'malformed') malformedFor.set(request, fault.variant);
      const key = checkApiKey(request);
      if (needsToken) {
        checkToken(request);
        if (options.restrictedApiKeys.has(key)) {
          throw new ApiError(
            403,
            'this API key belongs to a restricted (trial) account: the asynchronous job URIs are not permitted',
          );
        }
      }
      return undefined;
    };

  // Fastify only parses bodies it has a parser for; a POST without any body or content type still needs a 415.
  const requireJson = (
    request: FastifyRequest,
    _reply: FastifyReply,
    done: (error?: Error) => void,
  ): void => {
    if (isJsonContentType(header(request, 'content-type'))) done();
    else done(new ApiError(415, 'Content-Type must be application/json'));
  };

  api.addHook('onSend', async (request, reply, payload) => {
    const delayMs = delayFor.get(request);
    if (delayMs !== undefined) await sleep(delayMs);
    const variant = malformedFor.get(request);
    if (variant === undefined || reply.statusCode !== 200 || typeof payload !== 'string') return payload;
    state.stats.faultsInjected.malformed++;
    const raw = malformedBody(variant, payload);
    reply.header('content-type', raw.contentType);
    return raw.body;
  });

  api.addHook('onResponse', async (request, reply) => {
    const route = routeOf.get(request);
    if (route !== undefined) state.stats.countResponse(route, reply.statusCode);
    state.afterApiCall();
  });

  api.post('/auth', { onRequest: gate('POST /auth', false), preValidation: requireJson }, (request) => {
    const body = request.body;
    const credentials =
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : null;
    const username = credentials?.['username'];
    const password = credentials?.['password'];
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new ApiError(
        400,
        'request body must be a JSON object with string fields "username" and "password"',
      );
    }
    if (options.username === '' || username !== options.username || password !== options.password) {
      throw new ApiError(401, 'invalid username or password');
    }
    const now = options.now();
    if (state.tokens.size >= MAX_LIVE_TOKENS) {
      for (const [token, expiresAt] of state.tokens) if (expiresAt <= now) state.tokens.delete(token);
    }
    const token = state.prng.tokens.hex(40);
    state.tokens.set(token, now + options.tokenTtlMs);
    state.stats.tokensIssued++;
    request.log.info({ expiresInSeconds: Math.floor(options.tokenTtlMs / 1000) }, 'token issued');
    return { [options.tokenField]: token, expires_in: Math.floor(options.tokenTtlMs / 1000) };
  });

  api.post(
    '/async/append/email/job',
    { onRequest: gate('POST /job', true), preValidation: requireJson },
    (request) => {
      const { name, scenario, notification } = parseCreateJobBody(request.body, {
        ...options.defaults,
        notify: state.settings.notificationMode,
      });
      const job = state.jobs.create(name, scenario, notification, options.now());
      addDelay(request, scenario.createLatencyMs);
      state.stats.countJob(name);
      state.onJobCreated(job);
      request.log.info(
        { jobId: job.id, name, scenario, notification: notification === null ? null : notification.method },
        'job created',
      );
      return { job_id: job.id };
    },
  );

  api.get<{ Params: { jobId: string } }>(
    '/async/append/email/job/:jobId',
    { onRequest: gate('GET /job', true) },
    async (request, reply) => {
      const job = state.jobs.get(request.params.jobId);
      if (job === undefined) throw new ApiError(404, `job not found: ${request.params.jobId.slice(0, 100)}`);
      job.getJobCalls++;
      addDelay(request, job.scenario.getLatencyMs);
      const at = options.now();
      const { faults } = state;
      let progress = observe(job, at);
      if (
        faults.terminalReadLagMs > 0 &&
        isTerminalState(progress.state) &&
        job.terminalAt !== null &&
        at < job.terminalAt + faults.terminalReadLagMs
      ) {
        // The notification has gone out; this replica has not seen the end yet.
        progress = progressAt(job.plan, LAGGING_READ_FRACTION);
        state.stats.faultsInjected.laggingRead++;
      }
      if (progress.state === 'COMPLETED' && faults.completedBatchList !== 'full') {
        state.stats.faultsInjected.incompleteBatchList++;
      }
      const body = renderJob(job, progress, faults.trailingCommaBodies, faults.completedBatchList);
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );
}
