// Preload for `NODE_OPTIONS=--import=.../cpu-profile.mjs` (Node refuses
// --cpu-prof in NODE_OPTIONS): profile the whole process with the in-process
// inspector and write CPU_PROFILE_DIR/parley-PID.cpuprofile on exit (Chrome
// DevTools format, like --cpu-prof). Used by run.mjs --profile.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.CPU_PROFILE_DIR ?? process.cwd();
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: Number(process.env.CPU_PROFILE_INTERVAL_US ?? 1000) });
session.post('Profiler.start');
process.once('exit', () => {
  // the in-process session answers synchronously, so this works inside 'exit'
  session.post('Profiler.stop', (err, res) => {
    if (!err) writeFileSync(join(dir, `parley-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
  });
});
