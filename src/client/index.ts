/**
 * The typed client for other services (package export `tdg-email-append/client`):
 *
 *     const jobs = await connectTdgJobs();          // TEMPORAL_* from the environment
 *     const { jobId, workflowId } = await jobs.startJob({ name: 'Nightly CRM append' });
 *     const result = await jobs.waitForResult(workflowId);
 */
import type { PayloadCodec } from '@temporalio/common';
import { ConfigError } from '../platform/env/schema.js';
import { AesGcmPayloadCodec, parseCodecKeys } from '../platform/payload-codec.js';
import { loadClientConfig } from '../platform/env/temporal.js';
import { connectClient } from '../platform/temporal-connection.js';
import { connectFailure, JobErrorType, TdgJobError } from './errors.js';
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
export { TdgJobError, JobErrorType, connectFailure, describeError } from './errors.js';
export { defaultWorkflowId } from './start-details.js';
/**
 * For a caller that builds its own Temporal Client for `new TdgJobs(client, …)`: give it
 * `dataConverter: tdgDataConverter(createPayloadCodec(keys))` so it reads and writes what the
 * workers encrypt.
 */
export { clientDataConverter as tdgDataConverter } from '../platform/data-converter.js';
export { AesGcmPayloadCodec, CodecKeyError, PayloadDecryptionError } from '../platform/payload-codec.js';

/** The payload codec for keys written as in PAYLOAD_CODEC_KEYS (`id:base64-key`, newest first). */
export function createPayloadCodec(keys: string): AesGcmPayloadCodec {
  return new AesGcmPayloadCodec(parseCodecKeys(keys));
}
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
 * Every rejection is a TdgJobError: a bad setting InvalidConfig (every problem listed), a refused
 * TLS handshake TlsRefused (saying why), an unreachable Temporal TemporalUnavailable.
 */
export interface ConnectTdgJobsOptions {
  /**
   * The payload codec the workers use. Default: from PAYLOAD_CODEC_KEYS / PAYLOAD_CODEC_KEYS_FILE
   * in `env` (none set: no codec); e.g. `createPayloadCodec(keysFromYourVault)`; null: no codec.
   */
  payloadCodec?: PayloadCodec | null;
}

export async function connectTdgJobs(
  env: NodeJS.ProcessEnv = process.env,
  options: ConnectTdgJobsOptions = {},
): Promise<ConnectedTdgJobs> {
  let config;
  try {
    config = loadClientConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new TdgJobError(JobErrorType.InvalidConfig, err.message, null, null, null, { cause: err });
  }
  let connected;
  try {
    connected = await connectClient(config, {
      connectTimeoutMs: 5_000,
      ...(options.payloadCodec !== undefined ? { payloadCodec: options.payloadCodec } : {}),
    });
  } catch (err) {
    throw connectFailure(err, config.temporal.address);
  }
  const jobs = new TdgJobs(connected.client, { taskQueue: config.temporal.taskQueue });
  return Object.assign(jobs, { close: () => connected.connection.close() });
}
