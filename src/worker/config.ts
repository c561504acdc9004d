/**
 * The worker process's environment: `TEMPORAL_*`, the TDG API (`TDG_*`), notifications
 * (`NOTIFY_*`), and its own limits, endpoints, versioning and logging (`WORKER_*`, `LOG_LEVEL`,
 * `NODE_ENV`). The limits are checked against one activity attempt (TDG_ATTEMPT_TIMEOUT_MS, shared
 * with the workflow): WORKER_SHUTDOWN_GRACE covers an attempt, TDG_REQUEST_TIMEOUT × the requests a
 * first attempt can make fits inside one (src/tdg/request-budget.ts; how a retry escalates it within
 * the attempt: activities/call-budget.ts), and the TDG HTTP pool has a socket per activity slot.
 */
import { z } from 'zod';
import { TDG_ATTEMPT_TIMEOUT_MS } from '../contract/definitions.js';
import { exactDuration, formatDuration } from '../contract/duration.js';
import { payloadCodecSection } from '../platform/env/codec.js';
import { notifySection, type NotifyConfig } from '../platform/env/notify.js';
import {
  bindHost,
  duration,
  flag,
  httpUrl,
  loadSections,
  portOrOff,
  positiveNumber,
  required,
  needs,
  problems,
  text,
  upperCaseChoice,
  wholeNumber,
  type Env,
} from '../platform/env/schema.js';
import { temporalSection, type TemporalSection } from '../platform/env/temporal.js';
import { LOG_LEVELS } from '../platform/log.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, requestTimeoutProblem } from '../tdg/index.js';

export type TdgAuthConfig =
  | { kind: 'static'; token: string }
  | { kind: 'password'; username: string; password: string; tokenField?: string; tokenTtlMs: number };

export const tdgSection = z
  .object({
    TDG_BASE_URL: httpUrl.prefault('https://api.thedatagroup.com'),
    TDG_API_VERSION: text
      .regex(/^v\d+$/, { error: (i) => `must look like v3, got ${JSON.stringify(i.input)}` })
      .prefault('v3'),
    TDG_API_KEY: required("TDG's x-api-key"),
    TDG_AUTH_TOKEN: text.optional(),
    TDG_USERNAME: text.optional(),
    TDG_PASSWORD: text.optional(),
    TDG_TOKEN_FIELD: text.optional(),
    TDG_TOKEN_TTL: duration().prefault('8h'),
    TDG_REQUEST_TIMEOUT: duration({ min: 100, max: 3_600_000 }).prefault(
      formatDuration(DEFAULT_REQUEST_TIMEOUT_MS),
    ),
  })
  .superRefine(
    problems((env) =>
      env.TDG_AUTH_TOKEN === undefined && (env.TDG_USERNAME === undefined || env.TDG_PASSWORD === undefined)
        ? 'set TDG_AUTH_TOKEN, or both TDG_USERNAME and TDG_PASSWORD'
        : undefined,
    ),
    needs(),
  )
  .superRefine(
    problems((env) =>
      requestTimeoutProblem('TDG_REQUEST_TIMEOUT', env.TDG_REQUEST_TIMEOUT, TDG_ATTEMPT_TIMEOUT_MS),
    ),
    needs('TDG_REQUEST_TIMEOUT'),
  )
  .transform((env): TdgSettings => ({
    baseUrl: env.TDG_BASE_URL,
    apiVersion: env.TDG_API_VERSION,
    apiKey: env.TDG_API_KEY,
    auth:
      env.TDG_AUTH_TOKEN !== undefined
        ? { kind: 'static', token: env.TDG_AUTH_TOKEN }
        : {
            kind: 'password',
            username: env.TDG_USERNAME ?? '',
            password: env.TDG_PASSWORD ?? '',
            tokenTtlMs: env.TDG_TOKEN_TTL,
            ...(env.TDG_TOKEN_FIELD ? { tokenField: env.TDG_TOKEN_FIELD } : {}),
          },
    requestTimeoutMs: env.TDG_REQUEST_TIMEOUT,
  }));

interface TdgSettings {
  baseUrl: string;
  apiVersion: string;
  apiKey: string;
  auth: TdgAuthConfig;
  requestTimeoutMs: number;
}

export interface TdgConfig extends TdgSettings {
  /**
   * The keep-alive pool's size (sockets per TDG host). The worker sets it to its activity slots: an
   * attempt sends its requests one after another, so no slot ever waits for a socket. Unset: the
   * shared default pool (src/tdg/http.ts).
   */
  maxSockets?: number;
}

export const DEFAULT_WORKER_MAX_CONCURRENT_ACTIVITIES = 100;
/**
 * Measured (docs/BENCHMARKS.md, 5,000 open jobs on the dev server): a 5,000-workflow cache kept the
 * worker at 1,017 MiB with detection p99 2.8 s; 1,000 made it replay evicted workflows at every
 * task, 1,080 MiB and p99 213 s. Memory is bounded by this cache, not by the open jobs.
 */
