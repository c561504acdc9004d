/**
 * The typed client for other services (package export `tdg-email-append/client`):
 *
 *     const jobs = await connectTdgJobs();          // TEMPORAL_* from the environment
 *     const { jobId, workflowId } = await jobs.startJob({ name: 'Nightly CRM append' });
 *     const result = await jobs.waitForResult(workflowId);
 */
import { ConfigError } from '../platform/env/schema.js';
import { loadClientConfig } from '../platform/env/temporal.js';
import { connectClient } from '../platform/temporal-connection.js';
import { JobErrorType, TdgJobError } from './errors.js';
import { TdgJobs } from './tdg-jobs.js';

export {
  TdgJobs,
  statusKey,
  type FollowOptions,
  type ListFilters,
  type ListedJob,
  type StartJobOptions,
  type StartedJob,
  type VisibleStatus,
  type WaitOptions,
} from './tdg-jobs.js';
export { describeEnding, type ClosedJob, type JobEnding } from './closed.js';
export { TdgJobError, JobErrorType, describeError } from './errors.js';
export { defaultWorkflowId } from './start-details.js';
export {
  WORKFLOW_ID_PATTERN,
  MAX_NAME_LENGTH,
  MIN_DEADLINE_MS,
  MAX_DEADLINE_MS,
  jobInputProblems,
  workflowIdProblem,
} from '../contract/index.js';
export type { JobStatus, EmailAppendJobResult, JobCounts, NotificationMethod } from '../contract/index.js';

/** A TdgJobs on its own Temporal connection: `close()` it when done. */
export interface ConnectedTdgJobs extends TdgJobs {
  close(): Promise<void>;
}

/**
 * Connects with the same `TEMPORAL_*` settings (and envconfig profiles) as the worker and the CLI.
 * Every rejection is a TdgJobError: a bad setting InvalidConfig (every problem listed), an
 * unreachable Temporal TemporalUnavailable.
 */
export async function connectTdgJobs(env: NodeJS.ProcessEnv = process.env): Promise<ConnectedTdgJobs> {
  let config;
  try {
    config = loadClientConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new TdgJobError(JobErrorType.InvalidConfig, err.message, null, null, null, { cause: err });
  }
  let connected;
  try {
    connected = await connectClient(config, { connectTimeoutMs: 5_000 });
  } catch (err) {
    throw new TdgJobError(
      JobErrorType.TemporalUnavailable,
      `cannot reach Temporal at ${config.temporal.address}: ${(err as Error).message}`,
      null,
      null,
      null,
      { cause: err },
    );
  }
  const jobs = new TdgJobs(connected.client, { taskQueue: config.temporal.taskQueue });
  return Object.assign(jobs, { close: () => connected.connection.close() });
}
