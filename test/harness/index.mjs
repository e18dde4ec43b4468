// One import for the interop harness:
//   import { startKamailio, runSipp, Baresip, freePort } from '../harness/index.mjs';
export * from './ports.mjs';
export * from './proc.mjs';
export * from './probe.mjs';
export * from './sipp.mjs';
export * from './kamailio.mjs';
export * from './baresip.mjs';
export * from './parley.mjs';
export * from './certs.mjs';
