/**
 * Every process's configuration, read from the environment once at start-up through one
 * schema (zod, see env/): one `load…` entry per process. Every problem is reported together in
 * one ConfigError; secrets are never echoed. The sections, by concern:
 *
 *   env/temporal.ts   TEMPORAL_* (through @temporalio/envconfig: profiles, the TOML config file)
 *   env/tdg.ts        TDG_*  (the worker's API client)
 *   env/notify.ts     NOTIFY_* (worker: URL + secret; listener: current and previous secret)
 *   env/worker.ts     WORKER_*, TDG_MAX_CALLS_PER_SECOND, LOG_LEVEL, NODE_ENV
 *
 * The worker's limits are checked against one activity attempt (TDG_ATTEMPT_TIMEOUT_MS, shared with
 * the workflow through src/contract): WORKER_SHUTDOWN_GRACE covers an attempt, TDG_REQUEST_TIMEOUT ×
 * the requests an attempt can make fits inside one, and the TDG HTTP pool has a socket per
 * activity slot (WORKER_MAX_CONCURRENT_ACTIVITIES).
 *   env/listener.ts   LISTENER_*
 *   env/simulator.ts  SIM_*, SIMULATOR_* (and the TDG_* credentials it accepts)
 *
 * Each section names its variables with their defaults (env/fields.ts holds the kinds of
 * variable and their messages; env/core.ts the machinery).
 */
import { loadSections, variableNames, type Env } from './env/core.js';
import { listenerSection } from './env/listener.js';
import { notifySecretsSection, notifySection } from './env/notify.js';
import { SimulatorConfigError, simulatorSection, type SimulatorEnvConfig } from './env/simulator.js';
import { tdgSection, type TdgConfig } from './env/tdg.js';
import { temporalSection, type TemporalSection } from './env/temporal.js';
import {
  limitsSection,
  operationsSection,
  workflowCodeSection,
  type WorkerLimits,
  type WorkerOperationsConfig,
} from './env/worker.js';
import type { NotifyConfig } from './env/notify.js';

export { ConfigError, type Env } from './env/core.js';
export { type NotifyConfig } from './env/notify.js';
export { isLoopbackHost } from './url-host.js';
export { DEFAULT_LISTENER_HOST, DEFAULT_LISTENER_PORT } from './env/listener.js';
export {
  DEFAULT_SIMULATOR_HOST,
  DEFAULT_SIMULATOR_PORT,
  SimulatorConfigError,
  type SimulatorEnvConfig,
} from './env/simulator.js';
export {
  DEFAULT_TEMPORAL_ADDRESS,
  DEFAULT_TEMPORAL_NAMESPACE,
  type TemporalConfig,
  type TemporalConnectionSecurity,
  type TemporalSection,
  type TemporalTlsFiles,
} from './env/temporal.js';
export {
  DEFAULT_TDG_REQUEST_TIMEOUT,
  TDG_REQUESTS_PER_ATTEMPT,
  type TdgAuthConfig,
  type TdgConfig,
} from './env/tdg.js';
export {
  DEFAULT_WORKER_HEALTH_PORT,
  DEFAULT_WORKER_MAX_CACHED_WORKFLOWS,
  DEFAULT_WORKER_MAX_CONCURRENT_ACTIVITIES,
  DEFAULT_WORKER_METRICS_PORT,
  DEFAULT_WORKER_SHUTDOWN_GRACE,
  LOG_LEVELS,
  tdgCallsPerSecondPerWorker,
  type LogLevel,
  type WorkerLimits,
  type WorkerOperationsConfig,
} from './env/worker.js';

export interface WorkerConfig extends TemporalSection {
  tdg: TdgConfig;
  notify: NotifyConfig | null;
  limits: WorkerLimits;
  operations: WorkerOperationsConfig;
  /** NODE_ENV=production: load the prebuilt workflow bundle instead of bundling at start-up. */
  prebuiltWorkflowBundle: boolean;
}

export interface ListenerConfig extends TemporalSection {
  port: number;
  host: string;
  /** Signal hints naming a running state too (see ListenerDeps.forwardRunningHints). */
  forwardRunningHints: boolean;
  /** Current secret first, then the previous one during a rotation. */
  secrets: string[];
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
    },
    env,
  );
  return {
    ...sections.temporal,
    // One socket per activity slot: the pool can never be what a slot waits for.
    tdg: { ...sections.tdg, maxSockets: sections.limits.maxConcurrentActivities },
    notify: sections.notify,
    limits: sections.limits,
    operations: sections.operations,
    ...sections.workflowCode,
  };
}

/** `npm run listener`. */
export function loadListenerConfig(env: Env = process.env): ListenerConfig {
  const sections = loadSections(
    { listener: listenerSection, secrets: notifySecretsSection, temporal: temporalSection },
    env,
  );
  return { ...sections.listener, secrets: sections.secrets, ...sections.temporal };
}

/** `npm run simulator`: one-line SimulatorConfigError. */
export function loadSimulatorConfig(env: Env = process.env): SimulatorEnvConfig {
  return loadSections({ simulator: simulatorSection }, env, (problems) => new SimulatorConfigError(problems))
    .simulator;
}

/** Processes that only talk to Temporal as clients: the starter (`npm run job`) and `npm run setup`. */
export { loadClientConfig } from './client-config.js';

/** The simulator's SIM_* names (anything else with the prefix is likely a typo). */
export const SIM_VARIABLE_NAMES: readonly string[] = variableNames(simulatorSection).filter((name) =>
  name.startsWith('SIM_'),
);

/** Every variable some process's configuration reads: .env.example lists exactly these. */
export const KNOWN_VARIABLES: readonly string[] = variableNames(
  temporalSection,
  tdgSection,
  notifySection,
  notifySecretsSection,
  limitsSection,
  operationsSection,
  workflowCodeSection,
  listenerSection,
  simulatorSection,
).sort();
