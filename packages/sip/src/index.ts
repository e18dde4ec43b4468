export * from './errors.js';
export * from './grammar/index.js';
export * from './message/index.js';
