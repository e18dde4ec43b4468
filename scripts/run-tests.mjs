#!/usr/bin/env node
// Runs every compiled test file of every package with Node's own test runner.
// Test files are `dist/**/*.test.js` under each workspace package (compiled from
// `src/**/*.test.ts`), `test/**/*.test.mjs` at the root (interop scenarios and
// the web client's end-to-end tests), and the web client's unit tests
// `packages/web/src/**/*.test.ts` (Vite builds that package, not tsc: they run
// through tsx, in a second pass).
// Usage: node scripts/run-tests.mjs [substring-filter ...]
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir, out, pred) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out, pred);
    else if (pred(p)) out.push(p);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  walk(join(root, 'packages', pkg, 'dist'), files, (p) => p.endsWith('.test.js'));
}
walk(join(root, 'test'), files, (p) => p.endsWith('.test.mjs'));
const sourceTests = walk(join(root, 'packages', 'web', 'src'), [], (p) => p.endsWith('.test.ts'));
const pick = (list) =>
  list
    .map((f) => relative(root, f))
    .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
    .sort();
const chosen = pick(files);
const chosenTs = pick(sourceTests);
if (chosen.length === 0 && chosenTs.length === 0) {
  console.error('run-tests: no test files found (did the build run?)');
  process.exit(1);
}

/** One `node --test` run; resolves with its exit code. */
function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

let code = 0;
if (chosen.length > 0) code = await run(['--test', '--test-concurrency=2', ...chosen]);
if (chosenTs.length > 0) code = (await run(['--import', 'tsx', '--test', '--test-concurrency=2', ...chosenTs])) || code;
process.exit(code);
