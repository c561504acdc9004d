/**
 * The production stacks' private PKI: one CA and a short-lived certificate per identity, kept in a
 * folder of the stack's data (never in git) and reissued when missing, expiring, or no longer
 * signed by the CA. ECDSA P-256 with SHA-256 throughout: every party here (temporal-server and
 * the Web UI server in Go, the SDK's Rust core, Node) speaks it, and keys stay small.
 *
 * Two folders: the CA's (`ca.pem`, `ca.key`), which only this module reads, and the one every
 * component mounts: `ca.pem` (what everyone trusts) and `<identity>.pem` / `<identity>.key` for
 * each identity in TLS_IDENTITIES.
 */
import 'reflect-metadata';
import { webcrypto, type webcrypto as WebCrypto } from 'node:crypto';

type CryptoKey = WebCrypto.CryptoKey;
type CryptoKeyPair = WebCrypto.CryptoKeyPair;
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** Who holds a certificate, and what it may do with it. */
export interface IdentitySpec {
  /** serverAuth: presents it as a TLS server; clientAuth: as a TLS client. */
  usages: readonly ('server' | 'client')[];
  /** Server names (DNS or IP) it answers to; clients need none. */
  serverNames?: readonly string[];
}

/**
 * The server names a Temporal node answers to: the compose service name (what containers dial and
 * what internode traffic verifies), and loopback for the native run and a person's CLI.
 */
export const TEMPORAL_SERVER_NAMES = ['temporal', 'localhost', '127.0.0.1'] as const;

/**
 * Every identity of the stacks. One per component rather than one shared client certificate, so
 * that a leaked key is replaced (and, with an authorizer, scoped) for that component alone.
 */
export const TLS_IDENTITIES = {
  /** temporal-server's internode traffic; also its client certificate toward the frontend. */
  internode: { usages: ['server', 'client'], serverNames: TEMPORAL_SERVER_NAMES },
  /** The frontend's certificate, shown to every client. */
  frontend: { usages: ['server'], serverNames: TEMPORAL_SERVER_NAMES },
  worker: { usages: ['client'] },
  listener: { usages: ['client'] },
  'web-ui': { usages: ['client'] },
  /** Operators and the one-shot jobs: the temporal CLI, `npm run setup`, `npm run job`. */
  admin: { usages: ['client'] },
} as const satisfies Record<string, IdentitySpec>;

export type Identity = keyof typeof TLS_IDENTITIES;

export interface Lifetimes {
  caMs: number;
  leafMs: number;
  /** A certificate with less than this left is reissued. */
  renewBeforeMs: number;
}

/** Short-lived leaves (a leaked key is worth little for long); a CA that outlives many of them. */
export const DEFAULT_LIFETIMES: Lifetimes = {
  caMs: 365 * DAY_MS,
  leafMs: 30 * DAY_MS,
  renewBeforeMs: 10 * DAY_MS,
};

export interface IssuedFiles {
  cert: string;
  key: string;
}

export const caFiles = (dir: string): IssuedFiles => ({
  cert: join(dir, 'ca.pem'),
  key: join(dir, 'ca.key'),
});
export const identityFiles = (dir: string, identity: string): IssuedFiles => ({
  cert: join(dir, `${identity}.pem`),
  key: join(dir, `${identity}.key`),
});

export interface CertificateAuthority {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

export interface EnsureResult {
  /** The CA was created (every leaf is then new too). */
  newCa: boolean;
  issued: Identity[];
  kept: Identity[];
  /** The earliest expiry among the leaves. */
  leavesExpire: Date;
}

const serial = (): string =>
  Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

async function keyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** Writes a file whole or not at all; keys readable by the owner only. */
function writeAtomically(path: string, text: string, mode: number): void {
  writeFileSync(`${path}.tmp`, text, { mode });
  chmodSync(`${path}.tmp`, mode);
  renameSync(`${path}.tmp`, path);
}

export async function createCa(
  now: Date,
  lifetimeMs: number,
  name = 'tdg-email-append private CA',
): Promise<CertificateAuthority> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + lifetimeMs),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

