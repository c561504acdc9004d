/**
 * The TDG API simulator as a fastify app factory (separate from listen(), so tests use inject()).
 * See tdg-routes.ts for the API, control-routes.ts for `/_sim/`, jobs.ts for progression.
 */
import { randomInt } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { ControlValidationError } from './control-object.js';
import { registerControlRoutes, jobView, type JobView, type SimulatorControls } from './control-routes.js';
import { DEFAULT_FAULTS, validateFaults, type Faults } from './faults.js';
import { ApiError, messageOf, statusCodeOf } from './http-errors.js';
import { isTerminalState } from '../../src/contract/index.js';
import { JobStore, observeState, type SimJob } from './jobs.js';
import { silentLogger, withLogSerializers, type ServiceLogger } from '../../src/platform/log.js';
import {
  DEFAULT_NOTIFICATION_FIELDS,
  DEFAULT_NOTIFICATION_TIMEOUT_MS,
  DEFAULT_RETRY_DELAYS_MS,
  Notifier,
  type NotificationFields,
} from './notifier.js';
import { deriveStream } from '../../src/platform/prng.js';
import { MAX_BATCHES, MAX_DURATION_MS, parseOutcome, type Outcome } from './scenario.js';
import { DEFAULT_SETTINGS, validateSettings, type NotificationMode, type Settings } from './settings.js';
import type { ResolvedOptions, SimulatorState } from './state.js';
import { SimulatorStats, type StatsView } from './stats.js';
import { HungRequests } from './hung.js';
import { registerTdgRoutes, sendOutage } from './tdg-routes.js';

export type { Faults } from './faults.js';
export type { NotificationMode, Settings } from './settings.js';
export type { NotificationFields } from './notifier.js';
export type { JobView, NotificationView } from './control-routes.js';
export type { StatsView } from './stats.js';

export interface SimulatorOptions {
  /** The only accepted x-api-key (besides `restrictedApiKeys`). */
  apiKey: string;
  /** Accepted credentials for `POST /{version}/auth`; an empty username disables password auth. */
  username: string;
  password: string;
  /** Tokens always accepted (so a static TDG_AUTH_TOKEN works). */
  staticTokens?: string[];
  /** Keys of "trial" accounts: 403 on the async job URIs (auth still works). */
  restrictedApiKeys?: string[];
  /** Default 8h; an expired token gets 401. */
  tokenTtlMs?: number;
  /** Name of the token field in the auth response, default 'token'. */
  tokenField?: string;
  /** Default ['v3']; other versions get 404. */
  versions?: string[];
  /** PRNG seed (job ids, tokens, fault draws); random when omitted (see `Simulator.seed`). */
  seed?: number;
  /** Scenario defaults for names without a `[sim ...]` tag. Default 10s, 5 batches, COMPLETED. */
  defaults?: { durationMs: number; batches: number; outcome: Outcome };
  faults?: Partial<Faults>;
  /**
   * `changes` (default): a notification on every state change; `terminal`: one, when the job ends.
   * A job's `[sim notify=...]` tag overrides it; switchable at run time (`PUT /_sim/settings`).
   */
  notificationMode?: NotificationMode;
  /** Names of the job id and state in notifications (GET query, POST body); default job_id, state. */
  notificationFields?: Partial<NotificationFields>;
  /** Injectable clock, default Date.now. */
  now?: () => number;
  /**
   * Fastify's logger: `createServiceLogger('simulator')` in the process; silent when omitted (tests,
   * dev stack, benchmarks). The request serializers of src/platform/log.ts are applied whatever logger is given.
   */
  logger?: ServiceLogger;
  /** How often the background check for state changes (notifications) runs; 0 disables it. Default 50. */
  tickIntervalMs?: number;
  /** Waits before notification retries; default [200, 1000, 3000] (three retries). */
  notificationRetryDelaysMs?: number[];
  /** Per-attempt notification timeout, default 5000. */
  notificationTimeoutMs?: number;
}

export interface Simulator extends SimulatorControls {
  app: FastifyInstance;
  /** The seed in use (logged by main.ts so a run can be reproduced). */
  seed: number;
  /** Runs one pass of the background state-change check now (useful with an injected clock). */
  checkNotifications(): void;
  /** Resolves when every queued notification delivery has settled. */
  notificationsIdle(): Promise<void>;
  /** Stops the ticker, aborts notification deliveries and closes the app. Idempotent. */
  close(): Promise<void>;
}

export class SimulatorOptionsError extends Error {
  override readonly name = 'SimulatorOptionsError';
}

export const DEFAULT_TOKEN_TTL_MS = 8 * 3_600_000;
export const DEFAULT_SCENARIO = { durationMs: 10_000, batches: 5, outcome: 'COMPLETED' } as const;
export const BODY_LIMIT_BYTES = 1_048_576;
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]*$/;

