/**
 * IM history over the REST API, for the signed-in user (any role):
 *
 * | Method and path | Query / body | Answer |
 * | --- | --- | --- |
 * | `GET /api/v1/im/conversations` | `?limit=50` (1–200) | `{conversations: [{peer, lastMessage, unread}]}`, latest first |
 * | `GET /api/v1/im/conversations/:peer/messages` | `?before=&limit=50` (1–200) | `{messages, next}`, newest first |
 * | `POST /api/v1/im/conversations/:peer/read` | — | `{marked}`: messages from peer now read |
 *
 * `peer` is an address (`bob@example.com`, `sip:` allowed). `before` is an
 * ISO 8601 time, or the id of a message (the oldest of the page already
 * shown); `next` is that id for the following page, null at the end. A
 * message is `{id, from, to, direction: 'sent'|'received', contentType,
 * body, sentAt, deliveredAt, readAt, status: 'delivered'|'pending'|'missed'}`.
 * `unread` counts messages to the user not yet marked read.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError, type ApiRoutes } from '../../http/api/index.js';
import { parseAddress } from '../users/index.js';
import { IM_ERRORS, ImError } from './errors.js';
import type { HistoryCursor, ImMessage, ImRepo } from './im-repo.js';

const LIMIT = { type: 'integer', minimum: 1, maximum: 200, default: 50 } as const;
const peerParams = { type: 'object', properties: { peer: { type: 'string', minLength: 1, maxLength: 330 } }, required: ['peer'] } as const;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T/;

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

export function messageView(m: ImMessage, me: string) {
  return {
    id: m.id,
    from: m.from,
    to: m.to,
    direction: m.from === me ? 'sent' : 'received',
    contentType: m.contentType,
    body: m.body,
    sentAt: iso(m.sentAt),
    deliveredAt: iso(m.deliveredAt),
    readAt: iso(m.readAt),
    status: m.status,
  };
}

function apiError(e: ImError): ApiError {
  return new ApiError(IM_ERRORS[e.code].api, e.message);
}

export function imRoutes(repo: ImRepo, now: () => number): ApiRoutes {
  return async (api, guards) => {
    await api.register(
      async (im: FastifyInstance) => {
        im.addHook('onRequest', guards.signedIn);
        const me = (request: Parameters<typeof guards.principal>[0]): string => guards.principal(request).user.address;

        im.get<{ Querystring: { limit: number } }>(
          '/conversations',
          { schema: { querystring: { type: 'object', properties: { limit: LIMIT } } } },
          async (request) => {
            const who = me(request);
            const list = await repo.conversations(who, request.query.limit);
            return { conversations: list.map((c) => ({ peer: c.peer, lastMessage: messageView(c.last, who), unread: c.unread })) };
          },
        );

        im.get<{ Params: { peer: string }; Querystring: { before?: string; limit: number } }>(
          '/conversations/:peer/messages',
          {
            schema: {
              params: peerParams,
              querystring: { type: 'object', properties: { before: { type: 'string', minLength: 1, maxLength: 64 }, limit: LIMIT } },
            },
          },
          async (request) => {
            const who = me(request);
            const peer = parseAddress(request.params.peer).address;
            const { before, limit } = request.query;
            let cursor: HistoryCursor | undefined;
            if (before !== undefined) {
              const t = ISO_TIME.test(before) ? Date.parse(before) : NaN;
              if (!Number.isNaN(t)) cursor = { sentAt: t };
              else {
                const m = await repo.get(before);
                if (!m || (m.from !== who && m.to !== who) || (m.from !== peer && m.to !== peer)) throw apiError(new ImError('unknown-message'));
                cursor = { sentAt: m.sentAt, id: m.id };
              }
            }
            const messages = await repo.history(who, peer, { before: cursor, limit });
            return {
              messages: messages.map((m) => messageView(m, who)),
              next: messages.length === limit ? messages[messages.length - 1].id : null,
            };
          },
        );

        im.post<{ Params: { peer: string } }>('/conversations/:peer/read', { schema: { params: peerParams } }, async (request) => {
          const who = me(request);
          const peer = parseAddress(request.params.peer).address;
          return { marked: await repo.markRead(who, peer, now()) };
        });
      },
      { prefix: '/im' },
    );
  };
}
