// Throw-away test PKI made with the openssl CLI: a CA and one server
// certificate for 127.0.0.1 / localhost / the given DNS names. For TLS
// interop tests only (keys are unencrypted, in a temp dir you remove).
import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, which } from './proc.mjs';

/**
 * @param {{dir?: string, names?: string[], cn?: string, days?: number}} [o]
 * @returns {{dir: string, caFile: string, certFile: string, keyFile: string, pemFile: string}}
 *   pemFile = cert + key in one file (what baresip's sip_certificate wants)
 */
export function makeTestCerts({ dir, names = ['parley.test'], cn = names[0] ?? 'localhost', days = 30 } = {}) {
  const openssl = which('openssl');
  if (!openssl) throw new Error('openssl CLI not installed');
  dir ??= makeTempDir('parley-certs-');
  const p = (f) => join(dir, f);
  const run = (args) => execFileSync(openssl, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', String(days), '-subj', '/CN=Parley Test CA',
    '-keyout', p('ca.key'), '-out', p('ca.crt'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', p('server.key'), '-out', p('server.csr')]);
  const san = ['IP:127.0.0.1', 'DNS:localhost', ...names.map((n) => `DNS:${n}`)].join(',');
  writeFileSync(p('ext.cnf'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`);
  run(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-days', String(days), '-extfile', p('ext.cnf'), '-out', p('server.crt')]);
  writeFileSync(p('server.pem'), readFileSync(p('server.crt'), 'utf8') + readFileSync(p('server.key'), 'utf8'));
  return { dir, caFile: p('ca.crt'), certFile: p('server.crt'), keyFile: p('server.key'), pemFile: p('server.pem') };
}
