/**
 * TLS material for every TLS listener (SIP over TLS, HTTPS, secure
 * WebSocket): a private CA and server certificate kept in `DATA/tls/` and
 * renewed as needed, or the administrator's own certificate.
 *
 * ```
 * const tls = await ensureTlsMaterial({ dataDir, names: config.publicNames });
 * https.createServer({ key: tls.key, cert: tls.cert });
 * ```
 *
 * Needs nothing of Parley.
 */
export { ensureTlsMaterial, RENEW_BEFORE_MS, TLS_FILES } from './material.js';
export type { TlsMaterial, TlsMaterialOptions } from './material.js';
export { createCa, issueServerCertificate, readSans, CA_LIFETIME_DAYS, SERVER_LIFETIME_DAYS } from './issue.js';
export type { CertificateAndKey } from './issue.js';
export { sanEntries, sameSans, canonicalIp } from './names.js';
export type { SanEntry } from './names.js';
export { TlsError, TLS_ERROR_CODES } from './errors.js';
export type { TlsErrorCode } from './errors.js';
