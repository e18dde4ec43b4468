#!/usr/bin/env node
// Prints what the first page load fetches from dist/ and its gzip size:
// index.html plus every script, stylesheet, module preload and icon it
// references (followed through static imports of the entry chunks).
// Bar (issue): under 300 KB gzip. Exit code 0 always: a figure, not a test.
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const seen = new Set(['index.html']);
const queue = [];
for (const m of html.matchAll(/(?:src|href)="\/?([^"]+\.(?:js|css|svg|png|woff2?))"/g)) queue.push(m[1]);
while (queue.length) {
  const f = queue.shift();
  if (seen.has(f) || !existsSync(join(dist, f))) continue;
  seen.add(f);
  if (f.endsWith('.js')) {
    const src = readFileSync(join(dist, f), 'utf8');
    // Static imports only (dynamic import() chunks are not fetched on first load).
    for (const m of src.matchAll(/(?:^|[;\s}])import\s*(?:[\w{},*\s$]+from\s*)?["']\.\/([^"']+)["']/g)) queue.push(join(dirname(f), m[1]));
  }
}
let raw = 0;
let gz = 0;
const rows = [];
for (const f of seen) {
  const buf = readFileSync(join(dist, f));
  const g = gzipSync(buf, { level: 9 }).length;
  raw += buf.length;
  gz += g;
  rows.push([f, buf.length, g]);
}
const kb = (n) => (n / 1024).toFixed(1).padStart(7) + ' KB';
console.log('\nFirst page load (what the browser fetches for /):');
for (const [f, r, g] of rows) console.log(`  ${f.padEnd(40)} ${kb(r)} raw ${kb(g)} gzip`);
console.log(`  ${'total'.padEnd(40)} ${kb(raw)} raw ${kb(gz)} gzip  (bar: < 300 KB gzip: ${gz < 300 * 1024 ? 'met' : 'NOT met'})`);
