/**
 * The type of Parley's Fastify instance: HTTPS on node's `https.Server`.
 * Routes added by other modules (admin API, client API) take this type.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/** Parley's Fastify instance. */
export type ParleyFastify = FastifyInstance<HttpsServer, IncomingMessage, ServerResponse, FastifyBaseLogger>;
