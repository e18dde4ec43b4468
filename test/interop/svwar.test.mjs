/**
 * Acceptance (issue: Standard Edition): sipvicious `svwar` finds no user.
 * Its dictionary holds real users and made-up ones; with REGISTER, INVITE
 * and OPTIONS, Parley answers every name the same way (a challenge).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startParley, importUsers, startProcess, skipUnlessBinaries } from '../harness/index.mjs';

const skip = skipUnlessBinaries('svwar');
let parley;

before(async () => {
  if (skip) return;
  parley = await startParley({ domain: 'example.com' });
  parley.cli(['user', 'add', 'alice@example.com', '--password', 'Wonder-Land-81']);
  parley.cli(['user', 'add', '100@example.com', '--password', 'Wonder-Land-81']);
  importUsers(parley.dataDir, { count: 20, password: 'Test-Password-42' });
});
after(async () => parley?.stop());

for (const [method, force] of [['REGISTER', false], ['INVITE', false], ['OPTIONS', false], ['REGISTER', true], ['INVITE', true]]) {
  test(`svwar -m ${method}${force ? ' --force' : ''} reports no user`, { skip, timeout: 120_000 }, async () => {
    const dict = join(parley.dataDir, `dict-${method}.txt`);
    const names = ['alice', 'bob', 'carol', 'admin', 'root', '100', '101', '200', 'user0', 'user5', 'user19', 'user99', 'nobody'];
    writeFileSync(dict, names.join('\n') + '\n');
    const args = ['-d', dict, '-m', method, '-p', String(parley.sipPort), '-b', '127.0.0.1', '-t', '0.05'];
    if (force) args.push('--force');
    const p = startProcess('svwar', [...args, '127.0.0.1']);
    const done = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r(null), 100_000))]);
    if (!done) await p.stop();
    const out = p.output();
    // svwar prints a table of found extensions ("| Extension | Authentication |"), or says none were found.
    const found = out
      .split('\n')
      .map((l) => /^\|\s*([^|\s]+)\s*\|\s*(reqauth|noauth|weird)/i.exec(l)?.[1])
      .filter((x) => x !== undefined);
    const real = ['alice', '100', 'user0', 'user5', 'user19'];
    assert.deepEqual(found.filter((f) => real.includes(f)), [], `svwar found users:\n${out}`);
    // Without --force svwar gives up: an unknown name is challenged like a real one.
    if (!force) assert.match(out, /found nothing/, out);
    // With --force it can only report names by the answer they got, which is the same for all:
    // any name it lists (its own random probe) is not a user.
    assert.doesNotMatch(out, /Traceback/, out);
  });
}
