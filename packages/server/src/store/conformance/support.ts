/**
 * Shared fixtures of the conformance cases.
 */
import assert from 'node:assert/strict';
import type { CommonStoreOptions, Store } from '../open-store.js';
import { StoreError, type StoreErrorCode } from '../errors.js';
import type { StoreHarness, StoreTarget } from '../store.conformance.js';

/** A clock the test moves by hand. */
export interface ManualClock {
  (): number;
  set(ms: number): void;
  advance(ms: number): void;
}

/** A clock at `start` (default 2030-01-01) that moves only when told. */
export function manualClock(start = Date.UTC(2030, 0, 1)): ManualClock {
  let t = start;
  const clock = (() => t) as ManualClock;
  clock.set = (ms) => {
    t = ms;
  };
  clock.advance = (ms) => {
    t += ms;
  };
  return clock;
}

/** Opens a store on a fresh database, runs `fn`, closes the store. */
export async function withStore(
  harness: StoreHarness,
  fn: (store: Store, target: StoreTarget) => Promise<void>,
  options?: CommonStoreOptions,
): Promise<void> {
  const target = await harness.fresh();
  const store = await target.open(options);
  try {
    await fn(store, target);
  } finally {
    await store.close();
  }
}

/** Asserts that `promise` rejects with a StoreError of `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected StoreError ${code}, but it resolved`);
  assert.ok(StoreError.is(caught), `expected StoreError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  return caught;
}

/** Hex strings of the digest lengths. */
export const HA1 = {
  md5: '0123456789abcdef0123456789abcdef',
  sha256: '0123456789abcdef'.repeat(4),
  sha512_256: 'fedcba9876543210'.repeat(4),
};
