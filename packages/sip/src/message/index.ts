export * from './header-names.js';
export * from './message.js';
export * from './parser.js';
export * from './status.js';
export * from './factory.js';
export * from './multipart.js';
