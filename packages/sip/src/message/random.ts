/**
 * Random bytes for identifiers (tags, branches, Call-IDs, nonces) from a
 * pool refilled by one `randomFillSync` of 4 KiB, instead of a call into the
 * CSPRNG per identifier (a few percent of a busy server's time). Every byte
 * of the pool is handed out once; the bytes are the CSPRNG's, as before.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

function take(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new RangeError('random pool: 0..256 bytes at a time');
  if (offset + n > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += n;
  return at;
}

/** `n` fresh random bytes as text in `encoding` (e.g. 'base64url', 'hex'). */
export function randomText(n: number, encoding: 'base64url' | 'hex' | 'base64'): string {
  const at = take(n);
  return pool.toString(encoding, at, at + n);
}

/** Writes `n` fresh random bytes into `target` at `targetStart`. */
export function randomInto(target: Buffer, targetStart: number, n: number): void {
  const at = take(n);
  pool.copy(target, targetStart, at, at + n);
}
