import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../store/index.js';

/** A throwaway SQLite store in a temp folder; `cleanup()` closes and removes it. */
export async function tempStore(now?: () => number): Promise<{ store: Store; dir: string; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-test-'));
  const store = await openStore({ driver: 'sqlite', file: join(dir, 'parley.db'), now });
  return {
    store,
    dir,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
