/**
 * Observability: structured logs (pino) and Prometheus metrics (prom-client
 * in a registry of its own). Services log through child loggers and count
 * through {@link Metrics} methods; only `http/` renders the metrics.
 *
 * Needs nothing of Parley.
 */
export { createLogger, sipLogFields, sipLogger, REDACTED_FIELDS } from './logger.js';
export type { Logger, LoggerOptions, SipLogFields, SipMethodOrStatus } from './logger.js';
export { formatLine, prettyStream } from './pretty.js';
export { Metrics, KNOWN_SIP_METHODS, TRANSPORT_PROTOCOLS } from './metrics.js';
export type { LimitScope, MessageKind, MetricsOptions, TransportProtocol } from './metrics.js';
