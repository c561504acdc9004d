/**
 * Why a connection to Temporal failed when TLS is involved. The SDK only says "failed to connect"
 * (grpc-js) or "transport error" (core) whatever the cause; a person needs to know whether no
 * certificate was sent, the server refused ours, ours expired, or the server is not who we
 * asked for. So after a failed connect we repeat only the TLS handshake, with the same settings,
 * over node:tls, whose errors name the alert or the verification failure.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity as tlsCheck, connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { TemporalConnectionSecurity } from './env/temporal.js';

/** What went wrong, in words that name the variable to fix. */
export interface TlsRefusal {
  kind:
    | 'client-certificate-missing'
    | 'client-certificate-refused'
    | 'client-certificate-expired'
    | 'server-name-mismatch'
    | 'server-not-trusted'
    | 'server-requires-tls'
    | 'server-without-tls';
  message: string;
}

type TlsSettings = Exclude<TemporalConnectionSecurity['tls'], boolean | undefined>;

/** Our own client certificate's problem, known without asking the server. */
export function ownCertificateProblem(tls: TlsSettings, now = new Date()): TlsRefusal | undefined {
  const crt = tls.clientCertPair?.crt;
  if (!crt) return undefined;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(crt);
  } catch {
    return {
      kind: 'client-certificate-refused',
      message: 'the client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH) is not a PEM certificate',
    };
  }
  const notAfter = new Date(cert.validTo);
  if (notAfter < now) {
    return {
      kind: 'client-certificate-expired',
      message: `the client certificate (TEMPORAL_TLS_CLIENT_CERT_PATH) expired on ${notAfter.toISOString()}: renew it`,
    };
  }
  return undefined;
}

function hostAndPort(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  return match ? { host: match[1] ?? address, port: Number(match[2]) } : { host: address, port: 7233 };
}

/**
 * The handshake's outcome: an error (node's code and message), or nothing once it held ~1 s. A
 * server that closes right after the handshake without a byte (a gRPC server speaks first) refused
 * what it saw: CLOSED_AFTER_HANDSHAKE.
 */
function handshake(
  options: ConnectionOptions,
  timeoutMs: number,
): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ ...options, ALPNProtocols: ['h2'] });
    let settled = false;
    let secured = false;
    let answered = false;
    const done = (error: NodeJS.ErrnoException | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(error);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('error', (error: NodeJS.ErrnoException) => done(error));
    // TLS 1.3 reports a refused client certificate after the handshake: wait for it briefly.
    socket.on('secureConnect', () => {
      secured = true;
      setTimeout(() => done(undefined), 1_000).unref();
    });
    socket.on('data', () => (answered = true));
    socket.on('close', () =>
      done(
        secured && !answered
          ? Object.assign(new Error('the server closed the connection after the handshake'), {
              code: 'CLOSED_AFTER_HANDSHAKE',
            })
          : undefined,
      ),
    );
  });
}

const UNTRUSTED_SERVER = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
]);

