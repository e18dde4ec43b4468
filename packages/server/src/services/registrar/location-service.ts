/**
 * The location service (RFC 3261 §10, the registrar's bindings): an
 * in-memory table of the live bindings of every address of record, written
 * through to the store before a REGISTER is answered, so that registrations
 * survive a restart until they expire and nothing acknowledged is lost.
 *
 * Bindings are keyed per AOR by RFC 5626 instance/reg-id when the device
 * gave them, else by contact URI (the store's `bindingKey`).
 */
import { bindingKey, type BindingInput, type Flow, type Registration, type Store } from '../../store/index.js';

export interface Binding extends Registration {
  readonly key: string;
}

export interface LocationEvents {
  /** The set of bindings of `aor` changed (presence will use this). */
  onChange?(aor: string, bindings: readonly Binding[]): void;
}

export class LocationService {
  private readonly table = new Map<string, Binding[]>();
  /** Contact URI → binding, for in-dialog routing. */
  private readonly contacts = new Map<string, Binding>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private count = 0;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    private readonly events: LocationEvents = {},
  ) {}

  /** Load the live bindings from the store (start-up) and start expiring them. */
  async start(sweepMs = 1000): Promise<number> {
    const live = await this.store.registrations.loadLive(this.now());
    for (const r of live) this.put({ ...r, key: bindingKey(r) });
    await this.store.registrations.purgeExpired(this.now());
    this.sweepTimer = setInterval(() => void this.sweep(), sweepMs);
    this.sweepTimer.unref();
    return live.length;
  }

  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  private put(b: Binding): void {
    let list = this.table.get(b.aor);
    if (!list) this.table.set(b.aor, (list = []));
    const i = list.findIndex((x) => x.key === b.key);
    this.contacts.set(b.contactUri, b);
    if (i >= 0) list[i] = b;
    else {
      list.push(b);
      this.count++;
    }
  }

  /** Live bindings of an AOR ('user@domain'), highest q first (§16.6 order for serial forking). */
  lookup(aor: string): Binding[] {
    const list = this.table.get(aor);
    if (!list) return [];
    const t = this.now();
    const live = list.filter((b) => b.expiresAt > t);
    return live.sort((a, b) => (b.q ?? 1) - (a.q ?? 1));
  }

  /** The binding registered with this public or temporary GRUU (RFC 5627 §7). */
  lookupGruu(aor: string, gr: string): Binding | undefined {
    return this.lookup(aor).find((b) => b.instanceId !== null && (b.gruuPub?.includes(`gr=${gr}`) || b.gruuTemp?.includes(`gr=${gr}`)));
  }

  /** The live binding whose Contact URI is `uri` (in-dialog requests to a device, reached over its flow). */
  byContact(uri: string): Binding | undefined {
    const b = this.contacts.get(uri);
    return b && b.expiresAt > this.now() ? b : undefined;
  }

  /** Add or refresh a binding; persisted before the promise resolves. */
  async upsert(input: BindingInput): Promise<Binding> {
    const key = bindingKey(input);
    const prior = this.table.get(input.aor)?.find((x) => x.key === key);
    let b: Binding | undefined;
    if (prior !== undefined && onlyTimesDiffer(prior, input)) {
      // The common refresh: four columns, not the whole row.
      const receivedAt = input.receivedAt ?? this.now();
      const callId = input.callId === prior.callId ? prior.callId : own(input.callId);
      if (await this.store.registrations.refresh(prior.id, callId, input.cseq, input.expiresAt, receivedAt))
        b = { ...prior, callId, cseq: input.cseq, expiresAt: input.expiresAt, receivedAt };
    }
    if (b === undefined) {
      const r = await this.store.registrations.upsert(input);
      b = { ...r, key: bindingKey(r) };
    }
    this.put(b);
    this.events.onChange?.(b.aor, this.lookup(b.aor));
    return b;
  }

  /** Remove one binding (expires=0). */
  async remove(aor: string, key: string): Promise<void> {
    const list = this.table.get(aor);
    const b = list?.find((x) => x.key === key);
    if (!b || !list) return;
    await this.store.registrations.removeById(b.id);
    list.splice(list.indexOf(b), 1);
    this.forgetContact(b);
    this.count--;
    if (list.length === 0) this.table.delete(aor);
    this.events.onChange?.(aor, this.lookup(aor));
  }

  /** Remove every binding of an AOR (wildcard, §10.2.2). */
  async removeAll(aor: string): Promise<void> {
    await this.store.registrations.removeAll(aor);
    const list = this.table.get(aor);
    if (list) this.count -= list.length;
    for (const b of list ?? []) this.forgetContact(b);
    this.table.delete(aor);
    this.events.onChange?.(aor, []);
  }

  /** Forget bindings whose flow closed when the device used RFC 5626 outbound (§5.3: the flow is the binding). */
  async flowClosed(flowId: string): Promise<void> {
    for (const [aor, list] of this.table) {
      for (const b of [...list]) if (b.regId !== null && b.flow?.connectionId === flowId) await this.remove(aor, b.key);
    }
  }

  private forgetContact(b: Binding): void {
    if (this.contacts.get(b.contactUri) === b) this.contacts.delete(b.contactUri);
  }

  /** Bindings in memory (live or just expired). */
  get size(): number {
    return this.count;
  }

  /** Drop expired bindings from memory and the store. */
  async sweep(): Promise<void> {
    const t = this.now();
    let removed = 0;
    for (const [aor, list] of this.table) {
      const live = list.filter((b) => b.expiresAt > t);
      if (live.length !== list.length) {
        for (const b of list) if (b.expiresAt <= t) this.forgetContact(b);
        removed += list.length - live.length;
        if (live.length === 0) this.table.delete(aor);
        else this.table.set(aor, live);
        this.events.onChange?.(aor, live);
      }
    }
    this.count -= removed;
    if (removed > 0) await this.store.registrations.purgeExpired(t).catch(() => undefined);
  }
}

export type { Flow };

/** A copy of `s` that shares no memory with the request it was cut from (V8 keeps a slice's parent alive). */
function own(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** Whether a REGISTER for `prior`'s binding changes nothing stored but its Call-ID, CSeq and times. */
function onlyTimesDiffer(prior: Binding, input: BindingInput): boolean {
  const path = input.path ?? [];
  const f = input.flow ?? null;
  const g = prior.flow;
  return (
    prior.contactUri === input.contactUri &&
    prior.instanceId === (input.instanceId || null) &&
    prior.regId === (input.regId ?? null) &&
    prior.gruuPub === (input.gruuPub ?? null) &&
    prior.gruuTemp === (input.gruuTemp ?? null) &&
    prior.userAgent === (input.userAgent ?? null) &&
    prior.q === (input.q ?? null) &&
    prior.path.length === path.length &&
    prior.path.every((p, i) => p === path[i]) &&
    (f === null
      ? g === null
      : g !== null &&
        g.protocol === f.protocol &&
        g.remoteAddress === f.remoteAddress &&
        g.remotePort === f.remotePort &&
        g.localAddress === f.localAddress &&
        g.localPort === f.localPort &&
        g.connectionId === f.connectionId)
  );
}
