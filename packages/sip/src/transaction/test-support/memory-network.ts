/**
 * An in-memory wire for scenario tests (STYLE.md habits 7–8: fake only the
 * wire). Endpoints are addresses (host, port, protocol) that implement
 * {@link TransactionTransport}; every message is serialized to bytes and
 * parsed again on arrival, so tests exercise the real encoding. Over UDP the
 * wire can lose, duplicate and delay (hence reorder) datagrams, driven by a
 * seeded generator so that a failing run can be replayed.
 */
import { parseMessage } from '../../message/parser.js';
import type { SipMessage, SipRequest, SipResponse } from '../../message/message.js';
import type { Clock } from '../clock.js';
import { type FlowInfo, type SendTarget, type TransactionTransport, isFlowTarget, isReliableProtocol } from '../transport.js';

export interface WireConditions {
  /** Probability that a UDP datagram is lost. */
  loss?: number;
  /** Probability that a UDP datagram arrives twice. */
  duplicate?: number;
  /** Delay in ms: fixed, or a [min, max] range (a range reorders datagrams). */
  delay?: number | readonly [number, number];
}

export interface TraceEntry {
  readonly at: number;
  readonly from: string;
  readonly to: string;
  /** The start line ("INVITE sip:bob@b SIP/2.0", "SIP/2.0 180 Ringing"). */
  readonly line: string;
  readonly lost: boolean;
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FlowEntry {
  readonly local: MemoryEndpoint;
  readonly remote: string;
}

export class MemoryNetwork {
  readonly clock: Clock;
  conditions: WireConditions;
  /** Every datagram or stream message sent, in order. */
  readonly trace: TraceEntry[] = [];
  /** Return false to drop a message (deterministic loss in a test). */
  filter: ((message: SipMessage, from: string, to: string) => boolean) | undefined;
  readonly #random: () => number;
  readonly #endpoints = new Map<string, MemoryEndpoint>();
  readonly #flows = new Map<string, FlowEntry>();

  constructor(clock: Clock, conditions: WireConditions = {}, seed = 1) {
    this.clock = clock;
    this.conditions = conditions;
    this.#random = prng(seed);
  }

  /** A new endpoint at `host:port` speaking `protocol`. */
  endpoint(host: string, port: number, protocol = 'udp'): MemoryEndpoint {
    const ep = new MemoryEndpoint(this, host, port, protocol);
    this.#endpoints.set(ep.address, ep);
    return ep;
  }

  /** The trace as "from → to: line" strings, for readable assertions. */
  lines(filter?: (e: TraceEntry) => boolean): string[] {
    return this.trace.filter(filter ?? (() => true)).map((e) => `${e.from} → ${e.to}: ${e.line}${e.lost ? ' (lost)' : ''}`);
  }

  /** @internal */
  detach(ep: MemoryEndpoint): void {
    if (this.#endpoints.get(ep.address) === ep) this.#endpoints.delete(ep.address);
  }

  /** @internal */
  transmit(from: MemoryEndpoint, message: SipMessage, target: SendTarget): Promise<void> {
    let to: MemoryEndpoint | undefined;
    let toAddress: string;
    if (isFlowTarget(target)) {
      const f = this.#flows.get(target.flowId);
      if (f === undefined || f.local !== from) return Promise.reject(new Error(`no flow ${target.flowId}`));
      toAddress = f.remote;
    } else {
      toAddress = `${target.host}:${target.port}`;
    }
    to = this.#endpoints.get(toAddress);
    const bytes = Buffer.from(message.toBuffer());
    const line = message.startLine();
    const udp = !from.reliable(from.protocol);
    if (to === undefined || to.protocol !== from.protocol) {
      this.trace.push({ at: this.clock.now(), from: from.address, to: toAddress, line, lost: true });
      // A datagram to nowhere vanishes; a connection to nowhere is refused.
      return udp ? Promise.resolve() : Promise.reject(new Error(`connection refused by ${toAddress}`));
    }
    const dest = to;
    const c = this.conditions;
    let lost = this.filter !== undefined && !this.filter(message, from.address, toAddress);
    if (!lost && udp && c.loss !== undefined && this.#random() < c.loss) lost = true;
    this.trace.push({ at: this.clock.now(), from: from.address, to: toAddress, line, lost });
    if (lost) return Promise.resolve();
    const copies = udp && c.duplicate !== undefined && this.#random() < c.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.clock.setTimeout(() => this.#deliver(from, dest, bytes, udp), this.#delay());
    }
    return Promise.resolve();
  }

  #delay(): number {
    const d = this.conditions.delay;
    if (d === undefined) return 0;
    if (typeof d === 'number') return d;
    return d[0] + Math.floor(this.#random() * (d[1] - d[0] + 1));
  }

  #deliver(from: MemoryEndpoint, to: MemoryEndpoint, bytes: Buffer, datagram: boolean): void {
    if (to.isClosed) return;
    const id = `${to.protocol}:${to.address}<${from.address}`;
    this.#flows.set(id, { local: to, remote: from.address });
    const flow: FlowInfo = {
      id,
      protocol: to.protocol,
      remoteAddress: from.host,
      remotePort: from.port,
      localAddress: to.host,
      localPort: to.port,
    };
    let msg: SipRequest | SipResponse;
    try {
      msg = parseMessage(bytes, { datagram });
    } catch {
      to.malformed++;
      return;
    }
    to.deliver(msg, flow);
  }
}

export class MemoryEndpoint implements TransactionTransport {
  readonly network: MemoryNetwork;
  readonly host: string;
  readonly port: number;
  readonly protocol: string;
  /** Where arriving messages go (set by the test harness). */
  onMessage: (message: SipRequest | SipResponse, flow: FlowInfo) => void = () => {};
  malformed = 0;
  #closed = false;

  constructor(network: MemoryNetwork, host: string, port: number, protocol: string) {
    this.network = network;
    this.host = host;
    this.port = port;
    this.protocol = protocol;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  send(message: SipMessage, target: SendTarget): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('endpoint closed'));
    return this.network.transmit(this, message, target);
  }

  reliable(protocol: string): boolean {
    return isReliableProtocol(protocol);
  }

  /** @internal */
  deliver(message: SipRequest | SipResponse, flow: FlowInfo): void {
    this.onMessage(message, flow);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.network.detach(this);
  }
}
