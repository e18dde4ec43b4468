/**
 * The event state compositor's table of publications (RFC 3903 §6): per
 * presentity, one publication per publishing device, each named by an
 * entity-tag that changes whenever the publication is refreshed or modified
 * (§4.1). Every change is written through to the store before the promise
 * resolves (the PUBLISH is answered only then), and {@link start} reloads
 * the live ones after a restart.
 *
 * A publication's life (RFC 3903 §4, §6):
 *
 * ```
 *   initial PUBLISH (body, no SIP-If-Match) ──▶ live ──┬─ refresh (If-Match, no body) ──▶ live, new etag
 *                                                    ├─ modify (If-Match, body) ───────▶ live, new etag
 *                                                    ├─ remove (If-Match, Expires: 0) ─▶ gone
 *                                                    └─ expiry (its own timer) ────────▶ gone
 * ```
 * An If-Match naming no live publication of that presentity: 412.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '@parley/sip/transaction';
import type { PublicationInput } from './aggregate.js';
import { PresenceError } from './errors.js';
import { parsePidf, PidfError, type PublishedState } from './pidf-parse.js';
import type { PublicationStore } from './publication-repo.js';

export interface Publication extends PublicationInput {
  readonly owner: string;
  readonly etag: string;
  readonly document: string;
  readonly expiresAt: number;
  /**
   * The flow it came over carried a registration of its owner when it was
   * published: it belongs to that registered device and goes when the
   * device's bindings go ({@link PublicationTable.withdrawUnbound}).
   */
  readonly ofRegisteredDevice?: boolean;
}

export interface PublishRequest {
  readonly owner: string;
  /** SIP-If-Match (RFC 3903 §11.3.2). */
  readonly ifMatch: string | undefined;
  /** The new document and what it says; undefined for a refresh. */
  readonly body: { readonly document: string; readonly state: PublishedState } | undefined;
  /** Granted seconds; 0 removes. */
  readonly expiresS: number;
  /** flowKey of the flow the PUBLISH came over. */
  readonly source: string | undefined;
  /** Whether that flow carries a registration of the owner now (see {@link Publication.ofRegisteredDevice}). */
  readonly sourceRegistered?: boolean;
}

export type PublishOutcome =
  | { readonly kind: 'created' | 'modified' | 'refreshed'; readonly publication: Publication }
  | { readonly kind: 'removed' };

export interface PublicationTableOptions {
  readonly store?: PublicationStore;
  /** ms epoch and timers. */
  readonly clock: Clock;
  /** The publications of `owner` changed (added, modified, removed, expired; not on a bare refresh). */
  onChange(owner: string): void;
  onError?(err: unknown): void;
}

/** Most publications per presentity (devices publishing at once); the oldest is dropped beyond it. */
export const MAX_PUBLICATIONS_PER_OWNER = 32;

const newEtag = (): string => randomBytes(12).toString('base64url');

export class PublicationTable {
  readonly #byOwner = new Map<string, Map<string, Publication>>();
  readonly #timers = new Map<string, TimerHandle>();
  #closed = false;

  constructor(private readonly o: PublicationTableOptions) {}

  /** Loads the live publications from the store; returns how many. */
  async start(): Promise<number> {
    if (!this.o.store) return 0;
    const now = this.o.clock.now();
    const rows = await this.o.store.loadLive(now);
    let n = 0;
    for (const r of rows) {
      let state: PublishedState;
      try {
        state = parsePidf(r.document);
      } catch (e) {
        if (e instanceof PidfError) continue;
        throw e;
      }
      this.#put({ id: r.id, owner: r.owner, etag: r.etag, source: r.source, document: r.document, state, publishedAt: r.publishedAt, expiresAt: r.expiresAt });
      n++;
    }
    await this.o.store.purgeExpired(now).catch((e: unknown) => this.o.onError?.(e));
    return n;
  }

  /** Live publications of `owner`. */
  of(owner: string): Publication[] {
    const m = this.#byOwner.get(owner);
    return m ? [...m.values()] : [];
  }

