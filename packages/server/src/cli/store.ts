import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openStore, type Store } from '../store/index.js';

/** The Standard Edition store: `DATA/parley.db` (SQLite, WAL). */
export function storeFile(dataDir: string): string {
  return join(resolve(dataDir), 'parley.db');
}

export async function openDataStore(dataDir: string): Promise<Store> {
  mkdirSync(resolve(dataDir), { recursive: true });
  return openStore({ driver: 'sqlite', file: storeFile(dataDir) });
}
