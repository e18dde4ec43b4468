/**
 * REGISTER processing (RFC 3261 §10.3) with Path (RFC 3327), GRUU (RFC 5627)
 * and outbound (RFC 5626 §6). Digest is required; the authenticated user may
 * change only the bindings of its own address of record.
 */
import { createResponse, newTag, randomToken, SipUri, type NameAddr, type SipRequest, type SipResponse } from '@parley/sip';
import type { Flow as TransportFlow } from '@parley/sip/transport';
import type { Authenticator } from '../auth/index.js';
import type { DomainResolver } from '../domains/index.js';
import type { Store, User } from '../../store/index.js';
import { bindingKey, type Flow } from '../../store/index.js';
import { RegistrarError, REGISTRAR_STATUS } from './errors.js';
import type { Binding, LocationService } from './location-service.js';

export interface RegistrarOptions {
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  /** Most bindings per address of record. */
  maxContacts?: number;
  /** How users are looked up (a cache in front of the store); default the store itself. */
  lookupUser?: (address: string) => Promise<User | undefined>;
  now?: () => number;
}

export type RegisterResult = { response: SipResponse; aor?: string; changed?: boolean };

function storeFlow(f: TransportFlow): Flow {
  return {
    protocol: f.protocol,
    remoteAddress: f.remoteAddress,
    remotePort: f.remotePort,
    localAddress: f.localAddress,
    localPort: f.localPort,
    connectionId: f.id,
  };
}

