/**
 * How the notifier reaches a subscriber: over the flow its SUBSCRIBE came
 * on (the only way to a browser on WebSocket or a device behind NAT, RFC
 * 5626 §5.3; for UDP, the source address and port, RFC 3581), with a NOTIFY
 * sent in a client transaction of the front end's transaction layer.
 */
import { NameAddr, SipUri } from '@parley/sip';
import { addVia } from '@parley/sip/core';
import type { FlowInfo, SendTarget } from '@parley/sip/transaction';
import type { ServiceContext } from '../service.js';
import type { NotifyChannel } from './subscription.js';

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Where to send in-dialog requests to the device behind `flow`. */
export function flowTarget(flow: FlowInfo): SendTarget {
  return flow.protocol.toLowerCase() === 'udp' ? { protocol: 'udp', host: flow.remoteAddress, port: flow.remotePort } : { flowId: flow.id };
}

/** Our Contact in a subscription dialog set up over `flow` (RFC 6665 §4.2.1.1: the 2xx carries one). */
export function localContact(ctx: Pick<ServiceContext, 'local'>, flow: FlowInfo): NameAddr {
  const local = ctx.local();
  const protocol = flow.protocol.toLowerCase();
  const port = local.ports[protocol] ?? local.ports.udp;
  // One shared, never-mutated Contact per address and transport: a server
  // holds tens of thousands of subscription dialogs, and each kept its own
  // NameAddr and URI (dialogs only ever print it, as the UA core's shared
  // contact shows).
  const key = `${local.host}\0${port}\0${protocol}`;
  let contact = CONTACTS.get(key);
  if (contact === undefined) {
    const uri = new SipUri('sip', undefined, undefined, bracket(local.host), port);
    if (protocol !== 'udp') uri.params.set('transport', protocol);
    contact = new NameAddr(uri);
    if (CONTACTS.size >= 64) CONTACTS.clear();
    CONTACTS.set(key, contact);
  }
  return contact;
}

/** {@link localContact}'s shared Contacts by host, port and transport (a handful). */
const CONTACTS = new Map<string, NameAddr>();

/**
 * NOTIFYs through `ctx.transactions`: our Via for the target's protocol, and
 * the outcome of the transaction: a 2xx delivers; a 481 says the
 * subscription is gone at the subscriber; Timer F or a transport failure
 * also count as gone (RFC 6665 §4.2.2); any other final answer failed.
 */
export function transactionChannel(ctx: Pick<ServiceContext, 'transactions' | 'local' | 'protocolOf' | 'logger'>): NotifyChannel {
  return {
    send(notify, target, done) {
      let finished = false;
      const finish = (o: 'delivered' | 'gone' | 'failed'): void => {
        if (finished) return;
        finished = true;
        done(o);
      };
      try {
        const protocol = ctx.protocolOf(target);
        const local = ctx.local();
        addVia(notify, { transport: protocol.toUpperCase(), host: bracket(local.host), port: local.ports[protocol] ?? local.ports.udp });
        ctx.transactions.sendRequest(notify, target, {
          onResponse: (res) => {
            if (res.status >= 200) finish(res.status < 300 ? 'delivered' : res.status === 481 || res.status === 408 ? 'gone' : 'failed');
          },
          onTimeout: () => finish('gone'),
          onTransportError: () => finish('gone'),
        });
      } catch (err) {
        ctx.logger.debug({ err }, 'NOTIFY not sent');
        queueMicrotask(() => finish('failed'));
      }
    },
  };
}
