/**
 * What the API needs from the rest of the front end (declared here, given by
 * the composition root: STYLE.md habit 1), and what its route modules share.
 */
import type { LocationService } from '../../services/registrar/index.js';
import type { UserService } from '../../services/users/index.js';
import type { Store } from '../../store/index.js';
import type { ParleyFastify } from '../app.js';
import type { Guards } from './guards.js';
import type { SessionAuth, SignInThrottleOptions } from './session-auth.js';

/** The part of the server's state only the composition root knows. */
export interface ServerStatus {
  readonly version: string;
  /** Bound ports: SIP over UDP and TCP, SIP over TLS, HTTPS (and WSS at /sip). */
  readonly ports: { readonly sip: number; readonly sips: number; readonly https: number };
  /** SIP transactions in progress. */
  readonly transactionsActive: number;
  /** Bindings in the location service's table. */
  readonly registrationsActive: number;
}

export type StatusSource = () => ServerStatus | Promise<ServerStatus>;

/** Options of {@link registerApi}. */
/**
 * Routes a service adds under `/api/v1` (IM history, contacts…), inside the
 * API's scope: its error table and `no-store` apply. `guards.signedIn` /
 * `guards.admin` go in a route's `onRequest`; `guards.principal(request)`
 * gives the caller. Errors thrown as {@link ApiError} map to their status.
 */
export type ApiRoutes = (api: ParleyFastify, guards: Guards) => void | Promise<void>;

export interface ApiOptions {
  /** Routes of other services. */
  readonly routes?: readonly ApiRoutes[];
  readonly users: UserService;
  readonly store: Store;
  /** Live bindings, and forgetting them when a user is removed. */
  readonly location: Pick<LocationService, 'lookup' | 'removeAll'>;
  readonly status: StatusSource;
  /** Failed sign-in limits; defaults as the SIP authenticator's. */
  readonly throttle?: SignInThrottleOptions;
  /** ms epoch; tests move it. Default Date.now. */
  readonly now?: () => number;
  /** Told the keys of sessions that ended (sign-out, revocation), e.g. to close their SIP WebSockets. */
  readonly onSessionsEnded?: (tokenHashes: readonly string[]) => void;
}

/** Shared by the route modules. */
export interface ApiContext extends ApiOptions {
  readonly auth: SessionAuth;
  readonly guards: Guards;
  readonly now: () => number;
  readonly startedAt: number;
}

/** The encapsulated Fastify scope of `/api/v1`. */
export type ApiScope = ParleyFastify;