export class Registrar {
  private readonly now: () => number;
  constructor(
    private readonly store: Store,
    private readonly auth: Authenticator,
    private readonly domains: DomainResolver,
    private readonly location: LocationService,
    private readonly opts: RegistrarOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  async handle(req: SipRequest, flow: TransportFlow): Promise<RegisterResult> {
    try {
      return await this.process(req, flow);
    } catch (e) {
      if (e instanceof RegistrarError) {
        const { status, reason } = REGISTRAR_STATUS[e.code];
        const headers: Array<[string, string | number]> = [];
        if (e.code === 'interval-too-brief') headers.push(['Min-Expires', this.opts.minExpires]);
        return { response: createResponse(req, status, { reason, toTag: newTag(), headers }) };
      }
      throw e;
    }
  }

  private async process(req: SipRequest, flow: TransportFlow): Promise<RegisterResult> {
    // §10.3 step 1: is the Request-URI a domain of ours?
    const ruri = req.uri;
    if (!(ruri instanceof SipUri)) throw new RegistrarError('foreign-domain');
    const domainMatch = await this.domains.resolve(ruri.hostname);
    if (domainMatch.kind !== 'local') throw new RegistrarError('foreign-domain');
    // step 3: authenticate
    const realm = domainMatch.domain;
    const outcome = await this.auth.check(req, flow.remoteAddress, 'registrar', realm);
    if (!outcome.ok) {
      const response = createResponse(req, outcome.status, { toTag: newTag(), reason: outcome.reason, headers: outcome.headers });
      return { response };
    }
    // step 5: the AOR from To, mapped to our domain
    const to = req.to.uri;
    if (!(to instanceof SipUri) || to.user === undefined) throw new RegistrarError('not-an-aor');
    const toDomain = this.domains.resolveCached(to.hostname);
    if (toDomain.kind !== 'local') throw new RegistrarError('foreign-domain');
    const aor = `${to.userDecoded!.toLowerCase()}@${toDomain.domain}`;
    // step 4: authorization — only one's own address
    if (aor !== outcome.address) throw new RegistrarError('forbidden');
    const user = await (this.opts.lookupUser ?? ((a: string) => this.store.users.getByAddress(a)))(aor);
    if (!user || !user.enabled) throw new RegistrarError('unknown-aor');

    const contacts = req.contacts;
    const headerExpires = clampInt(req.get('expires'));
    const callId = req.callId;
    const cseq = req.cseq.seq;
    const t = this.now();
    let changed = false;
    const supported = req.tokens('supported');
    const require: string[] = [];

    if (contacts.length > 0) {
      if (contacts.includes('*')) {
        // §10.3 step 6: "*" only alone and with Expires: 0
        if (contacts.length !== 1 || headerExpires !== 0) throw new RegistrarError('bad-wildcard');
        for (const b of this.location.lookup(aor)) {
          if (b.callId === callId && cseq <= b.cseq) throw new RegistrarError('out-of-order');
        }
        await this.location.removeAll(aor);
        changed = true;
      } else {
        const path = supported.includes('path') ? req.getAll('path') : [];
        const existing = this.location.lookup(aor);
        for (const c of contacts as NameAddr[]) {
          if (!(c.uri instanceof SipUri) && c.uri.kind !== 'tel') throw new RegistrarError('bad-contact');
          const cExp = c.params.get('expires');
          let expires = cExp != null ? clampInt(cExp) : headerExpires;
          if (expires === undefined || Number.isNaN(expires)) expires = this.opts.defaultExpires;
          if (expires !== 0 && expires < this.opts.minExpires) throw new RegistrarError('interval-too-brief');
          expires = Math.min(expires, this.opts.maxExpires);
          const instanceId = c.params.get('+sip.instance') ?? null;
          const regIdRaw = c.params.get('reg-id');
          const outbound = instanceId !== null && regIdRaw != null && supported.includes('outbound');
          if (outbound) {
            // RFC 5626 §6: we must be the first hop (one Via) or the edge put ";ob" in Path.
            const firstHop = req.vias.length === 1 || path.some((p) => /;\s*ob\b/.test(p));
            if (!firstHop) throw new RegistrarError('first-hop-lacks-outbound');
            if (!require.includes('outbound')) require.push('outbound');
          }
          const identity = {
            contactUri: c.uri.toString(),
            instanceId: instanceId ?? null,
            regId: outbound ? Number(regIdRaw) : null,
          };
          const key = bindingKey(identity);
          const prior = existing.find((b) => b.key === key);
          // step 7: same Call-ID needs a higher CSeq
          if (prior && prior.callId === callId && cseq <= prior.cseq) throw new RegistrarError('out-of-order');
          if (expires === 0) {
            if (prior) await this.location.remove(aor, key);
            changed = true;
            continue;
          }
          if (!prior && existing.length >= (this.opts.maxContacts ?? 20)) throw new RegistrarError('too-many-contacts');
          const q = c.params.get('q');
          let gruuPub: string | null = null;
          let gruuTemp: string | null = null;
          if (instanceId && supported.includes('gruu')) {
            // RFC 5627 §6: the public GRUU is the AOR with gr=<instance URN>
            const urn = instanceId.replace(/^"<|>"$/g, '');
            gruuPub = `sip:${aor};gr=${urn}`;
            gruuTemp = prior?.gruuTemp && prior.callId === callId ? prior.gruuTemp : `sip:tgruu.${randomToken(12)}@${toDomain.domain};gr`;
          }
          await this.location.upsert({
            aor,
            ...identity,
            callId,
            cseq,
            expiresAt: t + expires * 1000,
            path,
            flow: storeFlow(flow),
            gruuPub,
            gruuTemp,
            userAgent: req.get('user-agent') ?? null,
            q: q != null && /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(q) ? Number(q) : null,
            receivedAt: t,
          });
          changed = true;
        }
      }
    }
    // §10.3 step 8: 200 with every current binding
    const headers: Array<[string, string | number]> = [];
    for (const b of this.location.lookup(aor)) headers.push(['Contact', contactLine(b, t)]);
    if (require.length > 0) headers.push(['Require', require.join(', ')]);
    if (supported.includes('path')) for (const p of req.getAll('path')) headers.push(['Path', p]);
    headers.push(['Date', httpDate(t)]);
    headers.push(['Supported', 'path, gruu, outbound']);
    return { response: createResponse(req, 200, { toTag: newTag(), headers }), aor, changed };
  }
}

/** The Date header value (RFC 3261 §20.17), made once per second. */
let dateSecond = -1;
let dateText = '';
function httpDate(t: number): string {
  const sec = Math.floor(t / 1000);
  if (sec !== dateSecond) {
    dateSecond = sec;
    dateText = new Date(sec * 1000).toUTCString();
  }
  return dateText;
}

function contactLine(b: Binding, now: number): string {
  let s = `<${b.contactUri}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`;
  if (b.instanceId) s += `;+sip.instance=${b.instanceId}`;
  if (b.regId !== null) s += `;reg-id=${b.regId}`;
  if (b.gruuPub) s += `;pub-gruu="${b.gruuPub}"`;
  if (b.gruuTemp) s += `;temp-gruu="${b.gruuTemp}"`;
  return s;
}

/** Delta-seconds, clamped to 2^31-1 (RFC 3261 §25.1 allows larger; RFC 4475 "scalar02"). */
function clampInt(v: string | null | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (!/^[0-9]+$/.test(v.trim())) return NaN;
  return v.trim().length > 10 ? 0x7fffffff : Math.min(Number(v.trim()), 0x7fffffff);
}
