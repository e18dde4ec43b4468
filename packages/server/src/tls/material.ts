/**
 * The TLS material the listeners (SIP over TLS, HTTPS, WSS) start with.
 *
 * Without a configured certificate, Parley keeps its own private CA and a
 * server certificate under `DATA/tls/`:
 *
 * | file             | holds                         | mode |
 * | ---------------- | ----------------------------- | ---- |
 * | `ca.pem`         | CA certificate (to trust)     | 0644 |
 * | `ca-key.pem`     | CA private key                | 0600 |
 * | `server.pem`     | server certificate            | 0644 |
 * | `server-key.pem` | server private key            | 0600 |
 *
 * On each start:
 *
 * ```
 * no CA, or CA within 30 days of expiry ──► new CA ──────────────┐
 * server cert missing, unreadable, not from this CA, key         ├─► issue server cert
 *   mismatch, within 30 days of expiry, or names changed ────────┘
 * otherwise ──► reuse all files (issued: false)
 * ```
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { TlsError } from './errors.js';
import { createCa, issueServerCertificate, readSans, type CertificateAndKey } from './issue.js';
import { sameSans, sanEntries } from './names.js';

/** Renew a certificate when it has less than this left. */
export const RENEW_BEFORE_MS = 30 * 86_400_000;

/** File names under `DATA/tls/`. */
export const TLS_FILES = Object.freeze({
  dir: 'tls',
  ca: 'ca.pem',
  caKey: 'ca-key.pem',
  server: 'server.pem',
  serverKey: 'server-key.pem',
});

/** What {@link ensureTlsMaterial} needs. */
export interface TlsMaterialOptions {
  /** The data folder; material lives in `DATA/tls/`. */
  readonly dataDir: string;
  /** Host names and IP addresses the certificate must cover. */
  readonly names: readonly string[];
  /** An administrator's certificate (chain) and key to use instead; both PEM files. */
  readonly files?: { readonly certFile: string; readonly keyFile: string };
  /** Goes into the CA's name. Default `os.hostname()`. */
  readonly hostname?: string;
  /** Default `() => new Date()`. */
  readonly now?: () => Date;
}

/** Ready-to-use TLS material. */
export interface TlsMaterial {
  /** PEM private key of `cert`. */
  readonly key: string;
  /** PEM certificate, possibly followed by its chain. */
  readonly cert: string;
  /** PEM CA certificate clients must trust; undefined for a configured certificate. */
  readonly ca: string | undefined;
  /** Path of `ca`. */
  readonly caPath: string | undefined;
  /** SHA-256 fingerprint of `cert` (`AB:CD:…`), to show to users and for SDP-style pinning. */
  readonly fingerprint256: string;
  readonly notAfter: Date;
  /** True when a server certificate was issued by this call. */
  readonly issued: boolean;
  /** True when a new CA was made by this call (clients must trust the new `ca.pem`). */
  readonly caIssued: boolean;
  readonly source: 'generated' | 'configured';
}

/**
 * Loads or makes the TLS material; see the module comment for when it issues.
 * @throws TlsError; TypeError when no names are given
 */
