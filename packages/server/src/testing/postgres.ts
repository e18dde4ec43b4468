/**
 * A real, throwaway PostgreSQL server for tests (no mocks: the project tests
 * against the database it runs on).
 *
 * Uses Debian's binaries under `/usr/lib/postgresql/<version>/bin` (or
 * `$PARLEY_PG_BINDIR`): `initdb` a cluster in a temporary folder, start it
 * with `pg_ctl` on 127.0.0.1 and a free port, sockets in the same folder.
 * As root, the server runs as the `postgres` user via `runuser` (PostgreSQL
 * refuses to run as root). Durability is switched off: it is a test server.
 *
 * When the binaries are missing, {@link startPostgres} throws
 * {@link PostgresUnavailableError}; see {@link postgresOrSkip} for what tests
 * do then (fail under CI, skip locally).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, chownSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** A running test server. */
export interface TestPostgres {
  /** Connection string of the database made at start. */
  readonly connectionString: string;
  readonly port: number;
  /** Makes another empty database and returns its connection string. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (`pg_ctl stop -m fast`) and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

/** PostgreSQL binaries are not installed: the test cannot run here. */
export class PostgresUnavailableError extends Error {
  override readonly name = 'PostgresUnavailableError';
}

export interface StartPostgresOptions {
  /** Folder holding initdb and pg_ctl; default: newest `/usr/lib/postgresql/<v>/bin`. */
  readonly binDir?: string;
  /** Bound on each of initdb, start and stop, ms. Default 60000. */
  readonly timeoutMs?: number;
}

const OS_USER = 'postgres';
let databases = 0;

/** Finds initdb and pg_ctl. @throws PostgresUnavailableError */
export function findPostgresBinaries(binDir?: string): string {
  const candidates: string[] = [];
  const given = binDir ?? process.env.PARLEY_PG_BINDIR;
  if (given) candidates.push(given);
  else if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join('/usr/lib/postgresql', v, 'bin')));
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) {
    throw new PostgresUnavailableError(
      `PostgreSQL binaries (initdb, pg_ctl) not found in ${given ?? '/usr/lib/postgresql/*/bin'}; ` +
        'install the Debian package "postgresql" or set PARLEY_PG_BINDIR',
    );
  }
  return found;
}

/** Starts a throwaway server with one empty database. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const bin = findPostgresBinaries(options.binDir);
  const timeout = options.timeoutMs ?? 60_000;
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'parley-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  // Runs a PostgreSQL tool, as the postgres user when we are root.
  const run = (tool: string, args: string[]) =>
    asRoot ? exec('runuser', ['-u', OS_USER, '--', join(bin, tool), ...args], timeout) : exec(join(bin, tool), args, timeout);

  let port = 0;
  let started = false;
  const cleanup = () => {
    if (started) {
      try {
        const args = ['-D', data, 'stop', '-m', 'immediate', '-w', '-t', '10'];
        if (asRoot) execFileSync('runuser', ['-u', OS_USER, '--', join(bin, 'pg_ctl'), ...args], { stdio: 'ignore', timeout: 15_000 });
        else execFileSync(join(bin, 'pg_ctl'), args, { stdio: 'ignore', timeout: 15_000 });
      } catch {
        // Best effort at exit.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Should the test process end without stop(), do not leave a server behind.
  process.once('exit', cleanup);

  try {
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', OS_USER], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', OS_USER], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    await run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings = [
        '-c listen_addresses=127.0.0.1',
        `-p ${port}`,
        `-k ${dir}`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
      ].join(' ');
      try {
        await run('pg_ctl', ['-D', data, '-o', settings, '-l', log, '-w', '-t', String(Math.ceil(timeout / 1000)), 'start']);
        started = true;
        break;
      } catch (err) {
        // The port may have been taken between freePort() and the start.
        if (attempt >= 3) throw err;
      }
    }
    const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const createDatabase = async (name = `parley_test_${process.pid}_${++databases}`): Promise<string> => {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new TypeError(`bad database name: ${name}`);
      const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: timeout });
      await client.connect();
      try {
        await client.query(`create database ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    };
    const connectionString = await createDatabase();

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        process.removeListener('exit', cleanup);
        try {
          await run('pg_ctl', ['-D', data, 'stop', '-m', 'fast', '-w', '-t', String(Math.ceil(timeout / 1000))]);
        } finally {
          started = false;
          rmSync(dir, { recursive: true, force: true });
        }
      })());
    return { connectionString, port, createDatabase, stop };
  } catch (err) {
    const serverLog = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    process.removeListener('exit', cleanup);
    cleanup();
    throw new Error(`could not start PostgreSQL from ${bin}: ${(err as Error).message}${serverLog ? `\n${serverLog}` : ''}`, {
      cause: err,
    });
  }
}

/**
 * For test files: a server, or — when PostgreSQL is not installed and the
 * environment variable CI is unset — the reason to skip. Under CI a missing
 * PostgreSQL is an error, so the suite fails instead of passing silently.
 */
export async function postgresOrSkip(options?: StartPostgresOptions): Promise<TestPostgres | { skip: string }> {
  try {
    return await startPostgres(options);
  } catch (err) {
    if (err instanceof PostgresUnavailableError && !process.env.CI) {
      return { skip: `PostgreSQL not available, skipping (set CI to make this fail): ${err.message}` };
    }
    throw err;
  }
}

function exec(file: string, args: string[], timeout: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout, killSignal: 'SIGKILL', cwd: tmpdir() }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr || stdout}`, { cause: err }));
      else resolve();
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
