#!/usr/bin/env node
// The `parley` command (see src/cli/main.ts). Run `npm run build` first.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2));
