// Preload for the server (`NODE_OPTIONS=--import=.../loop-stats.mjs`; Node
// refuses --trace-gc there): event-loop delay (perf_hooks
// monitorEventLoopDelay, 10 ms resolution) and every GC pause (a
// PerformanceObserver on 'gc'), written as JSON to $LOOP_STATS_FILE on exit.
// The bench resets the window when measuring starts (SIGUSR2); each SIGUSR2
// also runs a full GC and appends the heap in use after it to
// $LOOP_STATS_FILE.mem (one JSON line), for memory per signed-in user
// without the garbage that RSS counts. Used by run.mjs --loop-stats.
import { monitorEventLoopDelay, PerformanceObserver, constants } from 'node:perf_hooks';
import { appendFileSync, writeFileSync } from 'node:fs';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc');

const file = process.env.LOOP_STATS_FILE;
const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
let gc = [];
let signals = 0;
const kinds = { [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb' };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gc.push({ kind: kinds[e.detail?.kind ?? e.kind] ?? String(e.detail?.kind), ms: e.duration });
}).observe({ entryTypes: ['gc'] });
process.on('SIGUSR2', async () => {
  if (file) {
    // V8 frees ArrayBuffer backing stores on a background thread after a GC: measure after a second one.
    fullGc();
    await new Promise((r) => setTimeout(r, 500));
    fullGc();
    const m = process.memoryUsage();
    appendFileSync(`${file}.mem`, JSON.stringify({ heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss }) + '\n');
    if (process.env.HEAP_SNAPSHOT_DIR && ++signals === 2) writeHeapSnapshot(`${process.env.HEAP_SNAPSHOT_DIR}/parley-${process.pid}.heapsnapshot`);
  }
  h.reset();
  gc = [];
});
// The reset above happens up to 0.5 s after the signal; the bench starts its load at once (a negligible offset).
process.once('exit', () => {
  if (!file) return;
  const ms = (ns) => ns / 1e6;
  const byKind = {};
  for (const g of gc) {
    const k = (byKind[g.kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
    k.count++;
    k.totalMs += g.ms;
    k.maxMs = Math.max(k.maxMs, g.ms);
  }
  writeFileSync(file, JSON.stringify({ loopDelayMs: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) }, gc: byKind }));
});