function invalid(message: string): never {
  throw new SimulatorOptionsError(message);
}

function resolveOptions(opts: SimulatorOptions): ResolvedOptions {
  if (typeof opts.apiKey !== 'string' || opts.apiKey === '') invalid('apiKey must be a non-empty string');
  if (typeof opts.username !== 'string' || typeof opts.password !== 'string')
    invalid('username and password must be strings');
  const tokenTtlMs = opts.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS;
  if (!Number.isFinite(tokenTtlMs) || tokenTtlMs <= 0) invalid('tokenTtlMs must be a positive number');
  const tokenField = opts.tokenField ?? 'token';
  if (tokenField === '' || tokenField === 'expires_in')
    invalid('tokenField must be a non-empty name other than expires_in');
  const versions = opts.versions ?? ['v3'];
  if (versions.length === 0) invalid('versions must not be empty');
  for (const version of versions) {
    if (!VERSION_PATTERN.test(version) || version === '_sim')
      invalid(`invalid API version ${JSON.stringify(version)}`);
  }
  const seed = opts.seed ?? randomInt(0, 2 ** 32);
  if (!Number.isSafeInteger(seed)) invalid('seed must be an integer');
  const defaults = opts.defaults ?? DEFAULT_SCENARIO;
  if (
    !Number.isInteger(defaults.durationMs) ||
    defaults.durationMs < 0 ||
    defaults.durationMs > MAX_DURATION_MS
  ) {
    invalid('defaults.durationMs must be a whole number of ms from 0 to 366 days');
  }
  if (!Number.isInteger(defaults.batches) || defaults.batches < 0 || defaults.batches > MAX_BATCHES) {
    invalid(`defaults.batches must be a whole number from 0 to ${MAX_BATCHES}`);
  }
  const outcome = parseOutcome(String(defaults.outcome));
  if (outcome === null) invalid('defaults.outcome must be COMPLETED or FAILED');
  let faults: Faults;
  try {
    faults = { ...DEFAULT_FAULTS, ...validateFaults(opts.faults ?? {}) };
  } catch (error) {
    if (error instanceof ControlValidationError) invalid(`faults: ${error.message}`);
    throw error;
  }
  let settings: Settings;
  try {
    settings = { ...DEFAULT_SETTINGS, ...validateSettings({ notificationMode: opts.notificationMode }) };
  } catch (error) {
    if (error instanceof ControlValidationError) invalid(error.message);
    throw error;
  }
  const notificationFields = { ...DEFAULT_NOTIFICATION_FIELDS, ...opts.notificationFields };
  for (const [key, name] of Object.entries(notificationFields)) {
    if (typeof name !== 'string' || name === '')
      invalid(`notificationFields.${key} must be a non-empty string`);
  }
  if (notificationFields.jobId === notificationFields.state)
    invalid('notificationFields.jobId and notificationFields.state must differ');
  return {
    apiKey: opts.apiKey,
    username: opts.username,
    password: opts.password,
    staticTokens: new Set((opts.staticTokens ?? []).filter((t) => t !== '')),
    restrictedApiKeys: new Set((opts.restrictedApiKeys ?? []).filter((k) => k !== '')),
    tokenTtlMs,
    tokenField,
    versions,
    seed: seed >>> 0,
    defaults: { durationMs: defaults.durationMs, batches: defaults.batches, outcome },
    faults: Object.freeze(faults),
    settings: Object.freeze(settings),
    notificationFields: Object.freeze(notificationFields),
    now: opts.now ?? Date.now,
    logger: withLogSerializers(opts.logger ?? silentLogger),
  };
}

