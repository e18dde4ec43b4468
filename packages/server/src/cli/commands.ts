/**
 * `parley domain …` and `parley user …`: every command takes `--data`, opens
 * the store directly (SQLite in WAL mode is safe beside a running server, which
 * reads users from the store on every authentication), prints one line per
 * result, and on bad input prints one line to stderr and exits non-zero
 * without changing anything.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { UserService } from '../services/users/index.js';
import type { UserRole } from '../store/index.js';
import { openDataStore } from './store.js';
import { parseCsv } from './csv.js';

type Out = { log(s: string): void };

async function withUsers<T>(dataDir: string, fn: (svc: UserService) => Promise<T>): Promise<T> {
  const store = await openDataStore(dataDir);
  try {
    return await fn(new UserService(store));
  } finally {
    await store.close();
  }
}

export function registerCommands(program: Command, out: Out = console): void {
  const data = (cmd: Command): string => (cmd.optsWithGlobals() as { data: string }).data;

  const domain = program.command('domain').description('manage the SIP domains this server serves');
  domain
    .command('add <name>')
    .option('--default', 'make it the default domain')
    .description('add a domain (the first one becomes the default)')
    .action(async (name: string, o: { default?: boolean }, cmd: Command) => {
      const d = await withUsers(data(cmd), (s) => s.addDomain(name, { isDefault: o.default }));
      out.log(`added domain ${d.name}${d.isDefault ? ' (default)' : ''}`);
    });
  domain
    .command('list')
    .description('list domains')
    .action(async (_o: unknown, cmd: Command) => {
      const list = await withUsers(data(cmd), (s) => s.listDomains());
      if (list.length === 0) out.log('no domains (add one with: parley domain add example.com)');
      for (const d of list) out.log(`${d.name}${d.isDefault ? '\tdefault' : ''}`);
    });
  domain
    .command('remove <name>')
    .option('--force', 'also remove its users')
    .description('remove a domain')
    .action(async (name: string, o: { force?: boolean }, cmd: Command) => {
      await withUsers(data(cmd), (s) => s.removeDomain(name, { force: o.force }));
      out.log(`removed domain ${name.toLowerCase()}`);
    });

  const user = program.command('user').description('manage users');
  user
    .command('add <address>')
    .option('--name <name>', 'display name')
    .option('--password <password>', 'password (prefer --generate-password)')
    .option('--generate-password', 'generate a strong password and print it once')
    .option('--admin', 'give the administrator role')
    .option('--phone <number>', 'phone number (E.164)')
    .description('add a user, e.g. parley user add alice@example.com --name "Alice Smith" --generate-password')
    .action(async (address: string, o: { name?: string; password?: string; generatePassword?: boolean; admin?: boolean; phone?: string }, cmd: Command) => {
      const r = await withUsers(data(cmd), (s) =>
        s.addUser({
          address,
          displayName: o.name,
          password: o.password,
          generatePassword: o.generatePassword,
          role: (o.admin ? 'admin' : 'user') as UserRole,
          phone: o.phone,
        }),
      );
      out.log(`added user ${r.user.address}${r.password ? `\tpassword: ${r.password}` : ''}`);
    });
  user
    .command('list')
    .option('--search <text>', 'filter by address or name')
    .option('--limit <n>', 'at most n users', '1000')
    .description('list users')
    .action(async (o: { search?: string; limit: string }, cmd: Command) => {
      const list = await withUsers(data(cmd), (s) => s.listUsers({ search: o.search, limit: Number(o.limit) }));
      for (const u of list)
        out.log(`${u.address}\t${u.displayName ?? ''}\t${u.enabled ? 'enabled' : 'disabled'}\t${u.role}`);
      if (list.length === 0) out.log('no users');
    });
  user
    .command('show <address>')
    .description('show one user')
    .action(async (address: string, _o: unknown, cmd: Command) => {
      const u = await withUsers(data(cmd), (s) => s.getUser(address));
      out.log(
        [
          `address: ${u.address}`,
          `name: ${u.displayName ?? ''}`,
          `enabled: ${u.enabled}`,
          `role: ${u.role}`,
          `phone: ${u.phone ?? ''}`,
          `created: ${new Date(u.createdAt).toISOString()}`,
        ].join('\n'),
      );
    });
  for (const [name, enabled] of [['disable', false], ['enable', true]] as const) {
    user
      .command(`${name} <address>`)
      .description(`${name} a user`)
      .action(async (address: string, _o: unknown, cmd: Command) => {
        const u = await withUsers(data(cmd), (s) => s.setEnabled(address, enabled));
        out.log(`${enabled ? 'enabled' : 'disabled'} ${u.address}`);
      });
  }
  user
    .command('set-password <address>')
    .option('--password <password>', 'the new password')
    .option('--generate-password', 'generate one and print it once')
    .description("change a user's password")
    .action(async (address: string, o: { password?: string; generatePassword?: boolean }, cmd: Command) => {
      const r = await withUsers(data(cmd), (s) => s.setPassword(address, { password: o.password, generate: o.generatePassword }));
      out.log(`password changed for ${r.user.address}${r.password ? `\tpassword: ${r.password}` : ''}`);
    });
  user
    .command('remove <address>')
    .description('remove a user and their registrations')
    .action(async (address: string, _o: unknown, cmd: Command) => {
      await withUsers(data(cmd), (s) => s.removeUser(address));
      out.log(`removed ${address.toLowerCase()}`);
    });
  user
    .command('import <file>')
    .description('import users from a CSV file with the header address,name,password (all or nothing)')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const rows = parseCsv(readFileSync(file, 'utf8'));
      const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
      const ia = header.indexOf('address');
      const iname = header.indexOf('name');
      const ipw = header.indexOf('password');
      if (ia < 0 || ipw < 0) throw new CliInputError(`${file}: the first line must be the header address,name,password`);
      const bar = process.stderr.isTTY ? new SingleBar({ format: 'importing [{bar}] {value}/{total}' }, Presets.shades_classic) : undefined;
      bar?.start(rows.length, 0);
      const res = await withUsers(data(cmd), (s) =>
        s.importUsers(
          rows.map((r) => ({ address: r[ia] ?? '', name: iname >= 0 ? r[iname] : undefined, password: r[ipw] ?? '' })),
          (done) => bar?.update(done),
        ),
      );
      bar?.stop();
      if (res.errors.length > 0) {
        for (const e of res.errors.slice(0, 20)) process.stderr.write(`${file}:${e.line}: ${e.message}\n`);
        throw new CliInputError(`${res.errors.length} bad row(s); nothing imported`);
      }
      out.log(`imported ${res.created} users`);
    });
}

export class CliInputError extends Error {
  override readonly name = 'CliInputError';
}
