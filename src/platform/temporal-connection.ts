/**
 * Connecting to Temporal, once for every process: the options (address, TLS / mTLS / API key,
 * gRPC headers) from the validated `TEMPORAL_*` settings (env/temporal.ts), the same for
 * `Connection.connect` (clients) and `NativeConnection.connect` (the worker), and `connectClient`
 * for the starter, `npm run setup`, the listener and the dev stack — with the payload codec when
 * keys are configured (data-converter.ts).
 */
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { clientDataConverter, payloadCodecFor } from './data-converter.js';
import type { TemporalConnectionSecurity, TemporalSection } from './env/temporal.js';
import { diagnoseTlsRefusal, ownCertificateProblem, type TlsRefusal } from './tls-diagnosis.js';

/** Temporal refused the TLS handshake (or wanted one): a setting to fix, not an outage. */
export class TlsRefusedError extends Error {
  override name = 'TlsRefusedError';
  constructor(readonly refusal: TlsRefusal) {
    super(refusal.message);
  }
}

/**
 * Connects with `connect`; on failure, the TLS reason when there is one (TlsRefusedError), else
 * the original error. An expired or unreadable client certificate is refused before connecting.
 */
export async function connectOrExplain<T>(
  address: string,
  security: TemporalConnectionSecurity,
  connect: () => Promise<T>,
): Promise<T> {
  const own = typeof security.tls === 'object' ? ownCertificateProblem(security.tls) : undefined;
  if (own) throw new TlsRefusedError(own);
  try {
    return await connect();
  } catch (error) {
    const refusal = await diagnoseTlsRefusal(address, security).catch(() => undefined);
    throw refusal ? new TlsRefusedError(refusal) : error;
  }
}

export interface ConnectOptions {
  /** Connect on the first call instead of now (a process that must start while Temporal is down). */
  lazy?: boolean;
  /** How long the eager connect may take; the SDK's default otherwise. */
  connectTimeoutMs?: number;
  /** The client's payload codec instead of the configured keys' (null: none). */
  payloadCodec?: PayloadCodec | null;
}

/** Everything `Connection.connect` / `NativeConnection.connect` need: address and security. */
export function connectionOptions(
  config: TemporalSection,
  options: Pick<ConnectOptions, 'connectTimeoutMs'> = {},
): TemporalConnectionSecurity & { address: string; connectTimeout?: number } {
  return {
    ...config.temporalSecurity,
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
    : await connectOrExplain(config.temporal.address, config.temporalSecurity, () =>
        Connection.connect(connectOptions),
      );
  return {
    connection,
    client: new Client({
      connection,
      namespace: config.temporal.namespace,
      dataConverter: clientDataConverter(
        options.payloadCodec !== undefined ? options.payloadCodec : payloadCodecFor(config.codecKeys),
      ),
    }),
  };
}

/** For logs: how the connection is secured, never the key or certificate contents. */
export function describeConnectionSecurity(security: TemporalConnectionSecurity): string {
  const parts: string[] = [];
  const { tls, apiKey } = security;
  if (typeof tls === 'object' && tls.clientCertPair !== undefined) parts.push('mTLS');
  else if (tls === true || typeof tls === 'object' || (apiKey !== undefined && tls !== false))
    parts.push('TLS');
  if (security.apiKey !== undefined) parts.push('API key');
  return parts.length > 0 ? parts.join(' + ') : 'plaintext';
}
