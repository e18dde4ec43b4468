/**
 * SIP transports (RFC 3261 §18, RFC 5626, RFC 5923, RFC 7118): framed bytes
 * plus addressing. The message layer parses; this layer never does.
 */
export type {
  AddressTarget,
  ConnectionProtocol,
  Flow,
  FlowTarget,
  InboundMessage,
  SendTarget,
  Transport,
  TransportDelegate,
  TransportProtocol,
} from './transport.js';
export { TRANSPORT_PROTOCOLS, isFlowTarget } from './transport.js';
export { FramingError, TransportError, TRANSPORT_ERROR_CODES } from './errors.js';
export type { FramingErrorReason, TransportErrorCode } from './errors.js';
export { TransportManager } from './transport-manager.js';
export type { ListenOptions } from './transport-manager.js';
export { DEFAULT_TRANSPORT_OPTIONS } from './options.js';
export type { TransportOptions, TransportOptionsInput } from './options.js';
export type { TransportStats } from './stats.js';
export { StreamFramer, DEFAULT_FRAMER_LIMITS } from './stream-framer.js';
export type { StreamFramerDelegate, StreamFramerLimits, StreamFramerRole } from './stream-framer.js';
export { SIP_SUBPROTOCOL } from './ws-connection.js';
export type { UpgradeIdentifier, UpgradeIdentity } from './ws-listener.js';
