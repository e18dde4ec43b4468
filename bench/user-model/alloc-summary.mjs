#!/usr/bin/env node
// Allocation profile summary (alloc-profile.mjs): bytes allocated by the
// function that allocated them (self) and with its callers (inclusive).
//   node bench/user-model/alloc-summary.mjs FILE.heapprofile [top=40]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 40);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const self = new Map();
const incl = new Map();
let total = 0;
const name = (cf) => `${cf.functionName || '(anon)'} ${cf.url.replace(/.*\/(packages|node_modules)\//, '$1/')}:${cf.lineNumber + 1}`;
function walk(node, stack) {
  const k = name(node.callFrame);
  const own = node.selfSize;
  total += own;
  self.set(k, (self.get(k) ?? 0) + own);
  const seen = new Set(stack);
  if (!seen.has(k)) stack = [...stack, k];
  for (const s of stack) incl.set(s, (incl.get(s) ?? 0) + own);
  for (const c of node.children) walk(c, stack);
}
walk(profile.head, []);
const show = (m) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${(v / 1e6).toFixed(1).padStart(8)} MB  ${k}`)
    .join('\n');
console.log(`sampled allocations: ${(total / 1e6).toFixed(0)} MB`);
console.log('--- self\n' + show(self));
console.log('--- inclusive\n' + show(incl));
