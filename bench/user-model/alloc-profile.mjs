// Preload for `NODE_OPTIONS=--import=.../alloc-profile.mjs`: V8's sampling
// heap profiler over the whole process, counting objects that the young and
// old generation collectors already freed too, so the profile shows where
// the allocation rate (what makes scavenges frequent) comes from, not only
// what is alive at the end. Sampling starts with the process and starts over
// at the second SIGUSR2 (run.mjs sends it when measuring starts, with
// --loop-stats), so the profile covers the steady load, not the sign-in.
// Written as ALLOC_PROFILE_DIR/parley-PID.heapprofile on exit. Summarise
// with `node bench/user-model/alloc-summary.mjs FILE`.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.ALLOC_PROFILE_DIR ?? process.cwd();
const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
const start = () =>
  session.post('HeapProfiler.startSampling', {
    samplingInterval: Number(process.env.ALLOC_PROFILE_INTERVAL ?? 65536),
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
start();
let signals = 0;
process.on('SIGUSR2', () => {
  if (++signals === 2) session.post('HeapProfiler.stopSampling', () => start());
});
process.once('exit', () => {
  session.post('HeapProfiler.stopSampling', (err, res) => {
    if (!err) writeFileSync(join(dir, `parley-${process.pid}.heapprofile`), JSON.stringify(res.profile));
  });
});
