/**
 * SRV target ordering, RFC 2782 "Usage rules", as RFC 3263 §4.3 requires.
 */
import type { SrvRecord } from './types.js';

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/**
 * True when the records say the service is "decidedly not available" at the
 * domain: a single record whose target is the root, `.` (RFC 2782).
 */
export function isServiceRefused(records: readonly SrvRecord[]): boolean {
  return records.length === 1 && isRoot(records[0].name);
}

function isRoot(name: string): boolean {
  return name === '' || name === '.';
}

/**
 * Orders SRV records for trying: by priority ascending; within one priority,
 * by repeated weighted random selection (RFC 2782): pick an integer in
 * [1, sum of weights], take the first record whose running sum reaches it,
 * remove it and repeat. RFC 2782 picks in [0, sum] with weight-0 records
 * first, which gives the first record one unit too many (1:3 weights come out
 * 40:60, not 25:75); picking from 1 keeps the draw proportional, and weight-0
 * records, which RFC 2782 gives "a very small chance", follow the weighted
 * ones in random order. Root targets are dropped.
 */
export function orderSrvRecords(records: readonly SrvRecord[], random: RandomSource = Math.random): SrvRecord[] {
  const byPriority = new Map<number, SrvRecord[]>();
  for (const record of records) {
    if (isRoot(record.name)) continue;
    const group = byPriority.get(record.priority);
    if (group === undefined) byPriority.set(record.priority, [record]);
    else group.push(record);
  }
  const ordered: SrvRecord[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const group = byPriority.get(priority) as SrvRecord[];
    const remaining = [...group];
    while (remaining.length > 0) {
      const sum = remaining.reduce((total, r) => total + r.weight, 0);
      let index: number;
      if (sum === 0) {
        index = Math.min(remaining.length - 1, Math.floor(random() * remaining.length));
      } else {
        const pick = 1 + Math.min(sum - 1, Math.floor(random() * sum));
        let running = 0;
        index = remaining.findIndex((r) => (running += r.weight) >= pick);
      }
      ordered.push(remaining[index]);
      remaining.splice(index, 1);
    }
  }
  return ordered;
}
