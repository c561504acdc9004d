/**
 * Why a TLS connection to Temporal failed, told from the handshake: against real TLS servers on
 * loopback (node:tls, requiring client certificates of our CA as Temporal's frontend does), each
 * refusal is named — no certificate, one of another CA, an expired one, a server name that does not
 * match, a server we do not trust, TLS on one side only — and a server that is merely down is not
 * a TLS problem. The CLI turns a refusal into TlsRefused with exit 2.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TLSConfig } from '@temporalio/client';
import {
  createCa,
  ensureCertificates,
  identityFiles,
  issueCertificate,
  TLS_IDENTITIES,
} from '../src/security/certificates.js';
import { diagnoseTlsRefusal, type TlsRefusal } from '../src/platform/tls-diagnosis.js';
import { main } from '../src/cli/main.js';

const DAY = 86_400_000;
const root = mkdtempSync(join(tmpdir(), 'tdg-tls-diagnosis-'));
const dir = join(root, 'tls');
const servers: Server[] = [];
let tlsAddress: string;
let plainAddress: string;
let closedAddress: string;
let ca: Buffer;
let worker: { crt: Buffer; key: Buffer };
let foreign: { crt: Buffer; key: Buffer };
let expired: { crt: Buffer; key: Buffer };

const listen = async (server: Server): Promise<string> => {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const pair = (made: { certPem: string; keyPem: string }) => ({
  crt: Buffer.from(made.certPem),
  key: Buffer.from(made.keyPem),
});

beforeAll(async () => {
  await ensureCertificates({ dir, caDir: join(root, 'ca') });
  const files = (identity: string) => identityFiles(dir, identity);
  ca = readFileSync(join(dir, 'ca.pem'));
  worker = { crt: readFileSync(files('worker').cert), key: readFileSync(files('worker').key) };
  const other = await createCa(new Date(), DAY, 'another CA');
  foreign = pair(
    await issueCertificate(other, 'intruder', TLS_IDENTITIES.worker, {
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + DAY),
    }),
  );
  expired = pair(
    await issueCertificate(other, 'old', TLS_IDENTITIES.worker, {
      notBefore: new Date(Date.now() - 3 * DAY),
      notAfter: new Date(Date.now() - DAY),
    }),
  );
  // What Temporal's frontend does with TEMPORAL_TLS_REQUIRE_CLIENT_AUTH: our CA's clients only.
  tlsAddress = await listen(
    createTlsServer(
      {
        cert: readFileSync(files('frontend').cert),
        key: readFileSync(files('frontend').key),
        ca,
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2'],
      },
      (socket) => socket.on('error', () => undefined),
    ),
  );
  // A plaintext gRPC server answers a TLS hello with bytes that are not TLS.
  plainAddress = await listen(
    createTcpServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    }),
  );
  const closed = createTcpServer();
  closedAddress = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});

afterAll(() => {
  for (const server of servers) server.close();
  rmSync(root, { recursive: true, force: true });
});

const diagnose = (address: string, tls?: TLSConfig | boolean): Promise<TlsRefusal | undefined> =>
  diagnoseTlsRefusal(address, tls === undefined ? {} : { tls });

describe('diagnoseTlsRefusal', () => {
  it('names a missing client certificate', async () => {
    expect((await diagnose(tlsAddress, { serverRootCACertificate: ca }))?.kind).toBe(
      'client-certificate-missing',
    );
  });

  it('names a client certificate of another CA', async () => {
    const refusal = await diagnose(tlsAddress, { serverRootCACertificate: ca, clientCertPair: foreign });
    expect(refusal?.kind).toBe('client-certificate-refused');
    expect(refusal?.message).toMatch(/refused the client certificate/);
  });

  it('names an expired client certificate before asking the server', async () => {
    const refusal = await diagnose(closedAddress, { serverRootCACertificate: ca, clientCertPair: expired });
    expect(refusal?.kind).toBe('client-certificate-expired');
    expect(refusal?.message).toMatch(/expired on \d{4}-\d\d-\d\d/);
  });

  it('names a server name the certificate does not carry', async () => {
    const refusal = await diagnose(tlsAddress, {
      serverRootCACertificate: ca,
      clientCertPair: worker,
      serverNameOverride: 'elsewhere',
    });
    expect(refusal?.kind).toBe('server-name-mismatch');
    expect(refusal?.message).toContain('"elsewhere"');
  });

  it('names a server this client does not trust', async () => {
    const refusal = await diagnose(tlsAddress, { clientCertPair: worker });
    expect(refusal?.kind).toBe('server-not-trusted');
  });

  it('names TLS on one side only', async () => {
    expect((await diagnose(tlsAddress))?.kind).toBe('server-requires-tls');
    expect(
      (await diagnose(plainAddress, { serverRootCACertificate: ca, clientCertPair: worker }))?.kind,
    ).toBe('server-without-tls');
  });

  it('finds nothing wrong with TLS when the settings are right, or the server is down', async () => {
    const good = { serverRootCACertificate: ca, clientCertPair: worker, serverNameOverride: 'temporal' };
    expect(await diagnose(tlsAddress, good)).toBeUndefined();
    expect(await diagnose(closedAddress, good)).toBeUndefined();
    expect(await diagnose(closedAddress)).toBeUndefined();
  });
});

describe('the CLI', () => {
  it('refuses an expired client certificate with TlsRefused, exit 2, saying so', async () => {
    const cert = join(root, 'expired.pem');
    const key = join(root, 'expired.key');
    writeFileSync(cert, expired.crt);
    writeFileSync(key, expired.key);
    const saved = { ...process.env };
    Object.assign(process.env, {
      TEMPORAL_ADDRESS: closedAddress,
      TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'ca.pem'),
    });
    const out: string[] = [];
    try {
      const code = await main(['list', '--json'], { out: (line) => out.push(line), err: () => undefined });
      expect(code).toBe(2);
    } finally {
      process.env = saved;
    }
    const { error } = JSON.parse(out.join('\n')) as { error: { type: string; message: string } };
    expect(error.type).toBe('TlsRefused');
    expect(error.message).toMatch(/client certificate .* expired on/);
  });
});
