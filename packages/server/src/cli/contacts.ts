/**
 * `parley contact import FILE`: contact lists in bulk from a CSV file with
 * the header owner,contact,group,relationship (group and relationship may
 * be empty). All or nothing: every row is checked first
 * (`services/presence/contact-import.ts`); one bad row imports nothing.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { importContacts } from '../services/presence/contact-import.js';
import { CliInputError } from './commands.js';
import { parseCsv } from './csv.js';
import { openDataStore } from './store.js';

type Out = { log(s: string): void };

export function registerContactCommands(program: Command, out: Out = console): void {
  const contact = program.command('contact').description('manage contact lists');
  contact
    .command('import <file>')
    .description('import contacts from a CSV file with the header owner,contact,group,relationship (all or nothing)')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const rows = parseCsv(readFileSync(file, 'utf8'));
      const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
      const [io, ic, ig, ir] = ['owner', 'contact', 'group', 'relationship'].map((h) => header.indexOf(h));
      if (io < 0 || ic < 0) throw new CliInputError(`${file}: the first line must be the header owner,contact,group,relationship`);
      const store = await openDataStore((cmd.optsWithGlobals() as { data: string }).data);
      try {
        const domains = new Set((await store.domains.list()).map((d) => d.name));
        const res = await importContacts(
          store,
          rows.map((r, i) => ({ line: i + 2, owner: r[io] ?? '', contact: r[ic] ?? '', group: ig >= 0 ? (r[ig] ?? '') : '', relationship: ir >= 0 ? (r[ir] ?? '') : '' })),
          { isLocalDomain: (d) => domains.has(d), now: Date.now() },
        );
        if (res.errors.length > 0) {
          for (const e of res.errors.slice(0, 20)) process.stderr.write(`${file}:${e.line}: ${e.message}\n`);
          throw new CliInputError(`${res.errors.length} bad row(s); nothing imported`);
        }
        out.log(`imported ${res.imported} contacts (${res.groupsCreated} groups created)`);
      } finally {
        await store.close();
      }
    });
}
