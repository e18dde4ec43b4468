import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_ERRORS } from '../../http/api/index.js';
import { PRESENCE_ERRORS, PresenceError, type PresenceErrorCode } from './errors.js';

test('every error has a SIP status and a REST code of the API catalogue, and the README lists it', () => {
  // Beside the source; from `dist/services/presence` the source is three levels up.
  const here = dirname(fileURLToPath(import.meta.url));
  const path = [join(here, 'README.md'), join(here, '..', '..', '..', 'src', 'services', 'presence', 'README.md')].find((p) => existsSync(p));
  assert.ok(path, 'README.md of presence');
  const readme = readFileSync(path, 'utf8');
  for (const [code, spec] of Object.entries(PRESENCE_ERRORS)) {
    assert.ok(spec.sip >= 400 && spec.sip < 700, code);
    assert.ok(spec.http in API_ERRORS, `${code} → ${spec.http}`);
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
    assert.ok(row, `README lists ${code}`);
    assert.ok(row.includes(`| ${spec.sip}`), `README: ${code} is ${spec.sip}`);
    assert.ok(row.includes(`| ${spec.http} |`), `README: ${code} is ${spec.http}`);
  }
});

test('a detail in the reason phrase is printable ASCII only, and short', () => {
  const e = new PresenceError('malformed-document' as PresenceErrorCode, 'end tag </a\r\nVia: evil> é'.padEnd(300, 'x'));
  assert.match(e.sipReason, /^Bad Request \(end tag <\/a Via: evil> x+\)$/);
  assert.ok(e.sipReason.length < 140);
  assert.equal(new PresenceError('unknown-etag').sipReason, 'Conditional Request Failed');
});
