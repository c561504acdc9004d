import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createCa, issueCertificate, TLS_IDENTITIES } from './src/security/certificates.ts';
import { diagnoseTlsRefusal } from './src/platform/tls-diagnosis.ts';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
const dir='/tmp/cl1/tls'; const addr='127.0.0.1:7533';
const ca = readFileSync(`${dir}/ca.pem`);
const other = await createCa(new Date(), 86400000, 'other');
const o = await issueCertificate(other, 'intruder', TLS_IDENTITIES.worker, { notBefore: new Date(Date.now()-60000), notAfter: new Date(Date.now()+86400000)});
// expired, signed by the real CA
const der = x509.PemConverter.decode(readFileSync('/tmp/cl1/tls-ca/ca.key','utf8'))[0];
const alg={ name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const realCa = { cert: new x509.X509Certificate(readFileSync('/tmp/cl1/tls-ca/ca.pem','utf8')), keys: { privateKey: await webcrypto.subtle.importKey('pkcs8', der, alg, true, ['sign']), publicKey: undefined as any } };
const e = await issueCertificate(realCa, 'old', TLS_IDENTITIES.worker, { notBefore: new Date(Date.now()-3*86400000), notAfter: new Date(Date.now()-86400000)});
const admin = { crt: readFileSync(`${dir}/admin.pem`), key: readFileSync(`${dir}/admin.key`) };
const cases: Record<string, any> = {
  nocert: { serverRootCACertificate: ca },
  otherca: { serverRootCACertificate: ca, clientCertPair: { crt: Buffer.from(o.certPem), key: Buffer.from(o.keyPem) } },
  expired: { serverRootCACertificate: ca, clientCertPair: { crt: Buffer.from(e.certPem), key: Buffer.from(e.keyPem) } },
  wrongname: { serverRootCACertificate: ca, clientCertPair: admin, serverNameOverride: 'elsewhere' },
  good: { serverRootCACertificate: ca, clientCertPair: admin, serverNameOverride: 'temporal' },
};
for (const [name, tls] of Object.entries(cases)) {
  let grpc='ok', core='ok';
  try { const c = await Connection.connect({ address: addr, tls, connectTimeout: 3000 }); await c.workflowService.getSystemInfo({}); await c.close(); } catch (err) { grpc = String((err as Error).message).slice(0,150); }
  try { const c = await NativeConnection.connect({ address: addr, tls }); await c.close(); } catch (err) { core = String((err as Error).message).slice(0,200); }
  const d = await diagnoseTlsRefusal(addr, { tls });
  console.log(name, '\n  grpc:', grpc, '\n  core:', core, '\n  diag:', d);
}
console.log('plain', await diagnoseTlsRefusal(addr, {}));
process.exit(0);
