/**
 * PUBLISH (RFC 3903) for the presence of local users: Parley is the event
 * state compositor. Steps in the order of RFC 3903 §6:
 *
 * 1. the Request-URI names a local user (else the request is not ours);
 * 2. Event must be `presence` (489 Bad Event with Allow-Events);
 * 3. the publisher is authenticated (407) and may publish only their own
 *    presence (403);
 * 4. SIP-If-Match names a live publication of that user (412);
 * 5. Expires: 0 removes, below the minimum 423 with Min-Expires, above the
 *    maximum is cut;
 * 6. a body must be `application/pidf+xml` (415 with Accept), within the
 *    size limit (413), and a PIDF document (400); an initial PUBLISH needs
 *    one (400), a refresh has none.
 *
 * The answer, once the store holds the publication: 200 with SIP-ETag (the
 * new entity-tag, §11.3.1) and Expires.
 */
import type { FlowInfo, ServerTransaction } from '@parley/sip/transaction';
import type { MethodHandler } from '../../sip/router.js';
import type { ServiceContext } from '../service.js';
import { flowKey } from './aggregate.js';
import { PresenceError } from './errors.js';
import { PIDF_CONTENT_TYPE } from './pidf-build.js';
import { parsePidf, PidfError, type PublishedState } from './pidf-parse.js';
import type { PublicationTable } from './publications.js';
import { authenticate, eventPackage, grantedExpires, replyPresenceError, resourceOf, routesToUs, type ExpiresLimits } from './sip-common.js';

export interface PublishLimits extends ExpiresLimits {
  /** Largest document accepted, in bytes (the original's model: 4 KB average, 25 KB at most). */
  readonly maxDocumentBytes: number;
}

/**
 * `isRegisteredSource(owner, flowKey)`: whether that flow carries a
 * registration of the owner now (its publications then go when it signs
 * out, see `PublicationTable.withdrawUnbound`).
 */
export function publishHandler(
  ctx: ServiceContext,
  publications: PublicationTable,
  limits: PublishLimits,
  isRegisteredSource?: (owner: string, source: string) => boolean,
): MethodHandler {
  return async (tx: ServerTransaction, flow: FlowInfo): Promise<boolean> => {
    const req = tx.request;
    const resource = resourceOf(ctx, req);
    if (!resource || resource.list || !routesToUs(ctx, req)) return false;
    try {
      if (eventPackage(req) !== 'presence') throw new PresenceError('bad-event');
      const who = await authenticate(ctx, tx, flow);
      if (who === undefined) return true;
      if (who !== resource.address) throw new PresenceError('not-owner');
      const ifMatch = req.get('sip-if-match')?.trim();
      if (ifMatch !== undefined && !publications.of(who).some((p) => p.etag === ifMatch)) throw new PresenceError('unknown-etag');
      const expiresS = grantedExpires(req, limits);
      let body: { document: string; state: PublishedState } | undefined;
      if (req.body.length > 0 && expiresS > 0) {
        if (req.contentType !== PIDF_CONTENT_TYPE) throw new PresenceError('unsupported-media-type');
        if (req.body.length > limits.maxDocumentBytes) throw new PresenceError('document-too-large');
        const document = req.bodyText;
        try {
          body = { document, state: parsePidf(document, limits.maxDocumentBytes) };
        } catch (e) {
          if (e instanceof PidfError) throw new PresenceError('malformed-document', e.message);
          throw e;
        }
      }
      const source = flowKey({ protocol: flow.protocol, remoteAddress: flow.remoteAddress, remotePort: flow.remotePort, id: flow.id });
      const outcome = await publications.publish({
        owner: who,
        ifMatch,
        body,
        expiresS,
        source,
        sourceRegistered: isRegisteredSource?.(who, source) ?? false,
      });
      if (outcome.kind === 'removed') tx.reply(200, { headers: [['Expires', 0]] });
      else tx.reply(200, { headers: [['SIP-ETag', outcome.publication.etag], ['Expires', expiresS]] });
      return true;
    } catch (e) {
      if (replyPresenceError(tx, e, limits)) return true;
      ctx.logger.error({ err: e, callId: req.callId }, 'PUBLISH failed');
      tx.reply(500);
      return true;
    }
  };
}
