/**
 * Via helpers (RFC 3261 §8.1.1.7, §18.1.1, §18.2.1; RFC 3581).
 */
import { Via } from '../grammar/via.js';
import { newBranch } from '../message/factory.js';
import type { SipMessage } from '../message/message.js';

/** Where we are, as written in the sent-by of our Via (§18.1.1). */
export interface ViaSpec {
  /** UDP, TCP, TLS, WS, WSS (any case). */
  readonly transport: string;
  readonly host: string;
  readonly port?: number;
  /** Add an empty `rport` (RFC 3581 §3; default true for UDP). */
  readonly rport?: boolean;
}

/** Prepends our Via with `branch` (a new one by default, §8.1.1.7). Returns the branch. */
export function addVia(message: SipMessage, spec: ViaSpec, branch: string = newBranch()): string {
  const transport = spec.transport.toUpperCase();
  const via = new Via('SIP', '2.0', transport, spec.host, spec.port);
  via.branch = branch;
  if (spec.rport ?? transport === 'UDP') via.params.set('rport', null);
  message.prepend('Via', via.toString());
  return branch;
}

/**
 * Replaces the top Via (the first element of the first Via line) with `via`:
 * after adding `received`/`rport` (§18.2.1) the change must reach the wire.
 */
export function replaceTopVia(message: SipMessage, via: Via): void {
  message.removeFirst('via');
  message.prepend('Via', via.toString());
}
