/**
 * Where Temporal is and how to reach it. The `TEMPORAL_*` connection variables are the Temporal
 * CLI's and the SDKs' environment configuration: they are validated here and then resolved by
 * `@temporalio/envconfig` together with the TOML config file (`TEMPORAL_CONFIG_FILE`, default
 * ~/.config/temporalio/temporal.toml) and its profile (`TEMPORAL_PROFILE`, default "default"),
 * the environment winning over the file. Our own defaults apply when neither sets a value.
 * TEMPORAL_TASK_QUEUE is ours. The key and certificate contents are never put into a message.
 */
import { accessSync, constants } from 'node:fs';
import {
  loadClientConfigProfile,
  type ClientConfigProfile,
  type ConfigDataSource,
} from '@temporalio/envconfig';
import { DEFAULT_TASK_QUEUE } from '../../contract/definitions.js';
import { section, type Env, type Values } from './core.js';
import { boolean, text } from './fields.js';

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
}

/**
 * How to reach a secured Temporal (Temporal Cloud, or a self-hosted cluster with TLS), from the
 * same `TEMPORAL_*` variables and config file as the Temporal CLI.
 */
export interface TemporalConnectionSecurity {
  /** `TEMPORAL_API_KEY` (or the profile's `api_key`): a secret, never logged. Turns TLS on unless TLS is disabled. */
  apiKey?: string;
  /** null: plain connection (or the SDK's default with an API key: TLS). */
  tls: TemporalTlsFiles | null;
  /** `TEMPORAL_TLS=false` with an API key: send the key without TLS (a local proxy that adds TLS). */
  tlsDisabled: boolean;
  /** gRPC headers from the profile's `grpc_meta` table. */
  metadata?: Record<string, string>;
}

export interface TemporalTlsFiles {
  /** mTLS client certificate and key (PEM files); both or neither. */
  clientCertPath?: string;
  clientKeyPath?: string;
  /** CA that signed the server's certificate, when the system's trust store does not know it. */
  serverCaCertPath?: string;
  serverName?: string;
  /** PEM contents given inline in the config file (`*_data`) instead of a path. */
  clientCertData?: Buffer;
  clientKeyData?: Buffer;
  serverCaCertData?: Buffer;
}

export interface TemporalSection {
  temporal: TemporalConfig;
  temporalSecurity: TemporalConnectionSecurity;
}

