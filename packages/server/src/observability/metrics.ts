/**
 * The server's Prometheus metrics, behind typed methods so services never
 * touch prom-client. Each {@link Metrics} has its own `Registry` (never the
 * global one), so several servers or tests in one process do not collide.
 *
 * | metric                                  | type    | labels              |
 * | --------------------------------------- | ------- | ------------------- |
 * | parley_sip_messages_received_total      | counter | protocol, kind      |
 * | parley_sip_messages_sent_total          | counter | protocol, kind      |
 * | parley_sip_requests_received_total      | counter | method              |
 * | parley_sip_responses_sent_total         | counter | code                |
 * | parley_sip_transactions_active          | gauge   |                     |
 * | parley_sip_parse_errors_total           | counter | code                |
 * | parley_registrations_active             | gauge   |                     |
 * | parley_registrar_requests_total         | counter | result              |
 * | parley_auth_failures_total              | counter | reason              |
 * | parley_auth_throttled_total             | counter | scope               |
 * | parley_rate_limited_total               | counter | scope               |
 * | parley_transport_connections            | gauge   | protocol            |
 * | parley_store_errors_total               | counter |                     |
 * | parley_http_requests_total              | counter | method, route, code |
 *
 * plus prom-client's default process and Node.js metrics (`process_*`,
 * `nodejs_*`). Label values are bounded: unknown methods count as `OTHER`,
 * free-form values are cut to 64 characters, so a hostile peer cannot blow
 * up the number of series.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** SIP transports (RFC 3261 §18, RFC 7118). */
export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';
/** Whether a SIP message is a request or a response. */
export type MessageKind = 'request' | 'response';
/** What a rate limit or throttle was keyed on. */
export type LimitScope = 'source' | 'user' | 'connection' | (string & {});

/** Every transport, so the connection gauge shows zeros from the start. */
export const TRANSPORT_PROTOCOLS: readonly TransportProtocol[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

/** Methods counted under their own name; others count as `OTHER`. */
export const KNOWN_SIP_METHODS: ReadonlySet<string> = new Set([
  'ACK', 'BYE', 'CANCEL', 'INFO', 'INVITE', 'MESSAGE', 'NOTIFY', 'OPTIONS',
  'PRACK', 'PUBLISH', 'REFER', 'REGISTER', 'SUBSCRIBE', 'UPDATE', 'SERVICE', 'BENOTIFY',
]);

/** Options of {@link Metrics}. */
export interface MetricsOptions {
  /** Collect prom-client's process and Node.js metrics. Default true. */
  readonly defaultMetrics?: boolean;
  /** Labels added to every series, e.g. `{ pool: 'pool1', frontEnd: 'fe01' }`. */
  readonly labels?: Readonly<Record<string, string>>;
}

const MAX_LABEL = 64;

function bounded(value: string): string {
  return value.length > MAX_LABEL ? value.slice(0, MAX_LABEL) : value;
}

/**
 * A counter bumped per SIP message: plain numbers on the hot path (prom-client
 * hashes the label object on every `inc`, a few percent of a busy server),
 * handed to prom-client when the registry is read. Keys are the label values
 * joined; they are as bounded as the series.
 */
class HotCounter<L extends string> {
  readonly #counts = new Map<string, { labels: Partial<Record<L, string>>; n: number; told: number }>();

  constructor(name: string, help: string, labelNames: readonly L[], registers: Registry[]) {
    const counts = this.#counts;
    new Counter<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        for (const e of counts.values()) {
          if (e.n > e.told) {
            this.inc(e.labels, e.n - e.told);
            e.told = e.n;
          }
        }
      },
    });
  }

  /** One more for the series `key` (the label values joined), whose labels `labels()` makes the first time. */
  inc(key: string, labels: () => Partial<Record<L, string>>): void {
    const e = this.#counts.get(key);
    if (e !== undefined) e.n++;
    else this.#counts.set(key, { labels: labels(), n: 1, told: 0 });
  }
}

/** The metrics of one server instance. */
export class Metrics {
  /** The registry holding every metric of this instance. */
  readonly registry: Registry;

  readonly #received: HotCounter<'protocol' | 'kind'>;
  readonly #sent: HotCounter<'protocol' | 'kind'>;
  readonly #requests: HotCounter<'method'>;
  readonly #responses: HotCounter<'code'>;
  readonly #transactions: Gauge;
  readonly #parseErrors: Counter<'code'>;
  readonly #registrations: Gauge;
  readonly #registrar: Counter<'result'>;
  readonly #authFailures: Counter<'reason'>;
  readonly #authThrottled: Counter<'scope'>;
  readonly #rateLimited: Counter<'scope'>;
  readonly #connections: Gauge<'protocol'>;
  readonly #storeErrors: Counter;
  readonly #http: Counter<'method' | 'route' | 'code'>;