export function buildSimulator(opts: SimulatorOptions): Simulator {
  const options = resolveOptions(opts);
  const { now, logger } = options;
  const prng = {
    ids: deriveStream(options.seed, 'ids'),
    tokens: deriveStream(options.seed, 'tokens'),
    faults: deriveStream(options.seed, 'faults'),
    notifications: deriveStream(options.seed, 'notifications'),
  };
  // Jobs whose notifications are still to come (terminal state not yet notified).
  const watched = new Set<SimJob>();

  const notifier = new Notifier({
    now,
    logger,
    prng: () => prng.notifications,
    dropRate: () => state.faults.dropNotificationRate,
    retryDelaysMs: opts.notificationRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    timeoutMs: opts.notificationTimeoutMs ?? DEFAULT_NOTIFICATION_TIMEOUT_MS,
    fields: options.notificationFields,
  });

  const checkNotifications = (): void => {
    const at = now();
    for (const job of watched) {
      const target = job.notification;
      const current = observeState(job, at);
      if (target !== null && current !== job.notifiedState) {
        job.notifiedState = current;
        // Terminal mode still tracks each change, so the end is sent once however it is reached.
        if (job.scenario.notify === 'changes' || isTerminalState(current))
          notifier.notify(job, target, current, state.stats.notifications);
      }
      if (target === null || isTerminalState(current)) watched.delete(job);
    }
  };

  const state: SimulatorState = {
    options,
    jobs: new JobStore(prng.ids),
    stats: new SimulatorStats(),
    faults: { ...options.faults },
    settings: { ...options.settings },
    tokens: new Map(),
    hung: new HungRequests(),
    prng,
    onJobCreated: (job) => {
      if (job.notification !== null) watched.add(job);
    },
    afterApiCall: checkNotifications,
  };

  const setFaults = (partial: Partial<Faults>): Faults => {
    state.faults = { ...state.faults, ...validateFaults(partial) };
    logger.info({ faults: state.faults }, 'faults changed');
    return { ...state.faults };
  };

  const setSettings = (partial: Partial<Settings>): Settings => {
    state.settings = { ...state.settings, ...validateSettings(partial) };
    logger.info({ settings: state.settings }, 'settings changed');
    return { ...state.settings };
  };

  const reset = (): void => {
    // PRNG streams and tokens carry on: ids stay unique across resets and running clients stay logged in.
    state.jobs = new JobStore(prng.ids);
    state.stats = new SimulatorStats();
    state.faults = { ...options.faults };
    state.settings = { ...options.settings };
    watched.clear();
    logger.info('reset: jobs and counters cleared, faults and settings restored');
  };

  const app = Fastify({
    // Fastify logs each request (incoming, completed) through it; no headers, no signature.
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT_BYTES,
    forceCloseConnections: true,
    // A HEAD on getJob must not count as a check.
    exposeHeadRoutes: false,
    // Bad URLs (e.g. broken percent-encoding) never reach a route; answer them in the same JSON shape.
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).code(400).send({ error: error.message });
    },
  });

  app.setErrorHandler((error, request, reply) => {
    const status = statusCodeOf(error);
    if (status >= 500) request.log.error({ error: messageOf(error) }, 'internal error');
    // Only a JSON parser is registered, so fastify's generic 415 always means "not JSON".
    const message =
      status >= 500
        ? 'internal simulator error'
        : status === 415
          ? 'Content-Type must be application/json'
          : messageOf(error);
    return reply.code(status).send({ error: message });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (!path.startsWith('/_sim/')) {
      state.stats.requests.other++;
      if (state.faults.outage) {
        state.stats.faultsInjected.outage++;
        return sendOutage(reply);
      }
    }
    return reply.code(404).send({ error: `no route ${request.method} ${path.slice(0, 200)}` });
  });

  // One lenient JSON parser for every route: an empty body is "no body" (the handler says what is
  // missing), broken JSON is a 400 with a JSON error, any other content type is fastify's 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new ApiError(400, `request body is not valid JSON: ${messageOf(error)}`), undefined);
    }
  });

  const jobs = (): JobView[] => [...state.jobs.all()].map((job) => jobView(job, now()));
  const job = (jobId: string): JobView | null => {
    const found = state.jobs.get(jobId);
    return found === undefined ? null : jobView(found, now());
  };
  const faults = (): Faults => ({ ...state.faults });
  const stats = (): StatsView => state.stats.toJSON();
  const settings = (): Settings => ({ ...state.settings });

  registerControlRoutes(app, { stats, jobs, job, faults, setFaults, settings, setSettings, reset });
  for (const version of options.versions) {
    void app.register(
      (api, _opts, done) => {
        registerTdgRoutes(api, state);
        done();
      },
      { prefix: `/${version}` },
    );
  }

  const tickIntervalMs = opts.tickIntervalMs ?? 50;
  const ticker = tickIntervalMs > 0 ? setInterval(checkNotifications, tickIntervalMs) : null;
  ticker?.unref();

  let closing: Promise<void> | null = null;
  const stopBackground = async (): Promise<void> => {
    if (ticker !== null) clearInterval(ticker);
    notifier.close();
    await notifier.idle();
  };
  app.addHook('onClose', stopBackground);
  // Hung requests would hold server.close() until their clients give up: drop them first.
  app.addHook('preClose', (done) => {
    state.hung.releaseAll();
    done();
  });

  return {
    app,
    seed: options.seed,
    stats,
    jobs,
    job,
    faults,
    setFaults,
    settings,
    setSettings,
    reset,
    checkNotifications,
    notificationsIdle: () => notifier.idle(),
    close: () => {
      closing ??= app.close().then(stopBackground);
      return closing;
    },
  };
}
