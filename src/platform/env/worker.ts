/** The worker process's own settings: limits, endpoints, shutdown and logging. */
import { TDG_ATTEMPT_TIMEOUT_MS } from '../../contract/definitions.js';
import { section } from './core.js';
import {
  bindHost,
  boolean,
  duration,
  exactDuration,
  portOrOff,
  positiveNumber,
  text,
  upperCaseChoice,
  wholeNumber,
} from './fields.js';

export interface WorkerLimits {
  /** Activity slots; the TDG HTTP pool gets as many sockets (see TdgConfig.maxSockets). */
  maxConcurrentActivities: number;
  /** Across the whole task queue: keeps thousands of open jobs from hammering TDG. */
  maxTdgCallsPerSecond: number;
  /**
   * Workers sharing `maxTdgCallsPerSecond`. Local-activity checks bypass the task queue's limit,
   * so each worker's TDG client also paces itself at its share (see tdgCallsPerSecondPerWorker).
   */
  workerReplicas: number;
  /**
   * Workflows kept in the worker's sticky cache. Bounds the worker's memory however many jobs are
   * open: an evicted workflow is replayed from its (short) history at its next task.
   */
  maxCachedWorkflows: number;
}

/** One worker's share of the fleet-wide TDG rate, enforced by its TDG client. */
export function tdgCallsPerSecondPerWorker(limits: WorkerLimits): number {
  return limits.maxTdgCallsPerSecond / limits.workerReplicas;
}

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
export const LOG_LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** The worker process's own endpoints and lifecycle. */
export interface WorkerOperationsConfig {
  /** Prometheus exporter of the SDK's runtime metrics (`host:port`, path /metrics); null: off. */
  metricsBindAddress: string | null;
  /** The worker's `/healthz` endpoint; null: off. */
  health: { host: string; port: number } | null;
  /** On SIGTERM/SIGINT: how long in-flight activities may run before they are cancelled. */
  shutdownGraceMs: number;
  logLevel: LogLevel;
}

export const DEFAULT_WORKER_METRICS_PORT = 9464;
export const DEFAULT_WORKER_HEALTH_PORT = 8081;
/** Covers one activity attempt (30 s) with room to spare; compose's stop_grace_period is longer. */
export const DEFAULT_WORKER_SHUTDOWN_GRACE = '45s';
export const DEFAULT_WORKER_MAX_CONCURRENT_ACTIVITIES = 100;
/**
 * Measured (docs/BENCHMARKS.md, 5,000 open jobs on the dev server): a 5,000-workflow cache kept the
 * worker at 1,017 MiB with detection p99 2.8 s; 1,000 made it replay evicted workflows at every
 * task, 1,080 MiB and p99 213 s. Memory is bounded by this cache, not by the open jobs.
 */
export const DEFAULT_WORKER_MAX_CACHED_WORKFLOWS = 5_000;

export const limitsSection = section(
  {
    WORKER_MAX_CONCURRENT_ACTIVITIES: wholeNumber(1, 10_000, DEFAULT_WORKER_MAX_CONCURRENT_ACTIVITIES),
    TDG_MAX_CALLS_PER_SECOND: positiveNumber(20),
    WORKER_REPLICAS: wholeNumber(1, 1_000, 1),
    WORKER_MAX_CACHED_WORKFLOWS: wholeNumber(0, 100_000, DEFAULT_WORKER_MAX_CACHED_WORKFLOWS),
  },
  (env): WorkerLimits => ({
    maxConcurrentActivities: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxTdgCallsPerSecond: env.TDG_MAX_CALLS_PER_SECOND,
    workerReplicas: env.WORKER_REPLICAS,
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
  }),
);

export const operationsSection = section(
  {
    WORKER_HTTP_HOST: bindHost('0.0.0.0'),
    WORKER_METRICS_PORT: portOrOff(DEFAULT_WORKER_METRICS_PORT),
    WORKER_HEALTH_PORT: portOrOff(DEFAULT_WORKER_HEALTH_PORT),
    WORKER_SHUTDOWN_GRACE: duration(DEFAULT_WORKER_SHUTDOWN_GRACE),
    LOG_LEVEL: upperCaseChoice(LOG_LEVELS, 'INFO'),
  },
  (env, problems): WorkerOperationsConfig => {
    const host = env.WORKER_HTTP_HOST;
    const metricsPort = env.WORKER_METRICS_PORT;
    const healthPort = env.WORKER_HEALTH_PORT;
    if (metricsPort !== null && metricsPort === healthPort) {
      problems.push('WORKER_METRICS_PORT and WORKER_HEALTH_PORT must differ');
    }
    if (env.WORKER_SHUTDOWN_GRACE < TDG_ATTEMPT_TIMEOUT_MS) {
      problems.push(
        `WORKER_SHUTDOWN_GRACE (${exactDuration(env.WORKER_SHUTDOWN_GRACE)}) must be at least the ` +
          `activity attempt timeout (${exactDuration(TDG_ATTEMPT_TIMEOUT_MS)}), so that a stopping ` +
          `worker lets in-flight attempts finish instead of cancelling them`,
      );
    }
    const bindAddressHost = host.includes(':') ? `[${host}]` : host;
    return {
      metricsBindAddress: metricsPort === null ? null : `${bindAddressHost}:${metricsPort}`,
      health: healthPort === null ? null : { host, port: healthPort },
      shutdownGraceMs: env.WORKER_SHUTDOWN_GRACE,
      logLevel: env.LOG_LEVEL,
    };
  },
);

/** Which Worker Deployment version this worker is, and whether it makes itself current. */
export interface WorkerDeploymentConfig {
  deploymentName: string;
  /** Overrides the build id derived from the workflow bundle's content. */
  buildId: string | undefined;
  /** Make this version current once it polls (a first deployment; the embedded stack; `npm run cluster`). */
  promote: boolean;
}

export const DEFAULT_WORKER_DEPLOYMENT_NAME = 'tdg-email-append';

export const deploymentSection = section(
  {
    WORKER_DEPLOYMENT_NAME: text(DEFAULT_WORKER_DEPLOYMENT_NAME),
    WORKER_BUILD_ID: text(),
    WORKER_PROMOTE: boolean(),
  },
  (env, problems): WorkerDeploymentConfig => {
    // The server joins them as `name.buildId`: a dot in the name would make that ambiguous.
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(env.WORKER_DEPLOYMENT_NAME))
      problems.push('WORKER_DEPLOYMENT_NAME must be 1-200 letters, digits, "-" or "_"');
    if (env.WORKER_BUILD_ID !== undefined && !/^[A-Za-z0-9._-]{1,200}$/.test(env.WORKER_BUILD_ID))
      problems.push('WORKER_BUILD_ID must be 1-200 letters, digits, ".", "-" or "_"');
    return {
      deploymentName: env.WORKER_DEPLOYMENT_NAME,
      buildId: env.WORKER_BUILD_ID,
      promote: env.WORKER_PROMOTE ?? false,
    };
  },
);

/** NODE_ENV=production (the image sets it): load the prebuilt workflow bundle. */
export const workflowCodeSection = section({ NODE_ENV: text() }, (env) => ({
  prebuiltWorkflowBundle: env.NODE_ENV === 'production',
}));
