/**
 * Getting a MESSAGE to the devices of a user (RFC 3428 §4, §7; RFC 3261 §16.6).
 *
 * A parallel fork of non-INVITE branches, one client transaction per device,
 * over the transaction layer. Not the stack's `ProxyTransaction`: that one
 * sends the best final response upstream itself, and IM must choose its own
 * answer — 202 when the message is kept for later, a deadline well before the
 * sender's Timer F — and also sends requests of its own that answer no server
 * transaction (copies to the sender's other devices, queued messages). A
 * MESSAGE needs none of what ProxyTransaction adds (CANCEL, Timer C,
 * provisional forwarding). Responses stay here: none is forwarded.
 *
 * Two kinds of request go out:
 * - {@link forwardedCopy}: the sender's request as a proxy forwards it
 *   (§16.6: new Request-URI, Max-Forwards less one, the binding's Path as
 *   Route, our Via on top) — same Call-ID and From tag on every device;
 * - {@link serverMessage}: a new request from the server (its own Call-ID,
 *   From tag and branch, §8.1.1) that keeps the sender as From and the
 *   recipient as To, with the Date it was sent (§20.17).
 */
import { parseNameAddr, type SipRequest, type SipResponse } from '@parley/sip';
import { addVia, applyStrictRoute, cloneRequest, createOutOfDialogRequest, decrementMaxForwards } from '@parley/sip/core';
import { createSyntheticResponse, type SendTarget } from '@parley/sip/transaction';
import type { Binding } from '../registrar/index.js';
import type { ServiceContext } from '../service.js';

/** A device that can be reached now. */
export interface Device {
  readonly binding: Binding;
  readonly target: SendTarget;
}

export interface ForkResult {
  /** A device answered 2xx (the promise resolves at the first one). */
  readonly delivered: boolean;
  /** Final non-2xx answers (made-up 408/503 for timeouts and transport failures) when none was 2xx. */
  readonly failures: readonly SipResponse[];
}

/** Answers that say "not now" rather than "never": the message may be delivered later. */
export function isTransient(status: number): boolean {
  return status === 408 || status === 480 || (status >= 500 && status < 600);
}

type Ctx = Pick<ServiceContext, 'transactions' | 'bindingTarget' | 'local' | 'protocolOf' | 'logger'>;

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export class Courier {
  constructor(private readonly ctx: Ctx) {}

  /** The bindings that have a way to reach them now (an open flow, a NAT address, a Contact). */
  devices(bindings: readonly Binding[]): Device[] {
    const out: Device[] = [];
    for (const binding of bindings) {
      const target = this.ctx.bindingTarget(binding);
      if (target) out.push({ binding, target });
    }
    return out;
  }

  /**
   * Sends `build(device)` to every device at once. Resolves at the first 2xx,
   * or when every branch ended without one. Never rejects.
   */
  fork(devices: readonly Device[], build: (d: Device) => SipRequest): Promise<ForkResult> {
    return new Promise((resolve) => {
      const failures: SipResponse[] = [];
      let open = devices.length;
      let done = false;
      const finish = (res: SipResponse): void => {
        if (done) return;
        if (res.status >= 200 && res.status < 300) {
          done = true;
          resolve({ delivered: true, failures: [] });
          return;
        }
        failures.push(res);
        if (--open === 0) {
          done = true;
          resolve({ delivered: false, failures });
        }
      };
      if (devices.length === 0) resolve({ delivered: false, failures });
      for (const d of devices) {
        const req = build(d);
        const local = this.ctx.local();
        const protocol = this.ctx.protocolOf(d.target);
        addVia(req, { transport: protocol, host: bracket(local.host), port: local.ports[protocol] ?? local.ports.udp });
        try {
          this.ctx.transactions.sendRequest(req, d.target, {
            onResponse: (res) => {
              if (res.status >= 200) finish(res);
            },
            onTimeout: () => finish(createSyntheticResponse(req, 408)),
            onTransportError: (e) => finish(createSyntheticResponse(req, 503, e.message)),
          });
        } catch (e) {
          this.ctx.logger.warn({ err: e, callId: req.callId }, 'IM branch not sent');
          finish(createSyntheticResponse(req, 503, e instanceof Error ? e.message : 'not sent'));
        }
      }
    });
  }

  /** The sender's MESSAGE as forwarded to one device (§16.6 steps 1–6); credentials and our Route stay behind. */
  forwardedCopy(original: SipRequest, d: Device): SipRequest {
    const req = cloneRequest(original);
    req.uri = d.binding.contactUri;
    decrementMaxForwards(req);
    req.remove('route'); // every Route named us (checked before we took the request)
    req.remove('proxy-authorization'); // §22.3: consumed here, never shown to the recipient
    const path = d.binding.path;
    for (let i = path.length - 1; i >= 0; i--) req.prepend('Route', parseNameAddr(path[i], 'path').toString());
    applyStrictRoute(req);
    return req;
  }

  /** A MESSAGE of the server's own to one device, from `from` to `to`, sent at `sentAt`. */
  serverMessage(d: Device, m: { from: string; to: string; contentType: string; body: string; sentAt: number }): SipRequest {
    return createOutOfDialogRequest({
      method: 'MESSAGE',
      requestUri: d.binding.contactUri,
      from: `<sip:${m.from}>`,
      to: `<sip:${m.to}>`,
      routeSet: d.binding.path,
      headers: [['Date', new Date(m.sentAt).toUTCString()]],
      body: m.body,
      contentType: m.contentType,
    });
  }
}

/** What a sender hears when every device refused (none was transient): a 6xx, else the lowest (§16.7 step 6, simplified). */
export function refusal(failures: readonly SipResponse[]): { status: number; reason: string } {
  const best = failures.find((r) => r.status >= 600) ?? [...failures].sort((a, b) => a.status - b.status)[0];
  // A device's own challenge is not for the sender to answer.
  if (best === undefined || best.status === 401 || best.status === 407) return { status: 403, reason: 'Forbidden (refused by the device)' };
  return { status: best.status, reason: best.reason };
}
