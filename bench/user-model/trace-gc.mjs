// Preload for the server (`--trace-gc` of run.mjs; Node refuses --trace-gc in
// NODE_OPTIONS): V8 prints one line per GC on stdout, with its pause and why
// it ran (allocation failure, external memory pressure, finalize incremental
// marking…). run.mjs prints the Mark-Compact lines of the measured window.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--trace-gc');
