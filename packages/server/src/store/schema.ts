/**
 * Kysely row types of the store: what the tables hold after the latest
 * migration. Migrations (`./migrations/`) create and change the tables; this
 * file must follow them.
 *
 * Portability rules, so one set of queries serves SQLite and PostgreSQL:
 * - Times are integers of milliseconds since the epoch (`bigint` columns;
 *   the PostgreSQL driver parses int8 to a JS number).
 * - Flags are `boolean` columns, written as 0/1 (SQLite has no boolean; the
 *   PostgreSQL boolean input accepts '1' and '0') and read back as either a
 *   number (SQLite) or a boolean (PostgreSQL): repositories convert.
 * - Structured values (paths, flows, config) are JSON in `text` columns.
 * - Ids are text UUIDs made by the application, so that front ends of a pool
 *   never depend on a database sequence.
 */
import type { ColumnType } from 'kysely';

/** A flag as stored: written 0/1, read as 0/1 (SQLite) or false/true (PostgreSQL). */
export type Flag = ColumnType<number | boolean, number, number>;

/** SIP domains this deployment is authoritative for. */
export interface DomainsTable {
  /** Lowercase host name, the primary key. */
  name: string;
  /** At most one row has it (partial unique index). */
  is_default: Flag;
  created_at: number;
}

/** Users, one per SIP address of record. Never a clear password. */
export interface UsersTable {
  id: string;
  /** 'user@domain', lowercase; unique. */
  address: string;
  /** References domains.name. */
  domain: string;
  display_name: string | null;
  enabled: Flag;
  /** 'user' | 'admin', checked by the schema. */
  role: string;
  /** Digest HA1 = H(username ":" realm ":" password), hex; realm = the domain (RFC 7616 §3.4.2, RFC 8760). */
  ha1_md5: string | null;
  ha1_sha256: string | null;
  ha1_sha512_256: string | null;
  /** scrypt hash string for HTTP sign-in. */
  password_hash: string | null;
  phone: string | null;
  created_at: number;
  updated_at: number;
}

/**
 * The registrar's durable shadow of its bindings (RFC 3261 §10, RFC 5626,
 * RFC 5627), so that registrations survive a restart.
 */
export interface RegistrationsTable {
  id: string;
  aor: string;
  /**
   * What identifies the binding within its AOR: the instance id and reg-id
   * (RFC 5626 §6), the instance id alone (RFC 5627), or the contact URI
   * (RFC 3261 §10.3). Unique with `aor`.
   */
  binding_key: string;
  contact_uri: string;
  instance_id: string | null;
  reg_id: number | null;
  call_id: string;
  cseq: number;
  expires_at: number;
  /** JSON array of Path header URIs (RFC 3327). */
  path: string;
  /** JSON of the transport flow that reaches the device, or null. */
  flow: string | null;
  gruu_pub: string | null;
  gruu_temp: string | null;
  user_agent: string | null;
  q: number | null;
  received_at: number;
}

/** Central configuration: one JSON value per key. */
export interface ConfigTable {
  key: string;
  value: string;
  updated_at: number;
}

/**
 * Topology, as the original's Topology Builder publishes it: sites, pools,
 * front ends, gateways, edges. Minimal now; `data` holds the kind's settings.
 */
export interface TopologyTable {
  id: string;
  kind: string;
  name: string;
  parent_id: string | null;
  data: string;
  created_at: number;
  updated_at: number;
}

/** The whole database as Kysely sees it. */
export interface Database {
  domains: DomainsTable;
  users: UsersTable;
  registrations: RegistrationsTable;
  config: ConfigTable;
  topology: TopologyTable;
}