  /** Owners with at least one live publication. */
  owners(): string[] {
    return [...this.#byOwner.keys()];
  }

  get size(): number {
    return this.#timers.size;
  }

  /**
   * Applies a PUBLISH (RFC 3903 §6 steps 4–8). Throws PresenceError
   * `unknown-etag` (412) or `missing-body` (400); store failures as StoreError.
   */
  async publish(req: PublishRequest): Promise<PublishOutcome> {
    const now = this.o.clock.now();
    const mine = this.#byOwner.get(req.owner);
    let current: Publication | undefined;
    if (req.ifMatch !== undefined) {
      current = [...(mine?.values() ?? [])].find((p) => p.etag === req.ifMatch);
      if (!current) throw new PresenceError('unknown-etag');
    } else if (req.body === undefined) {
      throw new PresenceError('missing-body');
    }
    if (req.expiresS === 0) {
      if (current) {
        this.#drop(current);
        await this.o.store?.remove(current.id);
        this.o.onChange(req.owner);
      }
      return { kind: 'removed' };
    }
    const next: Publication = {
      id: current?.id ?? randomUUID(),
      owner: req.owner,
      etag: newEtag(),
      source: req.source ?? current?.source,
      document: req.body?.document ?? current!.document,
      state: req.body?.state ?? current!.state,
      publishedAt: req.body ? now : current!.publishedAt,
      expiresAt: now + req.expiresS * 1000,
      ofRegisteredDevice: req.sourceRegistered === true || current?.ofRegisteredDevice === true,
    };
    this.#put(next);
    if (!current && (mine?.size ?? 0) > MAX_PUBLICATIONS_PER_OWNER) {
      const oldest = [...mine!.values()].sort((a, b) => a.publishedAt - b.publishedAt)[0];
      this.#drop(oldest);
      void this.o.store?.remove(oldest.id).catch((e: unknown) => this.o.onError?.(e));
    }
    await this.o.store?.upsert({ id: next.id, owner: next.owner, etag: next.etag, source: next.source, document: next.document, publishedAt: next.publishedAt, expiresAt: next.expiresAt });
    const kind = !current ? 'created' : req.body ? 'modified' : 'refreshed';
    if (kind !== 'refreshed') this.o.onChange(req.owner);
    return { kind, publication: next };
  }

  /**
   * A registered device signed out (its bindings were removed, or expired):
   * the publications that came over its flow while it was registered go
   * with it, as the original ends an endpoint's published state when the
   * endpoint signs out. Without this a UA that lost track of one of its
   * publications (baresip may send two initial PUBLISHes and withdraw only
   * the last, RFC 3903 allowing both) would keep its user signed in until
   * that publication expired. `boundSources`: the flow keys of the owner's
   * bindings now. Returns how many were withdrawn.
   */
  withdrawUnbound(owner: string, boundSources: ReadonlySet<string>): number {
    const mine = this.#byOwner.get(owner);
    if (!mine) return 0;
    const gone = [...mine.values()].filter((p) => p.ofRegisteredDevice === true && p.source !== undefined && !boundSources.has(p.source));
    for (const p of gone) {
      this.#drop(p);
      void this.o.store?.remove(p.id).catch((e: unknown) => this.o.onError?.(e));
    }
    if (gone.length > 0) this.o.onChange(owner);
    return gone.length;
  }

  #put(p: Publication): void {
    if (this.#closed) return;
    let m = this.#byOwner.get(p.owner);
    if (!m) this.#byOwner.set(p.owner, (m = new Map()));
    m.set(p.id, p);
    const old = this.#timers.get(p.id);
    if (old !== undefined) this.o.clock.clearTimeout(old);
    const delay = Math.max(0, p.expiresAt - this.o.clock.now());
    this.#timers.set(p.id, this.o.clock.setTimeout(() => this.#expire(p.owner, p.id), Math.min(delay, 2 ** 31 - 1)));
  }

  #drop(p: Publication): void {
    const t = this.#timers.get(p.id);
    if (t !== undefined) this.o.clock.clearTimeout(t);
    this.#timers.delete(p.id);
    const m = this.#byOwner.get(p.owner);
    m?.delete(p.id);
    if (m && m.size === 0) this.#byOwner.delete(p.owner);
  }

  #expire(owner: string, id: string): void {
    const p = this.#byOwner.get(owner)?.get(id);
    if (!p) return;
    if (p.expiresAt > this.o.clock.now()) {
      this.#put(p); // a long expiry clipped to the largest timer
      return;
    }
    this.#drop(p);
    void this.o.store?.remove(id).catch((e: unknown) => this.o.onError?.(e));
    this.o.onChange(owner);
  }

  /** Stops every timer; idempotent. Publications stay in the store. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers.values()) this.o.clock.clearTimeout(t);
    this.#timers.clear();
    this.#byOwner.clear();
  }
}
