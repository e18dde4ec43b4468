/**
 * A real UA for scenario tests: an endpoint of the in-memory wire, a
 * transaction layer and a {@link UserAgentCore}. Incoming requests go to
 * `onRequest` (default: 200 to everything but INVITE, which waits).
 */
import { SipParseError } from '../../errors.js';
import type { SipRequest } from '../../message/message.js';
import type { TimerValues } from '../../transaction/timer-values.js';
import { TransactionLayer } from '../../transaction/transaction-layer.js';
import type { MemoryEndpoint, MemoryNetwork } from '../../transaction/test-support/memory-network.js';
import type { CredentialsCallback } from '../credentials.js';
import type { IncomingRequest } from '../incoming-request.js';
import { answerMalformed } from '../malformed.js';
import type { OutOfDialogRequestInit } from '../request-factory.js';
import type { UasPolicy } from '../uas-checks.js';
import { UserAgentCore } from '../user-agent-core.js';

export interface UaAgentOptions {
  /** Host part of the address (default: the name). */
  host?: string;
  protocol?: string;
  timers?: Partial<TimerValues>;
  credentials?: CredentialsCallback;
  policy?: UasPolicy;
}

export class UaAgent {
  readonly name: string;
  readonly endpoint: MemoryEndpoint;
  readonly layer: TransactionLayer;
  readonly ua: UserAgentCore;
  readonly incoming: IncomingRequest[] = [];
  readonly errors: unknown[] = [];
  onRequest: (incoming: IncomingRequest) => void = (inc) => {
    if (inc.request.method !== 'INVITE') inc.reply(200);
  };

  constructor(network: MemoryNetwork, name: string, port: number, options: UaAgentOptions = {}) {
    this.name = name;
    const protocol = options.protocol ?? 'udp';
    const host = options.host ?? name;
    this.endpoint = network.endpoint(host, port, protocol);
    this.layer = new TransactionLayer({
      transport: this.endpoint,
      clock: network.clock,
      timers: options.timers,
      onError: (e) => this.errors.push(e),
    });
    this.ua = new UserAgentCore({
      layer: this.layer,
      contact: `<sip:${name}@${this.endpoint.address}${protocol === 'udp' ? '' : `;transport=${protocol}`}>`,
      via: () => ({ transport: protocol, host, port }),
      credentials: options.credentials,
      policy: options.policy,
      onError: (e) => this.errors.push(e),
      delegate: {
        onRequest: (inc) => {
          this.incoming.push(inc);
          this.onRequest(inc);
        },
      },
    });
    this.layer.setCore(this.ua.transactionCore);
    this.endpoint.onMessage = (msg, flow) => {
      try {
        msg.validate();
      } catch (e) {
        const res = e instanceof SipParseError ? answerMalformed(msg, e) : null;
        if (res) this.layer.sendStateless(res, { flowId: flow.id });
        return;
      }
      this.layer.receive(msg, flow);
    };
  }

  get uri(): string {
    const t = this.endpoint.protocol === 'udp' ? '' : `;transport=${this.endpoint.protocol}`;
    return `sip:${this.name}@${this.endpoint.address}${t}`;
  }

  /** An out-of-dialog request from this agent to `to`. */
  request(method: string, to: UaAgent | string, init: Partial<OutOfDialogRequestInit> = {}): SipRequest {
    const uri = typeof to === 'string' ? to : to.uri;
    return this.ua.createRequest({ method, requestUri: uri, from: `<sip:${this.name}@example.com>`, to: `<${uri}>`, ...init });
  }

  close(): void {
    this.ua.close();
    this.layer.close();
    this.endpoint.close();
  }
}
