/**
 * What a service gets from the composition root and what it gives back: the
 * extension point through which IM, presence and later services join the
 * front end without the composition root knowing their insides.
 */
import type { SipRequest, SipResponse } from '@parley/sip';
import type { SendTarget, TransactionLayer } from '@parley/sip/transaction';
import type { ApiRoutes } from '../http/api/index.js';
import type { Logger, Metrics } from '../observability/index.js';
import type { MethodHandler } from '../sip/router.js';
import type { Store, User } from '../store/index.js';
import type { Authenticator } from './auth/index.js';
import type { DomainResolver } from './domains/index.js';
import type { LocalAddress } from './proxy/index.js';
import type { Binding, LocationService } from './registrar/index.js';

export interface ServiceContext {
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly domains: DomainResolver;
  readonly location: LocationService;
  readonly auth: Authenticator;
  /** Client and server transactions (server-originated requests: NOTIFY, MESSAGE). */
  readonly transactions: TransactionLayer;
  /** Send without a transaction (ACK, stateless responses). */
  send(msg: SipRequest | SipResponse, target: SendTarget): Promise<unknown>;
  /** Where a registered device is reached (its flow, its NAT address, else its Contact); undefined when unreachable. */
  bindingTarget(b: Binding): SendTarget | undefined;
  /** This server's address and ports, for Via, Contact and Record-Route of requests it sends. */
  local(): LocalAddress;
  /** The protocol of a target (a flow's, or the address target's). */
  protocolOf(t: SendTarget): string;
  now(): number;
  /**
   * Users as the SIP hot path reads them: the composition root's cache in
   * front of the store (`UserDirectory`); without it, the store itself.
   */
  readonly lookupUser?: (address: string) => Promise<User | undefined>;
}

/** A service as the composition root sees it. */
export interface ParleyService {
  readonly name: string;
  /** SIP request handlers by method, tried before the proxy. */
  readonly handlers?: Readonly<Record<string, readonly MethodHandler[]>>;
  /** REST routes under /api/v1. */
  readonly routes?: ApiRoutes;
  /** The live bindings of an address of record changed (REGISTER, expiry, flow closed). */
  onBindingsChanged?(aor: string, bindings: readonly Binding[]): void;
  /** Start timers, load state. */
  start?(): Promise<void>;
  /** Stop timers; idempotent. */
  close?(): Promise<void> | void;
}

export type ServiceFactory = (ctx: ServiceContext) => ParleyService;
