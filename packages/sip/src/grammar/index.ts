export * from './charsets.js';
export * from './host.js';
export * from './params.js';
export * from './uri.js';
export * from './name-addr.js';
export * from './via.js';
export { ownString } from './compact.js';
