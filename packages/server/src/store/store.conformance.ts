/**
 * The store's conformance suite: one set of tests that every driver must
 * pass (after Hono's `common.case.test.ts`). A driver's test file calls
 * {@link storeConformance} with a harness that makes empty databases; see
 * `sqlite.test.ts` and `postgres.test.ts`.
 *
 * The cases live in `conformance/*.case.ts`, one file per repository.
 */
import { describe } from 'node:test';
import type { CommonStoreOptions, Store, StoreDriver } from './open-store.js';
import { domainCases } from './conformance/domains.case.js';
import { migrationCases } from './conformance/migrations.case.js';
import { registrationCases } from './conformance/registrations.case.js';
import { userCases } from './conformance/users.case.js';
import { importCases } from './conformance/import.case.js';
import { concurrencyCases } from './conformance/concurrency.case.js';
import { configCases } from './conformance/config.case.js';

/** One empty database; each {@link open} gives a new store (connection) on it. */
export interface StoreTarget {
  open(options?: CommonStoreOptions): Promise<Store>;
}

/** What a driver's test file provides. */
export interface StoreHarness {
  readonly driver: StoreDriver;
  /** A new, empty database, unmigrated. */
  fresh(): Promise<StoreTarget>;
}

/** Registers the whole suite for one driver. */
export function storeConformance(harness: StoreHarness): void {
  describe(`store conformance: ${harness.driver}`, () => {
    migrationCases(harness);
    domainCases(harness);
    userCases(harness);
    importCases(harness);
    registrationCases(harness);
    configCases(harness);
    concurrencyCases(harness);
  });
}