export const DEFAULT_WORKER_MAX_CACHED_WORKFLOWS = 5_000;
/** Covers one activity attempt (30 s) with room to spare; compose's stop_grace_period is longer. */
export const DEFAULT_WORKER_SHUTDOWN_GRACE = '45s';
export const DEFAULT_WORKER_DEPLOYMENT_NAME = 'tdg-email-append';

export const limitsSection = z
  .object({
    WORKER_MAX_CONCURRENT_ACTIVITIES: wholeNumber(1, 10_000).prefault(
      String(DEFAULT_WORKER_MAX_CONCURRENT_ACTIVITIES),
    ),
    TDG_MAX_CALLS_PER_SECOND: positiveNumber.prefault('20'),
    WORKER_REPLICAS: wholeNumber(1, 1_000).prefault('1'),
    WORKER_MAX_CACHED_WORKFLOWS: wholeNumber(0, 100_000).prefault(
      String(DEFAULT_WORKER_MAX_CACHED_WORKFLOWS),
    ),
  })
  .transform((env) => ({
    /** Activity slots; the TDG HTTP pool gets as many sockets (see TdgConfig.maxSockets). */
    maxConcurrentActivities: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
    /** Across the whole task queue: keeps thousands of open jobs from hammering TDG. */
    maxTdgCallsPerSecond: env.TDG_MAX_CALLS_PER_SECOND,
    /**
     * Workers sharing `maxTdgCallsPerSecond`. Local-activity checks bypass the task queue's limit,
     * so each worker's TDG client also paces itself at its share (see tdgCallsPerSecondPerWorker).
     */
    workerReplicas: env.WORKER_REPLICAS,
    /** The sticky cache: bounds memory however many jobs are open (an evicted workflow is replayed). */
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
  }));
export type WorkerLimits = z.output<typeof limitsSection>;

/** One worker's share of the fleet-wide TDG rate, enforced by its TDG client. */
export function tdgCallsPerSecondPerWorker(limits: WorkerLimits): number {
  return limits.maxTdgCallsPerSecond / limits.workerReplicas;
}

export const operationsSection = z
  .object({
    WORKER_HTTP_HOST: bindHost.prefault('0.0.0.0'),
    WORKER_METRICS_PORT: portOrOff.prefault('9464'),
    WORKER_HEALTH_PORT: portOrOff.prefault('8081'),
    WORKER_SHUTDOWN_GRACE: duration().prefault(DEFAULT_WORKER_SHUTDOWN_GRACE),
    LOG_LEVEL: upperCaseChoice(LOG_LEVELS).prefault('INFO'),
  })
  .superRefine(
    problems((env) =>
      env.WORKER_METRICS_PORT !== null && env.WORKER_METRICS_PORT === env.WORKER_HEALTH_PORT
        ? 'WORKER_METRICS_PORT and WORKER_HEALTH_PORT must differ'
        : undefined,
    ),
    needs('WORKER_METRICS_PORT', 'WORKER_HEALTH_PORT'),
  )
  .superRefine(
    problems((env) =>
      env.WORKER_SHUTDOWN_GRACE < TDG_ATTEMPT_TIMEOUT_MS
        ? `WORKER_SHUTDOWN_GRACE (${exactDuration(env.WORKER_SHUTDOWN_GRACE)}) must be at least the ` +
          `activity attempt timeout (${exactDuration(TDG_ATTEMPT_TIMEOUT_MS)}), so that a stopping ` +
          `worker lets in-flight attempts finish instead of cancelling them`
        : undefined,
    ),
    needs('WORKER_SHUTDOWN_GRACE'),
  )
  .transform((env) => {
    const host = env.WORKER_HTTP_HOST;
    const bindAddressHost = host.includes(':') ? `[${host}]` : host;
    return {
      /** Prometheus exporter of the SDK's runtime metrics (`host:port`, path /metrics); null: off. */
      metricsBindAddress:
        env.WORKER_METRICS_PORT === null ? null : `${bindAddressHost}:${env.WORKER_METRICS_PORT}`,
      /** The worker's `/healthz` endpoint; null: off. */
      health: env.WORKER_HEALTH_PORT === null ? null : { host, port: env.WORKER_HEALTH_PORT },
      /** On SIGTERM/SIGINT: how long in-flight activities may run before they are cancelled. */
      shutdownGraceMs: env.WORKER_SHUTDOWN_GRACE,
      logLevel: env.LOG_LEVEL,
    };
  });
export type WorkerOperationsConfig = z.output<typeof operationsSection>;

const BUILD_ID = /^[A-Za-z0-9._-]{1,200}$/;
const BUILD_ID_ERROR = 'must be 1-200 letters, digits, ".", "-" or "_"';

