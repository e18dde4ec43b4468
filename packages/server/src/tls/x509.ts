/**
 * Loads @peculiar/x509 once, after the `Reflect` metadata polyfill it needs,
 * and points it at node's WebCrypto. A dynamic import makes the order certain
 * whatever the module loader does with static imports of CommonJS packages.
 */
import './reflect-polyfill.js';

/** The @peculiar/x509 module. */
export type X509Module = typeof import('@peculiar/x509');

let loading: Promise<X509Module> | undefined;

/** The library, ready to use with `globalThis.crypto`. */
export function loadX509(): Promise<X509Module> {
  loading ??= import('@peculiar/x509').then((mod) => {
    // A CommonJS build may surface its exports on `default` only.
    const lib = ('X509CertificateGenerator' in mod ? mod : (mod as { default: X509Module }).default) as X509Module;
    lib.cryptoProvider.set(globalThis.crypto);
    return lib;
  });
  return loading;
}
