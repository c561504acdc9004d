/**
 * The stacks' private PKI: a CA and one certificate per component, which OpenSSL verifies against
 * the CA with the usage each needs; a second run keeps them, and a certificate that is due, signed
 * by another CA or missing its key is reissued.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createCa,
  DEFAULT_LIFETIMES,
  ensureCertificates,
  identityFiles,
  issueCertificate,
  TLS_IDENTITIES,
} from '../src/security/certificates.js';
import { certificatesMain } from '../src/security/certificates-main.js';

const DAY = 86_400_000;
const root = mkdtempSync(join(tmpdir(), 'tdg-pki-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dirsIn = (name: string) => ({ dir: join(root, name, 'tls'), caDir: join(root, name, 'ca') });
const openssl = (...args: string[]): string =>
  execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const serial = (path: string): string => new X509Certificate(readFileSync(path)).serialNumber;

describe('ensureCertificates', () => {
  it('issues a CA and a certificate per component that OpenSSL verifies for its purpose', async () => {
    const dirs = dirsIn('fresh');
    const result = await ensureCertificates(dirs);
    expect(result.newCa).toBe(true);
    expect(result.issued.sort()).toEqual(Object.keys(TLS_IDENTITIES).sort());
    const ca = join(dirs.dir, 'ca.pem');
    for (const [identity, spec] of Object.entries(TLS_IDENTITIES)) {
      const { cert, key } = identityFiles(dirs.dir, identity);
      for (const usage of spec.usages) {
        const purpose = usage === 'server' ? 'sslserver' : 'sslclient';
        expect(openssl('verify', '-purpose', purpose, '-CAfile', ca, cert)).toContain(': OK');
      }
      // The key belongs to the certificate, and only its owner may read it.
      expect(openssl('pkey', '-in', key, '-pubout')).toBe(openssl('x509', '-in', cert, '-noout', '-pubkey'));
      expect(statSync(key).mode & 0o077).toBe(0);
    }
    // A client-only certificate is not a server's.
    expect(() =>
      openssl('verify', '-purpose', 'sslserver', '-CAfile', ca, identityFiles(dirs.dir, 'worker').cert),
    ).toThrow();
    const frontend = new X509Certificate(readFileSync(identityFiles(dirs.dir, 'frontend').cert));
    expect(frontend.subjectAltName).toBe('DNS:temporal, DNS:localhost, IP Address:127.0.0.1');
    expect(Date.parse(frontend.validTo) - Date.now()).toBeLessThanOrEqual(DEFAULT_LIFETIMES.leafMs);
    // The CA's key stays in its own folder.
    expect(() => statSync(join(dirs.dir, 'ca.key'))).toThrow();
  });

  it('keeps what is valid, and reissues what is due, foreign or without its key', async () => {
    const dirs = dirsIn('renew');
    await ensureCertificates(dirs);
    const before = serial(identityFiles(dirs.dir, 'worker').cert);
    const again = await ensureCertificates(dirs);
    expect(again).toMatchObject({ newCa: false, issued: [] });
    expect(serial(identityFiles(dirs.dir, 'worker').cert)).toBe(before);

    // Due: 25 days on, a 30-day certificate has less than the 10 days left that trigger renewal.
    const later = await ensureCertificates(dirs, { now: new Date(Date.now() + 25 * DAY) });
    expect(later.newCa).toBe(false);
    expect(later.issued.length).toBe(Object.keys(TLS_IDENTITIES).length);
    expect(serial(identityFiles(dirs.dir, 'worker').cert)).not.toBe(before);

    // Signed by another CA (an old stack's): reissued. Without its key: reissued.
    const other = await createCa(new Date(), DAY, 'another CA');
    const foreign = await issueCertificate(other, 'listener', TLS_IDENTITIES.listener, {
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 20 * DAY),
    });
    writeFileSync(identityFiles(dirs.dir, 'listener').cert, foreign.certPem);
    unlinkSync(identityFiles(dirs.dir, 'admin').key);
    const repaired = await ensureCertificates(dirs);
    expect(repaired.issued.sort()).toEqual(['admin', 'listener']);
    expect(
      openssl('verify', '-CAfile', join(dirs.dir, 'ca.pem'), identityFiles(dirs.dir, 'listener').cert),
    ).toContain(': OK');
  });

  it('makes a new CA, and new certificates, when the CA would not outlive a new certificate', async () => {
    const dirs = dirsIn('ca-expiry');
    await ensureCertificates(dirs);
    const result = await ensureCertificates(dirs, { now: new Date(Date.now() + 350 * DAY) });
    expect(result.newCa).toBe(true);
    expect(result.issued.length).toBe(Object.keys(TLS_IDENTITIES).length);
  });
});

describe('the certificates command', () => {
  it('needs both folders, and reports what it did', async () => {
    const said: string[] = [];
    const say = (line: string): void => void said.push(line);
    const complaints: string[] = [];
    const complain = (line: string): void => void complaints.push(line);
    expect(await certificatesMain(['--dir', join(root, 'cmd')], say, complain)).toBe(2);
    expect(await certificatesMain(['--bogus'], say, complain)).toBe(2);
    expect(complaints.join('\n')).toMatch(/--dir and --ca-dir are required[\s\S]*Unknown option '--bogus'/);
    const dirs = dirsIn('cmd');
    expect(await certificatesMain(['--dir', dirs.dir, '--ca-dir', dirs.caDir], say)).toBe(0);
    expect(said.join('\n')).toMatch(
      /new private CA[\s\S]*issued internode, frontend, worker, listener, web-ui, admin/,
    );
  });
});
