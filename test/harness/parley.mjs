/**
 * Start a real Parley server (the built CLI, `parley serve`) on loopback with
 * a temporary data folder and free ports, for interop tests and benchmarks.
 * Users are created through the CLI, as an administrator would.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.mjs';
import { makeTempDir, removeDir, startProcess, waitFor } from './proc.mjs';
import { waitForSip } from './probe.mjs';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PARLEY_CLI = join(REPO, 'packages', 'server', 'dist', 'cli', 'main.js');

/** Run a `parley` command synchronously; returns stdout. Throws with stderr on failure. */
export function parleyCli(dataDir, args, { env } = {}) {
  return execFileSync(process.execPath, [PARLEY_CLI, '--data', dataDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PARLEY_SCRYPT_LOG2N: '10', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
}

/** Create `count` users user0..userN-1@domain with one password, through `parley user import`. */
export function importUsers(dataDir, { count, prefix = 'user', domain = 'example.com', password = 'Test-Password-42', start = 0 }) {
  const rows = ['address,name,password'];
  for (let i = start; i < start + count; i++) rows.push(`${prefix}${i}@${domain},User ${i},${password}`);
  const file = join(dataDir, `import-${prefix}-${start}.csv`);
  writeFileSync(file, rows.join('\n') + '\n');
  return parleyCli(dataDir, ['user', 'import', file]);
}

/**
 * Start `parley serve`. Returns { dataDir, sipPort, sipsPort, httpsPort, proc, cli(args), stop() }.
 * `dataDir` may be given to restart on the same data.
 */
export async function startParley(o = {}) {
  const dataDir = o.dataDir ?? makeTempDir('parley-data-');
  const ownDir = !o.dataDir;
  if (o.domain !== false && !o.dataDir) parleyCli(dataDir, ['domain', 'add', o.domain ?? 'example.com']);
  // A port found free may be taken by another test before the server binds it:
  // when the ports were picked here, try again with new ones (at most 3 times).
  const picked = o.sipPort === undefined && o.sipsPort === undefined && o.httpsPort === undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(o, dataDir, ownDir);
    } catch (e) {
      if (!picked || attempt >= 3 || !/EADDRINUSE/.test(String(e?.message))) {
        if (ownDir) removeDir(dataDir);
        throw e;
      }
    }
  }
}

async function startOnce(o, dataDir, ownDir) {
  const sipPort = o.sipPort ?? (await freePort());
  const sipsPort = o.sipsPort ?? (await freePort());
  const httpsPort = o.httpsPort ?? (await freePort());
  const lines = [];
  const proc = startProcess(
    process.execPath,
    [PARLEY_CLI, '--data', dataDir, 'serve', '--host', '127.0.0.1', '--sip-port', String(sipPort), '--sips-port', String(sipsPort), '--https-port', String(httpsPort)],
    { env: { ...process.env, PARLEY_SCRYPT_LOG2N: '10', PARLEY_LOG_LEVEL: o.logLevel ?? 'warn', ...(o.env ?? {}) }, onLine: (l) => lines.push(l) },
  );
  try {
    await waitFor(() => lines.some((l) => l.startsWith('Parley is running')) || !proc.isRunning(), { timeoutMs: 20_000, what: 'parley to start' });
    if (!proc.isRunning()) throw new Error(`parley exited:\n${proc.output()}`);
    await waitForSip({ port: sipPort, timeoutMs: 10_000 });
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return {
    dataDir,
    sipPort,
    sipsPort,
    httpsPort,
    proc,
    lines,
    caFile: join(dataDir, 'tls', 'ca.pem'),
    cli: (args) => parleyCli(dataDir, args),
    /** SIGTERM, wait for a clean exit; `keepData` leaves the data folder for a restart. */
    async stop({ keepData = false } = {}) {
      const exit = await proc.stop({ graceMs: 10_000 });
      if (ownDir && !keepData) removeDir(dataDir);
      return exit;
    },
  };
}
