/**
 * The conformance suite on SQLite (a temporary file per database), and what
 * only the SQLite driver promises: its pragmas.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openStore } from './open-store.js';
import { knownMigrations } from './migrate.js';
import { StoreError } from './errors.js';
import { storeConformance } from './store.conformance.js';

const root = mkdtempSync(join(tmpdir(), 'parley-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;

storeConformance({
  driver: 'sqlite',
  fresh: async () => {
    const file = join(root, `db${++files}`, 'parley.db');
    return { open: (options) => openStore({ driver: 'sqlite', file, ...options }) };
  },
});

describe('sqlite driver', () => {
  it('sets WAL, synchronous=NORMAL, foreign keys and a busy timeout', async () => {
    const store = await openStore({ driver: 'sqlite', file: join(root, 'pragmas.db'), busyTimeoutMs: 1234 });
    try {
      const pragma = async (name: string) => {
        const { rows } = await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(store.db);
        return Object.values(rows[0])[0];
      };
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('synchronous'), 1);
      assert.equal(await pragma('foreign_keys'), 1);
      assert.equal(await pragma('busy_timeout'), 1234);
    } finally {
      await store.close();
    }
  });

  it('a file that cannot be opened is unavailable', async () => {
    // The parent "folder" is a regular file.
    const notAFolder = join(root, 'not-a-folder');
    writeFileSync(notAFolder, '');
    await assert.rejects(
      openStore({ driver: 'sqlite', file: join(notAFolder, 'parley.db') }),
      (err) => StoreError.is(err, 'unavailable'),
    );
  });

  it(':memory: works for throwaway use', async () => {
    const store = await openStore({ driver: 'sqlite', file: ':memory:' });
    await store.domains.add('example.com');
    assert.equal((await store.domains.list()).length, 1);
    await store.close();
  });

  it('processes sharing one file (server and CLI) migrate once and lose nothing', async () => {
    const file = join(root, 'shared', 'parley.db');
    const index = new URL('./index.js', import.meta.url).href;
    // Each writer migrates the fresh file, then interleaves imports and default switches.
    const script = `
      const { openStore, StoreError } = await import(${JSON.stringify(index)});
      const tag = process.argv[1];
      const store = await openStore({ driver: 'sqlite', file: ${JSON.stringify(file)} });
      await store.domains.add('example.com').catch((e) => { if (!StoreError.is(e, 'conflict')) throw e; });
      for (let i = 0; i < 10; i++) {
        const rows = Array.from({ length: 25 }, (_, j) => ({ address: tag + '-' + i + '-' + j + '@example.com' }));
        const result = await store.users.createMany(rows);
        if (!result.committed) throw new Error(JSON.stringify(result.errors));
        await store.domains.add(tag + i + '.example', { isDefault: true });
      }
      await store.close();`;
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--test'));
    const writer = (tag: string) =>
      new Promise<void>((resolve, reject) => {
        execFile(process.execPath, [...execArgv, '--input-type=module', '-e', script, tag], { timeout: 60_000 }, (err, _out, stderr) =>
          err ? reject(new Error(`writer ${tag}: ${stderr || err.message}`)) : resolve(),
        );
      });
    await Promise.all(['p', 'q', 'r'].map(writer));
    const store = await openStore({ driver: 'sqlite', file });
    try {
      assert.equal(await store.users.count(), 3 * 10 * 25);
      assert.equal((await store.domains.list()).filter((d) => d.isDefault).length, 1);
      assert.equal((await store.migrationStatus()).length, knownMigrations().length);
    } finally {
      await store.close();
    }
  });
});