  constructor(options: MetricsOptions = {}) {
    const registry = new Registry();
    if (options.labels) registry.setDefaultLabels({ ...options.labels });
    this.registry = registry;
    const registers = [registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> =>
      new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> =>
      new Gauge<L>({ name, help, labelNames, registers });

    this.#received = new HotCounter('parley_sip_messages_received_total', 'SIP messages received', ['protocol', 'kind'], registers);
    this.#sent = new HotCounter('parley_sip_messages_sent_total', 'SIP messages sent', ['protocol', 'kind'], registers);
    this.#requests = new HotCounter('parley_sip_requests_received_total', 'SIP requests received by method', ['method'], registers);
    this.#responses = new HotCounter('parley_sip_responses_sent_total', 'SIP responses sent by status code', ['code'], registers);
    this.#transactions = gauge('parley_sip_transactions_active', 'SIP transactions not yet terminated');
    this.#parseErrors = counter('parley_sip_parse_errors_total', 'SIP messages that could not be parsed', ['code']);
    this.#registrations = gauge('parley_registrations_active', 'Registered contact bindings');
    this.#registrar = counter('parley_registrar_requests_total', 'REGISTER requests by outcome', ['result']);
    this.#authFailures = counter('parley_auth_failures_total', 'Failed digest authentications', ['reason']);
    this.#authThrottled = counter('parley_auth_throttled_total', 'Requests refused by the login throttle', ['scope']);
    this.#rateLimited = counter('parley_rate_limited_total', 'Requests refused by a rate limit', ['scope']);
    this.#connections = gauge('parley_transport_connections', 'Open SIP connections by transport', ['protocol']);
    this.#storeErrors = counter('parley_store_errors_total', 'Store operations that failed');
    this.#http = counter('parley_http_requests_total', 'HTTP requests answered', ['method', 'route', 'code']);

    for (const protocol of TRANSPORT_PROTOCOLS) this.#connections.set({ protocol }, 0);
    this.#transactions.set(0);
    this.#registrations.set(0);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  }

  /** A SIP message arrived on `protocol`. */
  messageReceived(protocol: TransportProtocol, kind: MessageKind): void {
    this.#received.inc(`${protocol} ${kind}`, () => ({ protocol, kind }));
  }

  /** A SIP message left on `protocol`. */
  messageSent(protocol: TransportProtocol, kind: MessageKind): void {
    this.#sent.inc(`${protocol} ${kind}`, () => ({ protocol, kind }));
  }

  /** A request with `method` arrived (unknown methods count as `OTHER`). */
  requestReceived(method: string): void {
    const upper = method.toUpperCase();
    const m = KNOWN_SIP_METHODS.has(upper) ? upper : 'OTHER';
    this.#requests.inc(m, () => ({ method: m }));
  }

  /** A response with status `code` was sent (codes outside 100–699 count as `invalid`). */
  responseSent(code: number): void {
    const c = Number.isInteger(code) && code >= 100 && code <= 699 ? String(code) : 'invalid';
    this.#responses.inc(c, () => ({ code: c }));
  }

  /** The number of live SIP transactions. */
  setTransactionsActive(count: number): void {
    this.#transactions.set(count);
  }

  /** A message could not be parsed; `code` is the parser's error code. */
  parseError(code: string): void {
    this.#parseErrors.inc({ code: bounded(code) });
  }

  /** The number of registered bindings. */
  setRegistrationsActive(count: number): void {
    this.#registrations.set(count);
  }

  /** A REGISTER ended with `result` (e.g. `registered`, `refreshed`, `removed`, `fetched`, `rejected`). */
  registrarRequest(result: string): void {
    this.#registrar.inc({ result: bounded(result) });
  }

  /** A digest authentication failed for `reason` (e.g. `bad-password`, `unknown-user`, `stale`). */
  authFailure(reason: string): void {
    this.#authFailures.inc({ reason: bounded(reason) });
  }

  /** A request was refused because its source or user is throttled after failed logins. */
  authThrottled(scope: LimitScope): void {
    this.#authThrottled.inc({ scope: bounded(scope) });
  }

  /** A request was refused by a rate limit keyed on `scope`. */
  rateLimited(scope: LimitScope): void {
    this.#rateLimited.inc({ scope: bounded(scope) });
  }

  /** A connection on `protocol` opened. */
  connectionOpened(protocol: TransportProtocol): void {
    this.#connections.inc({ protocol });
  }

  /** A connection on `protocol` closed. */
  connectionClosed(protocol: TransportProtocol): void {
    this.#connections.dec({ protocol });
  }

  /** A store operation failed. */
  storeError(): void {
    this.#storeErrors.inc();
  }

  /** An HTTP request was answered; `route` is the route pattern (not the raw URL) or `unmatched`. */
  httpRequest(method: string, route: string, code: number): void {
    this.#http.inc({ method: bounded(method), route: bounded(route), code: String(code) });
  }

  /** The Content-Type of {@link render}'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