/**
 * How the worker runs its workflow code: which bundle, and which Worker Deployment version. Under
 * the Temporal Worker Controller (Kubernetes) the version is the controller's: it sets
 * TEMPORAL_DEPLOYMENT_NAME (`<k8s namespace>/<resource name>`) and TEMPORAL_WORKER_BUILD_ID in
 * every pod it makes, and it alone promotes versions (gate, ramp steps). Elsewhere (compose,
 * `npm run cluster`, `npm run worker`) WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID name it.
 */
export const workflowCodeSection = z
  .object({
    NODE_ENV: text.optional(),
    // The server joins them as `name.buildId`: a dot in the name would make that ambiguous.
    WORKER_DEPLOYMENT_NAME: text
      .regex(/^[A-Za-z0-9_-]{1,200}$/, { error: 'must be 1-200 letters, digits, "-" or "_"' })
      .prefault(DEFAULT_WORKER_DEPLOYMENT_NAME),
    WORKER_BUILD_ID: text.regex(BUILD_ID, { error: BUILD_ID_ERROR }).optional(),
    WORKER_PROMOTE: flag.prefault('false'),
    // The Worker Controller's: its names join the Kubernetes namespace and resource with "/".
    TEMPORAL_DEPLOYMENT_NAME: text
      .regex(/^[A-Za-z0-9_/-]{1,255}$/, { error: 'must be 1-255 letters, digits, "-", "_" or "/"' })
      .optional(),
    TEMPORAL_WORKER_BUILD_ID: text.regex(BUILD_ID, { error: BUILD_ID_ERROR }).optional(),
  })
  .superRefine(
    problems((env) =>
      (env.TEMPORAL_DEPLOYMENT_NAME === undefined) !== (env.TEMPORAL_WORKER_BUILD_ID === undefined)
        ? 'TEMPORAL_DEPLOYMENT_NAME and TEMPORAL_WORKER_BUILD_ID must be set together (the Temporal Worker Controller sets both)'
        : undefined,
    ),
    needs('TEMPORAL_DEPLOYMENT_NAME', 'TEMPORAL_WORKER_BUILD_ID'),
  )
  .superRefine(
    problems((env) =>
      env.TEMPORAL_DEPLOYMENT_NAME !== undefined && env.WORKER_PROMOTE
        ? 'WORKER_PROMOTE=true contradicts TEMPORAL_DEPLOYMENT_NAME: under the Temporal Worker Controller ' +
          'the controller promotes versions (its rollout), never the worker'
        : undefined,
    ),
    needs('TEMPORAL_DEPLOYMENT_NAME', 'WORKER_PROMOTE'),
  )
  .transform((env) => {
    const controller =
      env.TEMPORAL_DEPLOYMENT_NAME !== undefined && env.TEMPORAL_WORKER_BUILD_ID !== undefined
        ? { deploymentName: env.TEMPORAL_DEPLOYMENT_NAME, buildId: env.TEMPORAL_WORKER_BUILD_ID }
        : undefined;
    return {
      /** NODE_ENV=production (the image sets it): load the prebuilt workflow bundle, not bundle at start-up. */
      prebuiltWorkflowBundle: env.NODE_ENV === 'production',
      deployment: {
        deploymentName: controller?.deploymentName ?? env.WORKER_DEPLOYMENT_NAME,
        /** Overrides the build id derived from the workflow bundle. */
        buildId: controller?.buildId ?? env.WORKER_BUILD_ID,
        /** Make this version current once it polls (a first deployment; the embedded stack; `npm run cluster`). */
        promote: env.WORKER_PROMOTE,
        /** Who promotes and retires versions: the Temporal Worker Controller, or we (an operator, WORKER_PROMOTE). */
        managedBy: controller ? ('worker-controller' as const) : ('self' as const),
      },
    };
  });

export interface WorkerConfig extends TemporalSection, z.output<typeof workflowCodeSection> {
  tdg: TdgConfig;
  notify: NotifyConfig | null;
  limits: WorkerLimits;
  operations: WorkerOperationsConfig;
}

/** `npm run worker` (and the embedded stack's worker). */
export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const sections = loadSections(
    {
      temporal: temporalSection,
      tdg: tdgSection,
      notify: notifySection,
      limits: limitsSection,
      operations: operationsSection,
      workflowCode: workflowCodeSection,
      codecKeys: payloadCodecSection,
    },
    env,
  );
  return {
    ...sections.temporal,
    codecKeys: sections.codecKeys,
    // One socket per activity slot: the pool can never be what a slot waits for.
    tdg: { ...sections.tdg, maxSockets: sections.limits.maxConcurrentActivities },
    notify: sections.notify,
    limits: sections.limits,
    operations: sections.operations,
    ...sections.workflowCode,
  };
}
