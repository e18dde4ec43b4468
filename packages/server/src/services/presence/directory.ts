/**
 * Directory search, the original's address book web search: enabled users
 * found by a prefix of their display name (of any word of it), by a prefix
 * of their SIP address (`sip:` optional), or by a phone number (digits,
 * ignoring spaces, dashes, dots and parentheses; any part of the number).
 * Portable SQL (lower(), replace(), LIKE … ESCAPE) on the users table.
 */
import { sql, type SqlBool } from 'kysely';
import type { Store } from '../../store/index.js';

export interface DirectoryEntry {
  readonly address: string;
  readonly displayName: string | null;
  readonly phone: string | null;
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Matching users, by address; at most `limit`. An empty query finds nobody. */
export async function searchDirectory(store: Pick<Store, 'db'>, query: string, limit = 20): Promise<DirectoryEntry[]> {
  const q = query.trim().toLowerCase().replace(/^sips?:/, '');
  if (q.length === 0) return [];
  const p = escapeLike(q);
  const digits = /^[+\d][\d\s().-]*$/.test(q) ? q.replace(/\D/g, '') : '';
  const rows = await store.db
    .selectFrom('users')
    .select(['address', 'display_name', 'phone'])
    .where('enabled', '=', 1)
    .where((eb) => {
      const parts = [
        sql<SqlBool>`lower(${sql.ref('address')}) like ${`${p}%`} escape '\\'`,
        sql<SqlBool>`lower(${sql.ref('display_name')}) like ${`${p}%`} escape '\\'`,
        sql<SqlBool>`lower(${sql.ref('display_name')}) like ${`% ${p}%`} escape '\\'`,
      ];
      if (digits.length >= 3) {
        const bare = sql`replace(replace(replace(replace(replace(${sql.ref('phone')}, ' ', ''), '-', ''), '.', ''), '(', ''), ')', '')`;
        parts.push(sql<SqlBool>`${bare} like ${`%${digits}%`}`);
      }
      return eb.or(parts);
    })
    .orderBy('display_name')
    .orderBy('address')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ address: r.address, displayName: r.display_name, phone: r.phone }));
}

/** Display names of those of `addresses` that are users. */
export async function displayNames(store: Pick<Store, 'db'>, addresses: readonly string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (let i = 0; i < addresses.length; i += 500) {
    const chunk = addresses.slice(i, i + 500);
    if (chunk.length === 0) break;
    const rows = await store.db.selectFrom('users').select(['address', 'display_name']).where('address', 'in', chunk).execute();
    for (const r of rows) out.set(r.address, r.display_name);
  }
  return out;
}
