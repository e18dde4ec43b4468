/**
 * Every migration of the store, in order, listed statically so that the
 * compiled `dist` needs no directory scan. Names sort in run order
 * (`NNNN_name`); add new ones at the end and never edit a released one.
 */
import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_sessions.js';
import * as m0003 from './0003_im.js';
import * as m0004 from './0004_presence.js';
import * as m0005 from './0005_presence_state.js';

export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': m0001,
  '0002_sessions': m0002,
  '0003_im': m0003,
  '0004_presence': m0004,
  '0005_presence_state': m0005,
});