const temporalVariables = {
  TEMPORAL_ADDRESS: text(),
  TEMPORAL_NAMESPACE: text(),
  TEMPORAL_TASK_QUEUE: text(DEFAULT_TASK_QUEUE),
  TEMPORAL_PROFILE: text(),
  TEMPORAL_CONFIG_FILE: text(),
  TEMPORAL_API_KEY: text(),
  TEMPORAL_TLS: boolean(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: text(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: text(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: text(),
  TEMPORAL_TLS_SERVER_NAME: text(),
};

/** Where envconfig looks for the default config file (~/.config/temporalio/temporal.toml). */
const CONFIG_FILE_LOCATORS = ['HOME', 'XDG_CONFIG_HOME', 'APPDATA'] as const;

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** envconfig's messages may quote the config file (api_key included): keep the first line only. */
const firstLine = (error: unknown): string => String((error as Error).message ?? error).split('\n')[0] ?? '';

/** The validated variables, as envconfig reads them (it takes any value as set; we take blank as unset). */
function envconfigVariables(env: Values<typeof temporalVariables>, source: Env): Record<string, string> {
  const vars: Record<string, string> = {};
  const set = (name: string, value: string | undefined): void => {
    if (value !== undefined) vars[name] = value;
  };
  for (const name of CONFIG_FILE_LOCATORS) set(name, source[name]?.trim() || undefined);
  set('TEMPORAL_CONFIG_FILE', env.TEMPORAL_CONFIG_FILE);
  set('TEMPORAL_PROFILE', env.TEMPORAL_PROFILE);
  set('TEMPORAL_ADDRESS', env.TEMPORAL_ADDRESS);
  set('TEMPORAL_NAMESPACE', env.TEMPORAL_NAMESPACE);
  set('TEMPORAL_API_KEY', env.TEMPORAL_API_KEY);
  set('TEMPORAL_TLS', env.TEMPORAL_TLS === undefined ? undefined : String(env.TEMPORAL_TLS));
  set('TEMPORAL_TLS_CLIENT_CERT_PATH', env.TEMPORAL_TLS_CLIENT_CERT_PATH);
  set('TEMPORAL_TLS_CLIENT_KEY_PATH', env.TEMPORAL_TLS_CLIENT_KEY_PATH);
  set('TEMPORAL_TLS_SERVER_CA_CERT_PATH', env.TEMPORAL_TLS_SERVER_CA_CERT_PATH);
  set('TEMPORAL_TLS_SERVER_NAME', env.TEMPORAL_TLS_SERVER_NAME);
  return vars;
}

function loadProfile(
  env: Values<typeof temporalVariables>,
  source: Env,
  problems: string[],
): ClientConfigProfile {
  const file = env.TEMPORAL_CONFIG_FILE;
  // envconfig silently skips a missing file; a file named explicitly must be there.
  const fileMissing = file !== undefined && !readable(file);
  if (fileMissing) problems.push(`TEMPORAL_CONFIG_FILE: cannot read the file "${file}"`);
  try {
    return loadClientConfigProfile({
      overrideEnvVars: envconfigVariables(env, source),
      ...(fileMissing ? { disableFile: true } : {}),
    });
  } catch (error) {
    const message = firstLine(error);
    if (/^Profile '.*' not found/.test(message)) {
      problems.push(`TEMPORAL_PROFILE: no profile "${env.TEMPORAL_PROFILE}" in the Temporal config file`);
    } else {
      problems.push(`Temporal config file${file === undefined ? '' : ` "${file}"`}: ${message}`);
    }
    // Go on with the environment alone, so its own problems are reported too.
    return loadClientConfigProfile({ overrideEnvVars: envconfigVariables(env, source), disableFile: true });
  }
}

/** A PEM source (path or inline data); a path must be readable at start-up. */
function pemSource(
  source: ConfigDataSource | undefined,
  label: string,
  problems: string[],
): { path?: string; data?: Buffer } {
  if (source === undefined) return {};
  if ('path' in source) {
    if (!readable(source.path)) problems.push(`${label}: cannot read the file "${source.path}"`);
    return { path: source.path };
  }
  return { data: Buffer.from(source.data) };
}

function securityFrom(
  profile: ClientConfigProfile,
  env: Values<typeof temporalVariables>,
  problems: string[],
): TemporalConnectionSecurity {
  const tls = profile.tls;
  // Name the variable when the environment set it, else the config file's key.
  const label = (name: string, key: string): string =>
    (env as Record<string, unknown>)[name] !== undefined ? name : `the config file's tls.${key}`;
  const cert = pemSource(
    tls?.clientCert,
    label('TEMPORAL_TLS_CLIENT_CERT_PATH', 'client_cert_path'),
    problems,
  );
  const key = pemSource(tls?.clientKey, label('TEMPORAL_TLS_CLIENT_KEY_PATH', 'client_key_path'), problems);
  const ca = pemSource(
    tls?.serverCACert,
    label('TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'server_ca_cert_path'),
    problems,
  );
  const hasCert = cert.path !== undefined || cert.data !== undefined;
  const hasKey = key.path !== undefined || key.data !== undefined;
  if (hasCert !== hasKey) {
    problems.push(
      'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH must be set together (mTLS)',
    );
  }
  const files: TemporalTlsFiles = {
    ...(cert.path !== undefined ? { clientCertPath: cert.path } : {}),
    ...(key.path !== undefined ? { clientKeyPath: key.path } : {}),
    ...(ca.path !== undefined ? { serverCaCertPath: ca.path } : {}),
    ...(tls?.serverName !== undefined ? { serverName: tls.serverName } : {}),
    ...(cert.data !== undefined ? { clientCertData: cert.data } : {}),
    ...(key.data !== undefined ? { clientKeyData: key.data } : {}),
    ...(ca.data !== undefined ? { serverCaCertData: ca.data } : {}),
  };
  const hasFiles = Object.keys(files).length > 0;
  const disabled = tls?.disabled === true;
  if (disabled && hasFiles) {
    problems.push('TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* certificate settings');
  }
  return {
    ...(profile.apiKey !== undefined ? { apiKey: profile.apiKey } : {}),
    tls: tls !== undefined && !disabled ? files : null,
    tlsDisabled: disabled,
    ...(profile.grpcMeta !== undefined && Object.keys(profile.grpcMeta).length > 0
      ? { metadata: profile.grpcMeta }
      : {}),
  };
}

/** `source` (the whole environment) tells envconfig where the default config file is. */
export const temporalSection = section(temporalVariables, (env, problems, source): TemporalSection => {
  const profile = loadProfile(env, source, problems);
  return {
    temporal: {
      address: profile.address ?? DEFAULT_TEMPORAL_ADDRESS,
      namespace: profile.namespace ?? DEFAULT_TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
    },
    temporalSecurity: securityFrom(profile, env, problems),
  };
});