/** A leaf certificate signed by `ca`; `notBefore`/`notAfter` are free so tests can issue expired ones. */
export async function issueCertificate(
  ca: CertificateAuthority,
  commonName: string,
  spec: IdentitySpec,
  validity: { notBefore: Date; notAfter: Date },
): Promise<{ certPem: string; keyPem: string }> {
  const keys = await newKeys();
  const usages = [
    ...(spec.usages.includes('server') ? [x509.ExtendedKeyUsage.serverAuth] : []),
    ...(spec.usages.includes('client') ? [x509.ExtendedKeyUsage.clientAuth] : []),
  ];
  const names = (spec.serverNames ?? []).map((value) => ({
    type: /^[\d.]+$|:/.test(value) ? ('ip' as const) : ('dns' as const),
    value,
  }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${commonName}`,
    issuer: ca.cert.subject,
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(usages, false),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

function readCaCert(dir: string): x509.X509Certificate | undefined {
  const files = caFiles(dir);
  if (!existsSync(files.cert) || !existsSync(files.key)) return undefined;
  try {
    return new x509.X509Certificate(readFileSync(files.cert, 'utf8'));
  } catch {
    return undefined;
  }
}

async function loadCaKeys(dir: string, cert: x509.X509Certificate): Promise<CertificateAuthority> {
  const der = x509.PemConverter.decode(readFileSync(caFiles(dir).key, 'utf8'))[0];
  if (!der) throw new Error(`${caFiles(dir).key}: no private key in the file`);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign']);
  return {
    cert,
    keys: {
      privateKey,
      publicKey: await webcrypto.subtle.importKey('spki', cert.publicKey.rawData, ALGORITHM, true, [
        'verify',
      ]),
    },
  };
}

/** Whether a certificate file is signed by `ca`, lives long enough, and names what `spec` needs. */
async function stillGood(
  path: string,
  ca: x509.X509Certificate,
  spec: IdentitySpec,
  renewAt: Date,
): Promise<x509.X509Certificate | undefined> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  if (cert.notAfter <= renewAt || cert.issuer !== ca.subject) return undefined;
  if (!(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }))) return undefined;
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const has = new Set((san?.names.items ?? []).map((name) => name.value));
  return (spec.serverNames ?? []).every((name) => has.has(name)) ? cert : undefined;
}

/**
 * Makes `dir` hold a valid CA and a certificate for each identity, reissuing only what is missing
 * or due: run on every start of a stack, it is quick when nothing is due.
 */
export async function ensureCertificates(
  dirs: { dir: string; caDir: string },
  options: { now?: Date; lifetimes?: Lifetimes } = {},
): Promise<EnsureResult> {
  const { dir, caDir } = dirs;
  const now = options.now ?? new Date();
  const lifetimes = options.lifetimes ?? DEFAULT_LIFETIMES;
  mkdirSync(caDir, { recursive: true, mode: 0o700 });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const renewAt = new Date(now.getTime() + lifetimes.renewBeforeMs);

  // The CA must outlive a leaf issued now, or that leaf would fail before its time.
  const existing = readCaCert(caDir);
  let ca: CertificateAuthority;
  let newCa = false;
  if (existing && existing.notAfter > new Date(now.getTime() + lifetimes.leafMs)) {
    ca = await loadCaKeys(caDir, existing);
  } else {
    ca = await createCa(now, lifetimes.caMs);
    newCa = true;
    writeAtomically(caFiles(caDir).key, await keyPem(ca.keys.privateKey), 0o600);
    writeAtomically(caFiles(caDir).cert, ca.cert.toString('pem'), 0o644);
  }
  writeAtomically(caFiles(dir).cert, ca.cert.toString('pem'), 0o644);

  const issued: Identity[] = [];
  const kept: Identity[] = [];
  let leavesExpire = new Date(now.getTime() + lifetimes.leafMs);
  for (const [identity, spec] of Object.entries(TLS_IDENTITIES) as [Identity, IdentitySpec][]) {
    const files = identityFiles(dir, identity);
    const good = existsSync(files.key) ? await stillGood(files.cert, ca.cert, spec, renewAt) : undefined;
    if (good) {
      kept.push(identity);
      if (good.notAfter < leavesExpire) leavesExpire = good.notAfter;
      continue;
    }
    const made = await issueCertificate(ca, identity, spec, {
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + lifetimes.leafMs),
    });
    // Key first: a reader that finds the new certificate also finds its key.
    writeAtomically(files.key, made.keyPem, 0o600);
    writeAtomically(files.cert, made.certPem, 0o644);
    issued.push(identity);
  }
  return { newCa, issued, kept, leavesExpire };
}
