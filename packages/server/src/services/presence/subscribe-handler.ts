/**
 * SUBSCRIBE where Parley is the notifier (RFC 6665 §4.2), for three
 * resources of a local user:
 *
 * | Request-URI                        | Event            | what                                   |
 * | ---------------------------------- | ---------------- | -------------------------------------- |
 * | `sip:bob@example.com`              | presence         | bob's presence (RFC 3856), any watcher |
 * | `sip:alice;list=contacts@example.com` | presence      | alice's contact list (RFC 4662), alice |
 * |                                    |                  | only, with `Supported: eventlist`      |
 * | `sip:alice@example.com`            | presence.winfo   | who watches alice (RFC 3857), alice only |
 *
 * Out of dialog (§4.2.1.1): the subscriber is authenticated (407) and must
 * be a local user (federation later); the resource must exist (404); limits
 * (403 / 503); Expires within limits (423); then 200 with Expires and our
 * Contact, a dialog (RFC 3261 §12.1.1), and a NOTIFY with the full state at
 * once. Expires: 0 is a fetch (§4.4.3): one NOTIFY "terminated;reason=timeout".
 *
 * In dialog (§4.2.1.2, §4.2.1.4): refresh (new expiry, new target flow, full
 * state) or unsubscribe (Expires: 0: final NOTIFY); an unknown dialog whose
 * Request-URI is this server gets 481. Other events and foreign resources
 * are left to the proxy.
 */
import { SipUri, type SipRequest } from '@parley/sip';
import { createUasDialog, dialogIdOfIncomingRequest, dialogKey } from '@parley/sip/dialog';
import type { FlowInfo, ServerTransaction } from '@parley/sip/transaction';
import type { MethodHandler } from '../../sip/router.js';
import type { ServiceContext } from '../service.js';
import { PresenceError } from './errors.js';
import { WINFO_CONTENT_TYPE } from './list-documents.js';
import { flowTarget, localContact } from './notifier.js';
import { PIDF_CONTENT_TYPE } from './pidf-build.js';
import {
  authenticate,
  contactListUri,
  eventPackage,
  grantedExpires,
  replyPresenceError,
  resourceOf,
  routesToUs,
  type ExpiresLimits,
} from './sip-common.js';
import type { Starter, SubscriptionManager } from './subscription-manager.js';

/** Does an Accept header admit `type` (RFC 3261 §20.1; none means the package default)? */
function accepts(req: SipRequest, type: string): boolean {
  const values = req.getAll('accept');
  if (values.length === 0) return true;
  const [major] = type.split('/');
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.split(';')[0].trim().toLowerCase())
    .some((t) => t === type || t === `${major}/*` || t === '*/*' || t === '');
}

export function subscribeHandler(ctx: ServiceContext, manager: SubscriptionManager, limits: ExpiresLimits): MethodHandler {
  return async (tx: ServerTransaction, flow: FlowInfo): Promise<boolean> => {
    const req = tx.request;
    const event = eventPackage(req);
    if (event !== 'presence' && event !== 'presence.winfo') return false;
    const accept = event === 'presence' ? PIDF_CONTENT_TYPE : WINFO_CONTENT_TYPE;
    try {
      if (req.to.tag !== undefined) return inDialog(tx, flow, event);
      const resource = resourceOf(ctx, req);
      if (!resource || !routesToUs(ctx, req)) return false;
      const who = await authenticate(ctx, tx, flow);
      if (who === undefined) return true;
      const expires = grantedExpires(req, limits);
      let starter: Starter;
      const extra: Array<[string, string]> = [];
      if (resource.list) {
        if (event !== 'presence') throw new PresenceError('bad-event');
        if (resource.address !== who) throw new PresenceError('not-owner', 'only its owner may subscribe to a contact list');
        if (!req.tokens('supported').some((t) => t.split(',').map((x) => x.trim()).includes('eventlist'))) throw new PresenceError('eventlist-required');
        const owner = await ctx.store.users.getByAddress(who);
        if (!owner) throw new PresenceError('no-such-user');
        starter = await manager.openList(owner, contactListUri(who), resource.domain);
        extra.push(['Require', 'eventlist']);
      } else if (event === 'presence.winfo') {
        if (resource.address !== who) throw new PresenceError('not-owner', 'only the presentity may watch its watchers');
        if (!accepts(req, WINFO_CONTENT_TYPE)) throw new PresenceError('not-acceptable');
        starter = manager.openWinfo(who);
      } else {
        if (!accepts(req, PIDF_CONTENT_TYPE)) throw new PresenceError('not-acceptable');
        const user = await ctx.store.users.getByAddress(resource.address);
        if (!user || !user.enabled) throw new PresenceError('no-such-user');
        starter = await manager.openPresence(who, resource.address);
      }
      const contact = localContact(ctx, flow);
      const res = tx.reply(200, { headers: [['Expires', expires], ['Contact', contact.toString()], ...extra] });
      const dialog = createUasDialog(req, res, { localContact: contact });
      const sub = starter({ dialog, target: flowTarget(flow), expiresAt: ctx.now() + expires * 1000 });
      if (expires === 0) sub.terminate('timeout');
      else sub.start();
      return true;
    } catch (e) {
      if (replyPresenceError(tx, e, limits, accept)) return true;
      ctx.logger.error({ err: e, callId: req.callId }, 'SUBSCRIBE failed');
      tx.reply(500);
      return true;
    }
  };

  function inDialog(tx: ServerTransaction, flow: FlowInfo, event: string): boolean {
    const req = tx.request;
    const id = dialogIdOfIncomingRequest(req)!;
    const sub = manager.byDialog(dialogKey(id));
    if (!sub) {
      // Ours only when it is addressed to this server itself (our Contact) and routed no further.
      const u = req.uri;
      const toUs = u instanceof SipUri && ctx.domains.isOwnName(u.hostname) && req.getAll('route').length === 0;
      if (!toUs) return false;
      throw new PresenceError('no-such-subscription');
    }
    if (sub.event !== event) throw new PresenceError('bad-event');
    if (sub.dialog.receiveRequest(req) === 500) throw new PresenceError('out-of-order');
    const expires = grantedExpires(req, limits);
    tx.reply(200, { headers: [['Expires', expires], ...(sub.dialog.localContact ? ([['Contact', sub.dialog.localContact.toString()]] as Array<[string, string]>) : [])] });
    if (expires === 0) sub.terminate('timeout');
    else sub.refresh(ctx.now() + expires * 1000, flowTarget(flow));
    return true;
  }
}
