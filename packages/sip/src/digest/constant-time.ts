import { timingSafeEqual } from 'node:crypto';

/**
 * Compares two strings in time that depends only on the length of `expected`.
 *
 * `crypto.timingSafeEqual` needs equal lengths; when the lengths differ, the
 * expected value is compared with itself so that the work (and time) is the
 * same as for an equal-length mismatch. Only the length of `expected`, which
 * is public (it follows from the algorithm), can show in the timing.
 */
export function constantTimeEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
