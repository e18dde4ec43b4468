/**
 * The HTTPS side of a front end: `/healthz`, `/metrics` (Prometheus), the
 * static web client, and the hand-over of `/sip` WebSocket upgrades to the
 * SIP WSS transport. The Fastify instance is exposed so the admin and client
 * APIs can add routes before `listen()`.
 *
 * Needs: TLS material (`tls/`), a logger and metrics (`observability/`), a
 * health source from the composition root.
 */
export { createHttpServer } from './server.js';
export type { HttpServer, HttpServerOptions } from './server.js';
export type { ParleyFastify } from './app.js';
export type { HealthBody, HealthReport, HealthSource, HealthStatus } from './health.js';
export { SIP_WEBSOCKET_PATH } from './upgrade.js';
export type { UpgradeHandler } from './upgrade.js';
export { CONTENT_TYPES, contentTypeOf, safeSegments } from './static.js';
export { HttpServerError, HTTP_SERVER_ERROR_CODES } from './errors.js';
export type { HttpServerErrorCode } from './errors.js';
