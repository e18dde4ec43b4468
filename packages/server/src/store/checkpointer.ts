/**
 * The SQLite WAL checkpointer, run in a worker thread of the server
 * (`sqlite-driver.ts`, option `backgroundCheckpoint`). With the automatic
 * checkpoint, the commit that crosses 1,000 WAL pages copies them into the
 * database file and syncs it, on the event loop: a stall of milliseconds to
 * tens of milliseconds in the middle of SIP traffic, every few hundred
 * commits. Here a second connection runs a PASSIVE checkpoint every
 * `intervalMs` instead: it never blocks the writer, and its copying and
 * syncing happen on another thread (another core).
 *
 * Durability is unchanged: commits still reach the WAL before they are
 * acknowledged; a checkpoint only moves committed pages into the main file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';

export interface CheckpointerData {
  readonly file: string;
  readonly intervalMs: number;
  readonly busyTimeoutMs: number;
}

const { file, intervalMs, busyTimeoutMs } = workerData as CheckpointerData;
const db = new SqliteDatabase(file, { fileMustExist: true });
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
const checkpoint = db.prepare('pragma wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  try {
    checkpoint.run();
  } catch (err) {
    // Busy or failing disk: the next round tries again; the writer is not affected.
    parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
}, intervalMs);
parentPort?.on('message', (m: unknown) => {
  if (m === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort?.close();
  }
});
parentPort?.postMessage('ready');
