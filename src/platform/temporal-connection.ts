/**
 * Connecting to Temporal, once for every process: the options (address, TLS / mTLS / API key,
 * gRPC headers) from the validated `TEMPORAL_*` settings (config.ts), the same for
 * `Connection.connect` (clients) and `NativeConnection.connect` (the worker), and `connectClient`
 * for the starter, `npm run setup`, the listener and the dev stack.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/client';
import type { TemporalConnectionSecurity, TemporalSection } from './env/temporal.js';

export interface SecureConnectionOptions {
  tls?: TLSConfig | false;
  apiKey?: string;
  metadata?: Record<string, string>;
}

export function connectionSecurityOptions(security: TemporalConnectionSecurity): SecureConnectionOptions {
  const options: SecureConnectionOptions = {};
  if (security.apiKey !== undefined) options.apiKey = security.apiKey;
  if (security.metadata !== undefined) options.metadata = { ...security.metadata };
  if (security.tlsDisabled) {
    options.tls = false;
  } else if (security.tls) {
    const files = security.tls;
    const pem = (path: string | undefined, data: Buffer | undefined): Buffer | undefined =>
      data ?? (path === undefined ? undefined : readFileSync(path));
    const tls: TLSConfig = {};
    if (files.serverName !== undefined) tls.serverNameOverride = files.serverName;
    const ca = pem(files.serverCaCertPath, files.serverCaCertData);
    if (ca !== undefined) tls.serverRootCACertificate = ca;
    const crt = pem(files.clientCertPath, files.clientCertData);
    const key = pem(files.clientKeyPath, files.clientKeyData);
    if (crt !== undefined && key !== undefined) tls.clientCertPair = { crt, key };
    options.tls = tls;
  }
  return options;
}

export interface ConnectOptions {
  /** Connect on the first call instead of now (a process that must start while Temporal is down). */
  lazy?: boolean;
  /** How long the eager connect may take; the SDK's default otherwise. */
  connectTimeoutMs?: number;
}

/** Everything `Connection.connect` / `NativeConnection.connect` need: address and security. */
export function connectionOptions(
  config: TemporalSection,
  options: Pick<ConnectOptions, 'connectTimeoutMs'> = {},
): SecureConnectionOptions & { address: string; connectTimeout?: number } {
  return {
    ...connectionSecurityOptions(config.temporalSecurity),
    address: config.temporal.address,
    ...(options.connectTimeoutMs !== undefined ? { connectTimeout: options.connectTimeoutMs } : {}),
  };
}

/** A client on the configured namespace; close `connection` when done. */
export async function connectClient(
  config: TemporalSection,
  options: ConnectOptions = {},
): Promise<{ connection: Connection; client: Client }> {
  const connectOptions = connectionOptions(config, options);
  const connection = options.lazy
    ? Connection.lazy(connectOptions)
    : await Connection.connect(connectOptions);
  return { connection, client: new Client({ connection, namespace: config.temporal.namespace }) };
}

/** For logs: how the connection is secured, never the key or certificate contents. */
export function describeConnectionSecurity(security: TemporalConnectionSecurity): string {
  const parts: string[] = [];
  const mtls = security.tls?.clientCertPath !== undefined || security.tls?.clientCertData !== undefined;
  if (mtls) parts.push('mTLS');
  else if (security.tls || (security.apiKey !== undefined && !security.tlsDisabled)) parts.push('TLS');
  if (security.apiKey !== undefined) parts.push('API key');
  return parts.length > 0 ? parts.join(' + ') : 'plaintext';
}
