/**
 * Bytes a transaction keeps through a long final state (Timer J: 32 s), held
 * as a one-byte string: latin1, one character per byte, so any bytes (UTF-8
 * text or a binary body) come back exactly.
 *
 * Why not a Buffer: `Buffer.from(string)` and `Buffer.allocUnsafe(n)` under
 * 4 KB (how a serialized message is made, `SipMessage.toBuffer`) return a
 * slice of one of Node's shared 8 KB pool slabs, and a slice keeps its whole
 * slab alive: a 600-byte response kept for 32 s pinned 8 KB, with whatever
 * else was cut from the same slab. An exact-size Buffer of its own
 * (`Buffer.allocUnsafeSlow`) still costs a JS Buffer, a JS ArrayBuffer, a
 * backing store and a malloc'd block (about 300 bytes of bookkeeping, and
 * malloc fragmentation once thousands of them are freed); a V8 one-byte
 * string is one heap object with a 16-byte header, holds no pointers for the
 * GC to trace, and its memory goes back with the heap's pages.
 */

/** Where two messages are put side by side before one string is made of both. */
let scratch: Buffer | undefined;
/** Larger pairs get a buffer of their own rather than a scratch that stays that large. */
const SCRATCH_MAX = 64 * 1024;

/**
 * `a`, then `b` if given, as one flat latin1 string. Two messages are
 * copied into a scratch buffer first, so that the only allocation is the
 * string kept (not a string per part and a third joining them).
 */
export function keepBytes(a: Buffer, b?: Buffer): string {
  if (b === undefined) return a.toString('latin1');
  const n = a.length + b.length;
  let buf: Buffer;
  if (n > SCRATCH_MAX) buf = Buffer.allocUnsafeSlow(n);
  else if (scratch !== undefined && scratch.length >= n) buf = scratch;
  else buf = scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX, Math.max(n, 2 * (scratch?.length ?? 4096))));
  a.copy(buf, 0);
  b.copy(buf, a.length);
  return buf.toString('latin1', 0, n);
}

/**
 * Bytes `start`..`end` of kept bytes, in a Buffer of their own exact size
 * (never a pool slice: a message parsed from it may be kept in turn).
 */
export function keptBuffer(kept: string, start = 0, end = kept.length): Buffer {
  const buf = Buffer.allocUnsafeSlow(end - start);
  buf.write(start === 0 && end === kept.length ? kept : kept.slice(start, end), 0, 'latin1');
  return buf;
}
