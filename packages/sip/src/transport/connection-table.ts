/**
 * The connection table: connections by flow id and by remote key
 * (`protocol|host|port`, RFC 5923 reuse), and the inbound admission counts
 * (per source IP and in total) that bound how many sockets peers can hold.
 */
import type { Connection } from './connection.js';
import { normalizeHost } from './addresses.js';

export interface AdmissionLimits {
  readonly maxConnectionsPerIp: number;
  readonly maxConnections: number;
}

export class ConnectionTable {
  private readonly byId = new Map<string, Connection>();
  private readonly byKey = new Map<string, Connection>();
  private readonly perIp = new Map<string, number>();
  private inbound = 0;
  private readonly limits: AdmissionLimits;

  constructor(limits: AdmissionLimits) {
    this.limits = limits;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Inbound sockets admitted and not yet closed (including those still in a handshake). */
  get inboundCount(): number {
    return this.inbound;
  }

  add(connection: Connection): void {
    this.byId.set(connection.id, connection);
    for (const key of connection.keys) this.byKey.set(key, connection);
  }

  /** Adds a key (RFC 5923 alias); the newest connection for a key wins. */
  addKey(connection: Connection, key: string): void {
    connection.keys.add(key);
    if (this.byId.get(connection.id) === connection) this.byKey.set(key, connection);
  }

  remove(connection: Connection): void {
    if (this.byId.get(connection.id) === connection) this.byId.delete(connection.id);
    for (const key of connection.keys) {
      if (this.byKey.get(key) === connection) this.byKey.delete(key);
    }
  }

  get(id: string): Connection | undefined {
    return this.byId.get(id);
  }

  find(key: string): Connection | undefined {
    return this.byKey.get(key);
  }

  all(): Connection[] {
    return [...this.byId.values()];
  }

  /**
   * Admits one inbound socket from `ip` if both limits allow, counting it until
   * `release` is called (when the socket closes). Returns false to refuse.
   */
  admit(ip: string): boolean {
    const key = normalizeHost(ip);
    const n = this.perIp.get(key) ?? 0;
    if (n >= this.limits.maxConnectionsPerIp || this.inbound >= this.limits.maxConnections) return false;
    this.perIp.set(key, n + 1);
    this.inbound++;
    return true;
  }

  release(ip: string): void {
    const key = normalizeHost(ip);
    const n = this.perIp.get(key) ?? 0;
    if (n <= 1) this.perIp.delete(key);
    else this.perIp.set(key, n - 1);
    if (n > 0) this.inbound--;
  }
}
