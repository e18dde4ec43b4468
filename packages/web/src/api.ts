/**
 * The REST API (server: http/api/README.md), through the session cookie the
 * sign-in sets (HttpOnly: scripts never see it). Every error is an ApiError
 * carrying the server's stable code.
 */
import type { Relationship } from './presence/availability.js';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

/** Thrown when the server cannot be reached at all. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

export interface User {
  readonly id?: string;
  readonly address: string;
  readonly displayName: string | null;
  readonly role: string;
  readonly enabled?: boolean;
  readonly phone?: string | null;
  readonly domain?: string;
  readonly createdAt?: string;
}

export interface RestPresence {
  availability: number;
  state: string;
  activity: string | null;
  note: string | null;
  idleSince: string | null;
  location: string | null;
  interruptible?: boolean;
}

export interface Group {
  readonly id: string;
  readonly name: string;
  readonly position: number;
}

export interface RestContact {
  readonly address: string;
  readonly displayName: string | null;
  readonly groupId: string;
  readonly relationship: Relationship | null;
  readonly presence?: RestPresence;
}

export interface ImMessage {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly direction: 'sent' | 'received';
  readonly contentType: string;
  readonly body: string;
  readonly sentAt: string;
  readonly status: 'delivered' | 'pending' | 'missed';
  readonly readAt: string | null;
}

export interface Registration {
  readonly address: string;
  readonly contact: string;
  readonly instanceId: string | null;
  readonly userAgent: string | null;
  readonly transport: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly registeredAt: string;
  readonly expiresAt: string;
  readonly expiresInS: number;
}

export interface ServerStatus {
  readonly version: string;
  readonly startedAt: string;
  readonly uptimeS: number;
  readonly ports: { sip: number; sips: number; https: number };
  readonly users: { total: number; enabled: number; admins: number };
  readonly domains: number;
  readonly registrations: { live: number; inMemory: number };
  readonly transactionsActive: number;
}

const enc = encodeURIComponent;

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (e) {
    throw new NetworkError(e instanceof Error ? e.message : String(e));
  }
  if (res.status === 204) return undefined as T;
  let data: unknown;
  try {
    data = await res.json();
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const d = (data ?? {}) as { error?: string; message?: string };
    const retry = Number(res.headers.get('retry-after'));
    throw new ApiError(res.status, d.error ?? `http-${res.status}`, d.message ?? res.statusText, Number.isFinite(retry) && retry > 0 ? retry : undefined);
  }
  return data as T;
}

export const api = {
  signIn: (address: string, password: string) =>
    call<{ user: User; expiresAt: string }>('POST', '/session', { address, password }),
  signOut: () => call<void>('DELETE', '/session'),
  me: () => call<{ user: User; expiresAt: string }>('GET', '/me'),

  contacts: () => call<{ groups: Group[]; contacts: RestContact[]; limit: number }>('GET', '/me/contacts'),
  addContact: (address: string, groupId?: string, relationship?: Relationship | null) =>
    call<{ contact: RestContact }>('POST', '/me/contacts', { address, ...(groupId ? { groupId } : {}), ...(relationship ? { relationship } : {}) }),
  updateContact: (address: string, change: { groupId?: string; relationship?: Relationship | null }) =>
    call<{ contact: RestContact }>('PATCH', `/me/contacts/${enc(address)}`, change),
  removeContact: (address: string) => call<void>('DELETE', `/me/contacts/${enc(address)}`),
  addGroup: (name: string) => call<{ group: Group }>('POST', '/me/groups', { name }),
  renameGroup: (id: string, name: string) => call<{ group: Group }>('PATCH', `/me/groups/${enc(id)}`, { name }),
  removeGroup: (id: string) => call<void>('DELETE', `/me/groups/${enc(id)}`),
  presence: (address: string) => call<{ address: string; presence: RestPresence }>('GET', `/presence/${enc(address)}`),
  directory: (q: string, limit = 20) =>
    call<{ users: Array<{ address: string; displayName: string | null; phone: string | null }> }>('GET', `/directory?q=${enc(q)}&limit=${limit}`),

  conversations: (limit = 50) =>
    call<{ conversations: Array<{ peer: string; lastMessage: ImMessage; unread: number }> }>('GET', `/im/conversations?limit=${limit}`),
  messages: (peer: string, before?: string, limit = 50) =>
    call<{ messages: ImMessage[]; next: string | null }>('GET', `/im/conversations/${enc(peer)}/messages?limit=${limit}${before ? `&before=${enc(before)}` : ''}`),
  markRead: (peer: string) => call<{ marked: number }>('POST', `/im/conversations/${enc(peer)}/read`),

  admin: {
    users: (search: string, limit = 100, offset = 0) =>
      call<{ users: User[]; total: number; limit: number; offset: number }>('GET', `/admin/users?search=${enc(search)}&limit=${limit}&offset=${offset}`),
    createUser: (u: { address: string; displayName?: string; password?: string; generatePassword?: boolean; role?: string }) =>
      call<{ user: User; password?: string }>('POST', '/admin/users', u),
    patchUser: (address: string, change: { enabled?: boolean; displayName?: string; role?: string }) =>
      call<{ user: User }>('PATCH', `/admin/users/${enc(address)}`, change),
    resetPassword: (address: string, password?: string) =>
      call<{ user: User; password?: string }>('POST', `/admin/users/${enc(address)}/password`, password ? { password } : { generatePassword: true }),
    deleteUser: (address: string) => call<void>('DELETE', `/admin/users/${enc(address)}`),
    registrations: (address?: string) =>
      call<{ registrations: Registration[]; total: number }>('GET', `/admin/registrations${address ? `?address=${enc(address)}` : ''}`),
    status: () => call<ServerStatus>('GET', '/admin/status'),
  },
};

/** A person-readable sentence for an error from the API or the network. */
export function describeError(e: unknown): string {
  if (e instanceof NetworkError) return 'Cannot reach the server. Check your connection and try again.';
  if (e instanceof ApiError) {
    switch (e.code) {
      case 'invalid-credentials':
        return 'That sign-in address or password is not right.';
      case 'too-many-attempts':
        return `Too many failed sign-ins. Try again in ${e.retryAfterS ?? 60} seconds.`;
      case 'unauthenticated':
        return 'Your session has ended. Sign in again.';
      case 'forbidden':
        return 'You are not allowed to do that.';
      case 'weak-password':
      case 'malformed-address':
      case 'duplicate-user':
      case 'duplicate-contact':
      case 'duplicate-group':
      case 'unknown-domain':
      case 'last-admin':
      case 'invalid':
        return e.message;
      default:
        return e.message || `The server answered ${e.status}.`;
    }
  }
  return e instanceof Error ? e.message : String(e);
}