export async function ensureTlsMaterial(options: TlsMaterialOptions): Promise<TlsMaterial> {
  if (options.files) return configuredMaterial(options.files.certFile, options.files.keyFile);
  const sans = sanEntries(options.names);
  const now = (options.now ?? (() => new Date()))();
  const dir = join(options.dataDir, TLS_FILES.dir);
  const paths = {
    ca: join(dir, TLS_FILES.ca),
    caKey: join(dir, TLS_FILES.caKey),
    server: join(dir, TLS_FILES.server),
    serverKey: join(dir, TLS_FILES.serverKey),
  };
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new TlsError('unreadable', `cannot create ${dir}: ${(err as Error).message}`, { cause: err, path: dir });
  }

  const [caPem, caKeyPem, serverPem, serverKeyPem] = await Promise.all(
    [paths.ca, paths.caKey, paths.server, paths.serverKey].map(readOptional),
  );

  let ca: { certPem: string; keyPem: string | undefined } | undefined;
  let caCert: X509Certificate | undefined;
  if (caPem !== undefined) {
    caCert = parseCertificate(caPem, paths.ca);
    if (expiresSoon(caCert, now)) caCert = undefined;
    else ca = { certPem: caPem, keyPem: caKeyPem };
  }
  let caIssued = false;
  if (!ca || !caCert) {
    const made = await createCa(`Parley Local CA ${options.hostname ?? osHostname()}`, now);
    await writeAtomic(paths.caKey, made.keyPem, 0o600);
    await writeAtomic(paths.ca, made.certPem, 0o644);
    ca = made;
    caCert = new X509Certificate(made.certPem);
    caIssued = true;
  }

  let server: CertificateAndKey | undefined =
    serverPem !== undefined && serverKeyPem !== undefined ? { certPem: serverPem, keyPem: serverKeyPem } : undefined;
  if (caIssued || !server || !(await serverStillGood(server, caCert, sans, now))) {
    if (ca.keyPem === undefined) {
      throw new TlsError('ca-key-missing', `${paths.caKey} is missing; delete ${dir} to start a new CA`, {
        path: paths.caKey,
      });
    }
    server = await issueServerCertificate({ certPem: ca.certPem, keyPem: ca.keyPem }, sans, now);
    await writeAtomic(paths.serverKey, server.keyPem, 0o600);
    await writeAtomic(paths.server, server.certPem, 0o644);
    return material(server, ca.certPem, paths.ca, true, caIssued);
  }
  // Keep key files private even if someone loosened them.
  await Promise.all([paths.caKey, paths.serverKey].map(keepPrivate));
  return material(server, ca.certPem, paths.ca, false, false);
}

function material(
  server: CertificateAndKey,
  caPem: string,
  caPath: string,
  issued: boolean,
  caIssued: boolean,
): TlsMaterial {
  const cert = new X509Certificate(server.certPem);
  return Object.freeze({
    key: server.keyPem,
    cert: server.certPem,
    ca: caPem,
    caPath,
    fingerprint256: cert.fingerprint256,
    notAfter: new Date(cert.validTo),
    issued,
    caIssued,
    source: 'generated' as const,
  });
}

/** Whether an existing server certificate may be used as it is. */
async function serverStillGood(
  server: CertificateAndKey,
  ca: X509Certificate,
  wanted: ReturnType<typeof sanEntries>,
  now: Date,
): Promise<boolean> {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(server.certPem);
    if (!cert.checkPrivateKey(createPrivateKey(server.keyPem))) return false;
  } catch {
    return false; // Derived files: a damaged one is simply issued again.
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
  if (expiresSoon(cert, now)) return false;
  return sameSans(await readSans(server.certPem), wanted);
}

function expiresSoon(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS;
}

function parseCertificate(pem: string, path: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new TlsError('invalid', `${path} is not a PEM certificate: ${(err as Error).message}`, { cause: err, path });
  }
}

/** The administrator's certificate and key, checked to belong together. */
async function configuredMaterial(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const [cert, key] = await Promise.all([certFile, keyFile].map(readRequired));
  const leaf = parseCertificate(cert, certFile);
  let matches: boolean;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new TlsError('invalid', `${keyFile} is not a PEM private key: ${(err as Error).message}`, {
      cause: err,
      path: keyFile,
    });
  }
  if (!matches) throw new TlsError('invalid', `${keyFile} is not the key of ${certFile}`, { path: keyFile });
  return Object.freeze({
    key,
    cert,
    ca: undefined,
    caPath: undefined,
    fingerprint256: leaf.fingerprint256,
    notAfter: new Date(leaf.validTo),
    issued: false,
    caIssued: false,
    source: 'configured' as const,
  });
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TlsError('unreadable', `cannot read ${path}: ${(err as Error).message}`, { cause: err, path });
  }
}

async function readRequired(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new TlsError('unreadable', `cannot read ${path}: ${(err as Error).message}`, { cause: err, path });
  }
}

/** Writes beside the target and renames, so a crash never leaves half a key. */
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, data, { mode, flag: 'w' });
    await chmod(tmp, mode); // the umask may have dropped bits; never widens beyond `mode`
    await rename(tmp, path);
  } catch (err) {
    throw new TlsError('unreadable', `cannot write ${path}: ${(err as Error).message}`, { cause: err, path });
  }
}

async function keepPrivate(path: string): Promise<void> {
  try {
    if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  } catch {
    // Missing CA key is allowed while the server certificate stays valid.
  }
}
