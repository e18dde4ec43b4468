/**
 * A bare agent for transaction-level scenarios: an endpoint of the in-memory
 * wire, a real {@link TransactionLayer}, and a core that records what reached
 * it and lets the test answer.
 */
import { newBranch, newCallId, newTag } from '../../message/factory.js';
import { SipRequest, type SipResponse } from '../../message/message.js';
import type { Clock } from '../clock.js';
import type { ServerTransaction } from '../server-transaction.js';
import type { TimerValues } from '../timer-values.js';
import { TransactionLayer } from '../transaction-layer.js';
import type { FlowInfo } from '../transport.js';
import type { MemoryEndpoint, MemoryNetwork } from './memory-network.js';

export interface TxAgentOptions {
  timers?: Partial<TimerValues>;
  maxTransactions?: number;
  answerUnmatchedCancel?: boolean;
}

export class TxAgent {
  readonly name: string;
  readonly endpoint: MemoryEndpoint;
  readonly layer: TransactionLayer;
  readonly requests: ServerTransaction[] = [];
  readonly acks: SipRequest[] = [];
  readonly strays: SipResponse[] = [];
  readonly errors: unknown[] = [];
  /** Called for each new server transaction, after it is recorded. */
  onRequest: (tx: ServerTransaction, flow: FlowInfo) => void = () => {};

  constructor(network: MemoryNetwork, name: string, port: number, protocol = 'udp', options: TxAgentOptions = {}) {
    this.name = name;
    this.endpoint = network.endpoint(name, port, protocol);
    this.layer = new TransactionLayer({
      transport: this.endpoint,
      clock: network.clock as Clock,
      timers: options.timers,
      maxTransactions: options.maxTransactions,
      answerUnmatchedCancel: options.answerUnmatchedCancel,
      onError: (e) => this.errors.push(e),
      core: {
        onRequest: (tx, flow) => {
          this.requests.push(tx);
          this.onRequest(tx, flow);
        },
        onAck: (ack) => this.acks.push(ack),
        onStrayResponse: (res) => this.strays.push(res),
      },
    });
    this.endpoint.onMessage = (msg, flow) => {
      try {
        msg.validate();
      } catch (e) {
        this.errors.push(e);
        return;
      }
      this.layer.receive(msg, flow);
    };
  }

  /** A minimal out-of-dialog request from this agent to `to` (an agent or host:port). */
  request(method: string, to: TxAgent, extra: Array<[string, string]> = []): SipRequest {
    const req = new SipRequest(method, `sip:${to.name}@${to.endpoint.address}`);
    req.append('Via', `SIP/2.0/${this.endpoint.protocol.toUpperCase()} ${this.endpoint.address};branch=${newBranch()}`);
    req.append('Max-Forwards', 70);
    req.append('From', `<sip:${this.name}@${this.endpoint.address}>;tag=${newTag()}`);
    req.append('To', `<sip:${to.name}@${to.endpoint.address}>`);
    req.append('Call-ID', newCallId());
    req.append('CSeq', `1 ${method}`);
    req.append('Contact', `<sip:${this.name}@${this.endpoint.address}>`);
    for (const [n, v] of extra) req.append(n, v);
    return req;
  }

  /** The send target of another agent. */
  targetOf(other: TxAgent): { protocol: string; host: string; port: number } {
    return { protocol: other.endpoint.protocol, host: other.endpoint.host, port: other.endpoint.port };
  }

  close(): void {
    this.layer.close();
    this.endpoint.close();
  }
}
