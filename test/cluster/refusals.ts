/**
 * Who the cluster's frontend turns away, and what they are told: a plaintext client, a client
 * without a certificate, one signed by another CA, one whose certificate expired (signed by the
 * stack's own CA), and one that expects another server name. For each, the SDK's own connection
 * fails (the server refuses it), and the CLI and the worker say which refusal it was with exit 2,
 * within a bound.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { Connection, type TLSConfig } from '@temporalio/client';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import {
  caFiles,
  createCa,
  issueCertificate,
  TLS_IDENTITIES,
  type CertificateAuthority,
} from '../../src/security/certificates.js';
import { clusterVolumes, CLUSTER_SERVER_NAME, type ClusterState } from '../../tooling/cluster/stack.js';

const DAY = 86_400_000;
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface RefusalCase {
  name: string;
  /** What the message of the CLI and the worker must say. */
  expect: RegExp;
  env: Record<string, string>;
  tls: TLSConfig | undefined;
}

export interface RefusalOutcome {
  name: string;
  sdkRefused: boolean;
  cli: { code: number | null; type: string | undefined; message: string; ms: number };
  worker: { code: number | null; output: string; ms: number };
}

async function stackCa(dataDir: string): Promise<CertificateAuthority> {
  const files = caFiles(clusterVolumes(dataDir)['tls-ca']);
  const der = x509.PemConverter.decode(readFileSync(files.key, 'utf8'))[0];
  if (!der) throw new Error('no CA key');
  const cert = new x509.X509Certificate(readFileSync(files.cert, 'utf8'));
  return {
    cert,
    keys: {
      privateKey: await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']),
      publicKey: await webcrypto.subtle.importKey('spki', cert.publicKey.rawData, ALGORITHM, true, [
        'verify',
      ]),
    },
  };
}

/** The five cases, their certificate files written into `scratch`. */
export async function refusalCases(state: ClusterState, scratch: string): Promise<RefusalCase[]> {
  const write = (name: string, made: { certPem: string; keyPem: string }) => {
    writeFileSync(join(scratch, `${name}.pem`), made.certPem);
    writeFileSync(join(scratch, `${name}.key`), made.keyPem, { mode: 0o600 });
    return {
      env: {
        TEMPORAL_TLS_CLIENT_CERT_PATH: join(scratch, `${name}.pem`),
        TEMPORAL_TLS_CLIENT_KEY_PATH: join(scratch, `${name}.key`),
      },
      pair: { crt: Buffer.from(made.certPem), key: Buffer.from(made.keyPem) },
    };
  };
  const other = await createCa(new Date(), DAY, 'another CA');
  const foreign = write(
    'foreign',
    await issueCertificate(other, 'intruder', TLS_IDENTITIES.worker, {
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + DAY),
    }),
  );
  const expired = write(
    'expired',
    await issueCertificate(await stackCa(state.dataDir), 'worker', TLS_IDENTITIES.worker, {
      notBefore: new Date(Date.now() - 3 * DAY),
      notAfter: new Date(Date.now() - DAY),
    }),
  );
  const ca = readFileSync(state.tls.caCert);
  const admin = { crt: readFileSync(state.tls.clientCert), key: readFileSync(state.tls.clientKey) };
  const trust = {
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: state.tls.caCert,
    TEMPORAL_TLS_SERVER_NAME: CLUSTER_SERVER_NAME,
  };
  const own = {
    TEMPORAL_TLS_CLIENT_CERT_PATH: state.tls.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: state.tls.clientKey,
  };
  return [
    { name: 'plaintext', expect: /requires TLS/, env: {}, tls: undefined },
    {
      name: 'no client certificate',
      expect: /requires a client certificate/,
      env: trust,
      tls: { serverRootCACertificate: ca, serverNameOverride: CLUSTER_SERVER_NAME },
    },
    {
      name: 'another CA',
      expect: /refused the client certificate.*not signed by a CA the server trusts/,
      env: { ...trust, ...foreign.env },
      tls: {
        serverRootCACertificate: ca,
        serverNameOverride: CLUSTER_SERVER_NAME,
        clientCertPair: foreign.pair,
      },
    },
    {
      name: 'expired',
      expect: /client certificate .*expired/,
      env: { ...trust, ...expired.env },
      tls: {
        serverRootCACertificate: ca,
        serverNameOverride: CLUSTER_SERVER_NAME,
        clientCertPair: expired.pair,
      },
    },
    {
      name: 'wrong server name',
      expect: /does not name "tdg-elsewhere"/,
      env: { ...trust, ...own, TEMPORAL_TLS_SERVER_NAME: 'tdg-elsewhere' },
      tls: { serverRootCACertificate: ca, serverNameOverride: 'tdg-elsewhere', clientCertPair: admin },
    },
  ];
}

function run(
  script: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: Date.now() - started });
    });
  });
}

/** The environment of a process that knows nothing of the cluster but what `env` says. */
function clientEnv(state: ClusterState, env: Record<string, string>): Record<string, string> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith('TEMPORAL_'),
    ),
  );
  return { ...inherited, TEMPORAL_ADDRESS: state.temporalAddress, NODE_ENV: 'development', ...env };
}

export async function tryRefusal(state: ClusterState, refusal: RefusalCase): Promise<RefusalOutcome> {
  let sdkRefused = false;
  try {
    const connection = await Connection.connect({
      address: state.temporalAddress,
      ...(refusal.tls ? { tls: refusal.tls } : {}),
      connectTimeout: 5_000,
    });
    await connection.workflowService.getSystemInfo({});
    await connection.close();
  } catch {
    sdkRefused = true;
  }
  const cli = await run('src/bin/job.ts', ['list', '--json'], clientEnv(state, refusal.env), 60_000);
  let error: { type?: string; message?: string } = {};
  try {
    error = (JSON.parse(cli.out.slice(cli.out.indexOf('{'))) as { error?: typeof error }).error ?? {};
  } catch {
    error = { message: cli.out };
  }
  const worker = await run(
    'src/bin/worker.ts',
    [],
    clientEnv(state, {
      ...refusal.env,
      TDG_BASE_URL: 'http://127.0.0.1:9',
      TDG_API_KEY: 'unused-in-this-test',
      TDG_AUTH_TOKEN: 'unused-in-this-test',
      WORKER_HEALTH_PORT: 'off',
      WORKER_METRICS_PORT: 'off',
    }),
    90_000,
  );
  return {
    name: refusal.name,
    sdkRefused,
    cli: { code: cli.code, type: error.type, message: error.message ?? '', ms: cli.ms },
    worker: { code: worker.code, output: worker.out, ms: worker.ms },
  };
}