function fromHandshakeError(
  error: NodeJS.ErrnoException,
  where: string,
  serverName: string,
): TlsRefusal | undefined {
  const code = error.code ?? '';
  const text = `${code} ${error.message}`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      kind: 'server-name-mismatch',
      message: `Temporal at ${where} presented a certificate that does not name "${serverName}" (TEMPORAL_TLS_SERVER_NAME, or the address's host): ${error.message}`,
    };
  }
  if (UNTRUSTED_SERVER.has(code)) {
    return {
      kind: 'server-not-trusted',
      message: `Temporal at ${where} presented a certificate this client does not trust (${code}): check TEMPORAL_TLS_SERVER_CA_CERT_PATH`,
    };
  }
  if (/CERTIFICATE_REQUIRED|certificate required/i.test(text)) {
    return {
      kind: 'client-certificate-missing',
      message: `Temporal at ${where} requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH`,
    };
  }
  if (/ALERT_CERTIFICATE_EXPIRED|certificate expired/i.test(text)) {
    return {
      kind: 'client-certificate-expired',
      message: `Temporal at ${where} refused the client certificate as expired: renew TEMPORAL_TLS_CLIENT_CERT_PATH`,
    };
  }
  if (code === 'CLOSED_AFTER_HANDSHAKE') {
    return {
      kind: 'client-certificate-refused',
      message: `Temporal at ${where} closed the connection right after the handshake: it refused the client certificate (not signed by a CA the server trusts?); check TEMPORAL_TLS_CLIENT_CERT_PATH`,
    };
  }
  if (
    /ALERT_UNKNOWN_CA|ALERT_BAD_CERTIFICATE|ALERT_UNSUPPORTED_CERTIFICATE|ALERT_CERTIFICATE_UNKNOWN|ALERT_DECRYPT_ERROR|ALERT_ACCESS_DENIED/i.test(
      code,
    )
  ) {
    return {
      kind: 'client-certificate-refused',
      message: `Temporal at ${where} refused the client certificate (${code.replace(/^ERR_SSL_/, '')}): it is not signed by a CA the server trusts; check TEMPORAL_TLS_CLIENT_CERT_PATH`,
    };
  }
  if (/WRONG_VERSION_NUMBER|packet length too long|unknown protocol/i.test(text)) {
    return {
      kind: 'server-without-tls',
      message: `Temporal at ${where} does not speak TLS: unset TEMPORAL_TLS and the TEMPORAL_TLS_* certificate settings, or check the address`,
    };
  }
  return undefined;
}

/**
 * After a failed connect: the TLS reason, or undefined when TLS is not why (the server is down,
 * the address is wrong). A plaintext client learns whether the server wanted TLS.
 */
export async function diagnoseTlsRefusal(
  address: string,
  security: TemporalConnectionSecurity,
  timeoutMs = 3_000,
): Promise<TlsRefusal | undefined> {
  const { host, port } = hostAndPort(address);
  const tls = security.tls;
  const usesTls = tls !== undefined && tls !== false ? true : security.apiKey !== undefined && tls !== false;
  if (!usesTls) {
    // Only to learn whether the server speaks TLS, verifying as always: a certificate this client
    // cannot verify (a private CA, another name) is a TLS server's answer too.
    const error = await handshake({ host, port, ...(isIP(host) ? {} : { servername: host }) }, timeoutMs);
    const spokeTls =
      error === undefined ||
      error.code === 'CLOSED_AFTER_HANDSHAKE' ||
      error.code === 'ERR_TLS_CERT_ALTNAME_INVALID' ||
      UNTRUSTED_SERVER.has(error.code ?? '') ||
      /CERTIFICATE_REQUIRED|certificate required/i.test(`${error.code} ${error.message}`);
    return spokeTls
      ? {
          kind: 'server-requires-tls',
          message: `Temporal at ${address} requires TLS (and may require a client certificate): set TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (docs/security.md)`,
        }
      : undefined;
  }
  const settings: TlsSettings = typeof tls === 'object' ? tls : {};
  const own = ownCertificateProblem(settings);
  if (own) return own;
  const serverName = settings.serverNameOverride ?? host;
  const error = await handshake(
    {
      host,
      port,
      ...(isIP(serverName) ? {} : { servername: serverName }),
      ...(settings.serverNameOverride ? { checkServerIdentity: checkAgainst(serverName) } : {}),
      ...(settings.serverRootCACertificate ? { ca: Buffer.from(settings.serverRootCACertificate) } : {}),
      ...(settings.clientCertPair
        ? { cert: Buffer.from(settings.clientCertPair.crt), key: Buffer.from(settings.clientCertPair.key) }
        : {}),
    },
    timeoutMs,
  );
  return error ? fromHandshakeError(error, address, serverName) : undefined;
}

/** node:tls checks the certificate against `host`; with an override the name to check is that. */
function checkAgainst(serverName: string): NonNullable<ConnectionOptions['checkServerIdentity']> {
  return (_host, cert) => tlsCheck(serverName, cert);
}
