/**
 * Where Temporal is and how to reach it: the Temporal CLI's and SDKs' own environment
 * configuration, resolved by `@temporalio/envconfig`'s `loadClientConnectConfig` together with the
 * TOML config file (`TEMPORAL_CONFIG_FILE`, default ~/.config/temporalio/temporal.toml) and its
 * profile (`TEMPORAL_PROFILE`), the environment winning over the file. The variables are checked
 * here first so that every problem is reported clearly and at once; our defaults apply when
 * neither the environment nor the file sets a value. TEMPORAL_TASK_QUEUE is ours. Key and
 * certificate contents never go into a message.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/client';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../../contract/definitions.js';
import type { CodecKey } from '../payload-codec.js';
import { payloadCodecSection } from './codec.js';
import { flag, loadSections, readableFile, needs, problems, text, type Env } from './schema.js';
import { temporalAddressProblem } from './temporal-address.js';

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
}

/** How to reach a secured Temporal (Temporal Cloud, or TLS / mTLS), as envconfig resolves it. */
export interface TemporalConnectionSecurity {
  /** A secret, never logged. The SDK turns TLS on with it unless `tls` is false. */
  apiKey?: string;
  /** true: TLS with the system's trust store; false: TLS disabled (`TEMPORAL_TLS=false`). */
  tls?: TLSConfig | boolean;
  /** gRPC headers (the profile's `grpc_meta`, `TEMPORAL_GRPC_META_*`). */
  metadata?: Record<string, string>;
}

export interface TemporalSection {
  temporal: TemporalConfig;
  temporalSecurity: TemporalConnectionSecurity;
  /**
   * The payload codec's keys (env/codec.ts), newest first; null or absent: the codec is off. Every
   * process that reads or writes job data through Temporal takes them from here.
   */
  codecKeys?: readonly CodecKey[] | null;
}

/** envconfig's messages may quote the config file (api_key included): keep the first line only. */
const firstLine = (error: unknown): string => String((error as Error).message ?? error).split('\n')[0] ?? '';

// Loose: envconfig also reads the rest of the environment (TEMPORAL_GRPC_META_*, TEMPORAL_TLS_*_DATA,
// and HOME / XDG_CONFIG_HOME / APPDATA to find the default config file).
export const temporalSection = z
  .looseObject({
    TEMPORAL_ADDRESS: text.optional(),
    TEMPORAL_NAMESPACE: text.optional(),
    TEMPORAL_TASK_QUEUE: text.prefault(DEFAULT_TASK_QUEUE),
    TEMPORAL_PROFILE: text.optional(),
    TEMPORAL_CONFIG_FILE: readableFile.optional(),
    TEMPORAL_API_KEY: text.optional(),
    TEMPORAL_TLS: flag.optional(),
    TEMPORAL_TLS_CLIENT_CERT_PATH: readableFile.optional(),
    TEMPORAL_TLS_CLIENT_KEY_PATH: readableFile.optional(),
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: readableFile.optional(),
    TEMPORAL_TLS_SERVER_NAME: text.optional(),
  })
  .superRefine(
    problems((env) =>
      (env.TEMPORAL_TLS_CLIENT_CERT_PATH === undefined) !== (env.TEMPORAL_TLS_CLIENT_KEY_PATH === undefined)
        ? 'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH must be set together (mTLS)'
        : undefined,
    ),
    needs(),
  )
  .superRefine(
    problems((env) =>
      env.TEMPORAL_TLS === false &&
      (env.TEMPORAL_TLS_CLIENT_CERT_PATH ??
        env.TEMPORAL_TLS_CLIENT_KEY_PATH ??
        env.TEMPORAL_TLS_SERVER_CA_CERT_PATH ??
        env.TEMPORAL_TLS_SERVER_NAME)
        ? 'TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* certificate settings'
        : undefined,
    ),
    needs('TEMPORAL_TLS'),
  )
  .transform(({ TEMPORAL_TASK_QUEUE, TEMPORAL_TLS, ...env }, ctx): TemporalSection => {
    const overrideEnvVars = Object.fromEntries(
      Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    if (TEMPORAL_TLS !== undefined) overrideEnvVars.TEMPORAL_TLS = String(TEMPORAL_TLS);
    let resolved: ReturnType<typeof loadClientConnectConfig>;
    try {
      resolved = loadClientConnectConfig({ overrideEnvVars });
    } catch (error) {
      const message = firstLine(error);
      const file = env.TEMPORAL_CONFIG_FILE === undefined ? '' : ` "${env.TEMPORAL_CONFIG_FILE}"`;
      ctx.addIssue({
        code: 'custom',
        message: /^Profile '.*' not found/.test(message)
          ? `TEMPORAL_PROFILE: no profile "${env.TEMPORAL_PROFILE}" in the Temporal config file`
          : (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? `Temporal config file${file}: cannot read the TLS file "${(error as NodeJS.ErrnoException).path}"`
            : `Temporal config file${file}: ${message}`,
      });
      return z.NEVER;
    }
    const { address, apiKey, tls, metadata } = resolved.connectionOptions;
    const addressProblem = address === undefined ? null : temporalAddressProblem(address);
    if (addressProblem) {
      const source =
        env.TEMPORAL_ADDRESS === undefined ? "the Temporal config file's address" : 'TEMPORAL_ADDRESS';
      ctx.addIssue({ code: 'custom', message: `${source} ${addressProblem}` });
      return z.NEVER;
    }
    return {
      temporal: {
        address: address ?? DEFAULT_TEMPORAL_ADDRESS,
        namespace: resolved.namespace ?? DEFAULT_TEMPORAL_NAMESPACE,
        taskQueue: TEMPORAL_TASK_QUEUE,
      },
      temporalSecurity: {
        ...(typeof apiKey === 'string' ? { apiKey } : {}),
        ...(tls !== undefined && tls !== null ? { tls: withoutUndefined(tls) } : {}),
        ...(metadata && Object.keys(metadata).length > 0
          ? { metadata: metadata as Record<string, string> }
          : {}),
      },
    };
  });

function withoutUndefined<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Processes that only talk to Temporal as clients: the starter (`npm run job`) and `npm run setup`. */
export function loadClientConfig(env: Env = process.env): TemporalSection {
  const { temporal, codecKeys } = loadSections(
    { temporal: temporalSection, codecKeys: payloadCodecSection },
    env,
  );
  return { ...temporal, codecKeys };
}
