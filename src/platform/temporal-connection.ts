/**
 * Connection options for a secured Temporal (Temporal Cloud with an API key or mTLS, or a
 * self-hosted cluster behind TLS), from the validated `TEMPORAL_*` settings in config.ts.
 * The same options fit `NativeConnection.connect` (worker) and `Connection.connect` (clients).
 */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/worker';
import type { TemporalConnectionSecurity } from './config.js';

export interface SecureConnectionOptions {
  tls?: TLSConfig | false;
  apiKey?: string;
}

export function connectionSecurityOptions(security: TemporalConnectionSecurity): SecureConnectionOptions {
  const options: SecureConnectionOptions = {};
  if (security.apiKey !== undefined) options.apiKey = security.apiKey;
  if (security.tlsDisabled) {
    options.tls = false;
  } else if (security.tls) {
    const files = security.tls;
    const tls: TLSConfig = {};
    if (files.serverName !== undefined) tls.serverNameOverride = files.serverName;
    if (files.serverCaCertPath !== undefined)
      tls.serverRootCACertificate = readFileSync(files.serverCaCertPath);
    if (files.clientCertPath !== undefined && files.clientKeyPath !== undefined) {
      tls.clientCertPair = {
        crt: readFileSync(files.clientCertPath),
        key: readFileSync(files.clientKeyPath),
      };
    }
    options.tls = tls;
  }
  return options;
}

/** For logs: how the connection is secured, never the key or certificate contents. */
export function describeConnectionSecurity(security: TemporalConnectionSecurity): string {
  const parts: string[] = [];
  if (security.tls?.clientCertPath !== undefined) parts.push('mTLS');
  else if (security.tls || (security.apiKey !== undefined && !security.tlsDisabled)) parts.push('TLS');
  if (security.apiKey !== undefined) parts.push('API key');
  return parts.length > 0 ? parts.join(' + ') : 'plaintext';
}
