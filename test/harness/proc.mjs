// Child-process and temp-dir helpers shared by the harness modules.
//
// Every child is ended by its own PID (never by name). Children still alive
// when the Node process exits are sent SIGKILL from an 'exit' hook, so a
// crashed test does not leave peers behind.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, delimiter } from 'node:path';
import { existsSync } from 'node:fs';

const live = new Set();
let hooked = false;

function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

/** Absolute path of an executable found on PATH (plus the sbin dirs), or null. */
export function which(name) {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/local/sbin']);
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Make a temp dir under the OS temp dir; remove it with removeDir(). */
export function makeTempDir(prefix = 'parley-harness-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir) {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/**
 * Spawn a child that is tracked for cleanup. stdout/stderr are collected
 * (capped) into `proc.output()`, and optionally forwarded to onLine.
 * @returns {{child: import('node:child_process').ChildProcess, pid: number,
 *   exited: Promise<{code: number|null, signal: string|null}>, output: () => string,
 *   stop: (opts?: {graceMs?: number}) => Promise<{code: number|null, signal: string|null}>}}
 */
export function startProcess(cmd, args, { cwd, env, onLine, maxOutput = 4 * 1024 * 1024, stdin = 'ignore' } = {}) {
  hookExit();
  const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: [stdin, 'pipe', 'pipe'] });
  live.add(child);
  let buf = '';
  let partial = '';
  const take = (chunk) => {
    const s = chunk.toString();
    if (buf.length < maxOutput) buf += s;
    if (onLine) {
      partial += s;
      const lines = partial.split('\n');
      partial = lines.pop();
      for (const l of lines) onLine(l);
    }
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const exited = new Promise((resolve) => {
    child.once('error', (err) => {
      live.delete(child);
      buf += `\n[spawn error] ${err.message}\n`;
      resolve({ code: -1, signal: null, error: err });
    });
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  let exitInfo = null;
  exited.then((e) => (exitInfo = e));
  const stop = async ({ graceMs = 3000, signal = 'SIGTERM' } = {}) => {
    if (exitInfo || child.exitCode !== null || child.signalCode !== null) return exited;
    try {
      process.kill(child.pid, signal);
    } catch {
      /* gone */
    }
    const t = await Promise.race([exited, sleep(graceMs).then(() => null)]);
    if (t) return t;
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    return Promise.race([exited, sleep(2000).then(() => ({ code: null, signal: 'SIGKILL' }))]);
  };
  return { child, pid: child.pid, exited, output: () => buf, stop, isRunning: () => !exitInfo };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `fn` (may be async) until it returns a truthy value or the deadline
 * passes. Errors thrown by fn are retried, unless they carry `fatal: true`.
 */
export async function waitFor(fn, { timeoutMs = 10000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      if (err?.fatal) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** Version line of a binary, or null if it cannot be run. */
export function versionOf(cmd, args = ['-v']) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] })
      .split('\n')
      .find((l) => l.trim()) ?? '';
  } catch (err) {
    return (err.stdout ?? '').toString().split('\n').find((l) => l.trim()) ?? null;
  }
}

/**
 * For node:test `skip`: a clear reason when a binary is missing, else false.
 * When the env var CI is set it always returns false, so the test runs and
 * fails on the missing binary instead of being skipped.
 * Usage: `test('x', { skip: skipUnlessBinaries('sipp', 'kamailio') }, ...)`
 * @returns {string|false}
 */
export function skipUnlessBinaries(...names) {
  const missing = names.filter((n) => !which(n));
  if (missing.length === 0 || process.env.CI) return false;
  return `missing ${missing.join(', ')} (Debian packages sip-tester, baresip, kamailio); set CI=1 to make this a failure`;
}

/** An Error that makes waitFor() stop polling at once. */
export function fatalError(message) {
  return Object.assign(new Error(message), { fatal: true });
}
