/**
 * The store: durable state of the front end (DESIGN §4) on SQLite (Standard
 * Edition, embedded) or PostgreSQL (a pool). Services see repositories, never
 * a driver; only the composition root calls {@link openStore}.
 *
 * Errors: every failure a caller can handle is a {@link StoreError} with a
 * code from {@link STORE_ERROR_CODES}.
 */
export { openStore } from './open-store.js';
export type { Store, StoreOptions, StoreDriver, CommonStoreOptions } from './open-store.js';
export type { SqliteStoreOptions } from './sqlite-driver.js';
export type { PostgresStoreOptions } from './postgres-driver.js';
export { StoreError, STORE_ERROR_CODES, toStoreError, guardStore, dbNumber } from './errors.js';
export type { StoreErrorCode } from './errors.js';
export { knownMigrations } from './migrate.js';
export type { MigrationReport, MigrationState } from './migrate.js';
export type { Clock } from './columns.js';
export { normalizeAddress, normalizeDomain, splitAddress } from './address.js';
export { DomainRepo } from './domain-repo.js';
export type { Domain, DomainRemoval } from './domain-repo.js';
export { UserRepo, MAX_PAGE } from './user-repo.js';
export type { UserFilter, UserPage } from './user-repo.js';
export { USER_ROLES } from './user-record.js';
export type { User, NewUser, UserPatch, UserRole, UserCredentials } from './user-record.js';
export type { ImportResult, ImportRowError, ImportOptions } from './user-import.js';
export { RegistrationRepo } from './registration-repo.js';
export type { GroupWriter } from './group-commit.js';
export { bindingKey, FLOW_PROTOCOLS } from './registration-record.js';
export type { Registration, BindingInput, BindingIdentity, Flow, FlowProtocol } from './registration-record.js';
export { ConfigRepo } from './config-repo.js';
export type { ConfigEntry, JsonValue } from './config-repo.js';
export type { Database } from './schema.js';
