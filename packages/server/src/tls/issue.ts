/**
 * Issuing the private CA and the server certificate with @peculiar/x509 over
 * node's WebCrypto. Keys are ECDSA P-256, signatures ECDSA with SHA-256;
 * keys leave as PKCS #8 PEM (`-----BEGIN PRIVATE KEY-----`).
 *
 * Profile (RFC 5280):
 * - CA: basicConstraints cA, pathLen 0 (critical); keyUsage keyCertSign,
 *   cRLSign, digitalSignature (critical); subjectKeyIdentifier; 10 years.
 * - Server: basicConstraints not-CA (critical); keyUsage digitalSignature
 *   (critical); extKeyUsage serverAuth + clientAuth (clientAuth so a front
 *   end can present it to pool peers); subjectAltName DNS + IP entries;
 *   subject and authority key identifiers; 397 days, never past the CA.
 */
import { KeyObject, createPrivateKey, randomBytes, type webcrypto } from 'node:crypto';
import type { SanEntry } from './names.js';
import { TlsError } from './errors.js';
import { loadX509 } from './x509.js';

const DAY_MS = 86_400_000;
/** Lifetime of the private CA. */
export const CA_LIFETIME_DAYS = 3652;
/** Lifetime of a server certificate: the CA/Browser Forum ceiling, which browsers enforce. */
export const SERVER_LIFETIME_DAYS = 397;
/** Backdating of notBefore, for peers whose clocks run a little behind. */
const BACKDATE_MS = 5 * 60_000;

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A positive 128-bit serial number in hex (RFC 5280 §4.1.2.2: at most 20 octets, positive). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function keyToPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Imports a PEM EC P-256 private key (PKCS #8 or SEC 1) for signing. */
async function importSigningKey(pem: string): Promise<webcrypto.CryptoKey> {
  let der: Buffer;
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`expected an EC P-256 key, got ${key.asymmetricKeyType ?? 'unknown'}`);
    }
    der = key.export({ type: 'pkcs8', format: 'der' });
  } catch (err) {
    throw new TlsError('invalid', `CA key unusable: ${(err as Error).message}`, { cause: err });
  }
  return globalThis.crypto.subtle.importKey('pkcs8', der, EC_KEY, false, ['sign']);
}

/** Makes a new private CA named `commonName`. */
export async function createCa(commonName: string, now: Date): Promise<CertificateAndKey> {
  const x509 = await loadX509();
  const keys = (await globalThis.crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [commonName] }, { O: ['Parley'] }],
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_LIFETIME_DAYS * DAY_MS),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: keyToPem(keys.privateKey) };
}

/** Issues a server certificate for `sans`, signed by `ca`. */
export async function issueServerCertificate(
  ca: CertificateAndKey,
  sans: readonly SanEntry[],
  now: Date,
): Promise<CertificateAndKey> {
  if (sans.length === 0) throw new TypeError('a certificate needs at least one name');
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importSigningKey(ca.keyPem);
  const keys = (await globalThis.crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notAfter = Math.min(now.getTime() + SERVER_LIFETIME_DAYS * DAY_MS, caCert.notAfter.getTime());
  const commonName = (sans.find((s) => s.type === 'dns') ?? sans[0]).value;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: [{ CN: [commonName] }, { O: ['Parley'] }],
    issuer: caCert.subjectName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(sans.map((s) => ({ type: s.type, value: s.value }))),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: keyToPem(keys.privateKey) };
}

/** The DNS and IP subjectAltName entries of a PEM certificate. */
export async function readSans(certPem: string): Promise<SanEntry[]> {
  const x509 = await loadX509();
  const cert = new x509.X509Certificate(certPem);
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const entries: SanEntry[] = [];
  for (const name of ext?.names.items ?? []) {
    if (name.type === 'dns' || name.type === 'ip') entries.push({ type: name.type, value: name.value });
  }
  return entries;
}
