/**
 * A UDP socket (RFC 3261 §18.1, §18.2): one SIP message per datagram, no
 * connection. Also answers RFC 5626 §4.4.2 STUN keep-alives and drops
 * CRLF-only datagrams some UAs send as keep-alives.
 *
 * Responses and requests to a peer leave from the listening socket (so the
 * source port is the advertised one, RFC 3261 §18.2.2 and RFC 3581).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { TransportError } from './errors.js';
import { normalizeHost, udpFlowId } from './addresses.js';
import { isStunMessage, stunBindingResponse } from './stun.js';
import type { TransportCounters } from './stats.js';
import type { Flow } from './transport.js';

export interface UdpListenerHooks {
  message(data: Buffer, flow: Flow): void;
  error(error: Error): void;
}

export class UdpListener {
  readonly family: 4 | 6;
  private readonly socket: Socket;
  private readonly maxDatagramBytes: number;
  private readonly counters: TransportCounters;
  private closing: Promise<void> | undefined;
  private boundAddress = '';
  private boundPort = 0;

  static async bind(
    host: string,
    port: number,
    maxDatagramBytes: number,
    counters: TransportCounters,
    hooks: UdpListenerHooks,
    bufferBytes = 0,
  ): Promise<UdpListener> {
    const family = isIP(normalizeHost(host));
    if (family === 0) throw new TypeError(`listen: udp needs an IP address to bind, got "${host}"`);
    const listener = new UdpListener(family === 6 ? 6 : 4, maxDatagramBytes, counters, hooks);
    await new Promise<void>((resolve, reject) => {
      listener.socket.once('error', reject);
      listener.socket.bind({ address: normalizeHost(host), port, exclusive: true }, () => {
        listener.socket.off('error', reject);
        listener.socket.on('error', (error) => hooks.error(error));
        if (bufferBytes > 0) {
          // Capped by the kernel (net.core.rmem_max / wmem_max); never fatal.
          try {
            listener.socket.setRecvBufferSize(bufferBytes);
            listener.socket.setSendBufferSize(bufferBytes);
          } catch (error) {
            hooks.error(error as Error);
          }
        }
        const address = listener.socket.address();
        listener.boundAddress = address.address;
        listener.boundPort = address.port;
        resolve();
      });
    }).catch((error: unknown) => {
      listener.socket.close();
      throw error;
    });
    return listener;
  }

  private constructor(family: 4 | 6, maxDatagramBytes: number, counters: TransportCounters, hooks: UdpListenerHooks) {
    this.family = family;
    this.maxDatagramBytes = maxDatagramBytes;
    this.counters = counters;
    // ipv6Only: one socket per family keeps flows unambiguous (no v4-mapped peers).
    this.socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6 });
    this.socket.on('message', (data: Buffer, remote: RemoteInfo) => this.receive(data, remote, hooks));
  }

  get address(): string {
    return this.boundAddress;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Sends one datagram; rejects with `too-big` or `unreachable`. */
  send(data: Buffer, address: string, port: number): Promise<Flow> {
    if (this.closing !== undefined) return Promise.reject(new TransportError('closed', 'udp socket closed'));
    if (data.length > this.maxDatagramBytes) {
      return Promise.reject(new TransportError('too-big', `datagram of ${data.length} bytes exceeds ${this.maxDatagramBytes}`));
    }
    return new Promise<Flow>((resolve, reject) => {
      this.socket.send(data, port, address, (error) => {
        if (error) reject(new TransportError('unreachable', `udp send to ${address}:${port} failed: ${error.message}`, { cause: error }));
        else resolve(this.flowTo(address, port));
      });
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => this.socket.close(() => resolve()));
    return this.closing;
  }

  private flowTo(address: string, port: number): Flow {
    const remoteAddress = normalizeHost(address);
    return {
      id: udpFlowId(this.boundAddress, this.boundPort, remoteAddress, port),
      protocol: 'udp',
      localAddress: this.boundAddress,
      localPort: this.boundPort,
      remoteAddress,
      remotePort: port,
    };
  }

  private receive(data: Buffer, remote: RemoteInfo, hooks: UdpListenerHooks): void {
    if (data.length === 0) return;
    if (data.length > this.maxDatagramBytes) {
      this.counters.s.oversizedDrops++;
      return;
    }
    if (isCrlfOnly(data)) {
      this.counters.s.keepAlivesIn++;
      return;
    }
    if (isStunMessage(data)) {
      this.counters.s.stunRequests++;
      const response = stunBindingResponse(data, remote.address, remote.port);
      if (response !== null) this.socket.send(response, remote.port, remote.address, () => undefined);
      return;
    }
    hooks.message(data, this.flowTo(remote.address, remote.port));
  }
}

function isCrlfOnly(data: Buffer): boolean {
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== 0x0d && data[i] !== 0x0a) return false;
  }
  return true;
}
