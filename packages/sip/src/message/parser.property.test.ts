/**
 * Property-based tests (fast-check): random bytes and mutated real messages
 * never make the parser or the typed views throw anything but SipParseError,
 * and serialize(parse(m)) is a fixed point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SipParseError } from '../errors.js';
import { parseMessage } from './parser.js';
import { SipRequest } from './message.js';
import { REGISTER, INVITE, OK200 } from '../bench/messages.js';
import { loadCorpus } from '../testing/conformance.js';

const seeds: Buffer[] = [...[REGISTER, INVITE, OK200].map((s) => Buffer.from(s)), ...loadCorpus().map((c) => c.bytes)];

/** Touch every typed view; only SipParseError may come out. */
function exercise(data: Buffer, datagram: boolean): void {
  let m;
  try {
    m = parseMessage(data, { datagram });
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    return;
  }
  const views = [
    () => m.validate(),
    () => m.vias,
    () => m.from,
    () => m.to,
    () => m.callId,
    () => m.cseq,
    () => m.contacts,
    () => m.maxForwards,
    () => m.addresses('route'),
    () => m.getAll('supported'),
    () => m.integer('expires'),
    () => (m instanceof SipRequest ? m.uri : undefined),
  ];
  for (const v of views) {
    try {
      v();
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
    }
  }
  const out = m.toBuffer();
  assert.ok(Buffer.isBuffer(out));
}

test('random bytes never throw an untyped error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, dg) => exercise(Buffer.from(bytes), dg)),
    { numRuns: 3000 },
  );
});

test('random printable text shaped like SIP never throws an untyped error', () => {
  const line = fc.stringMatching(/^[ -~\t]{0,60}$/);
  fc.assert(
    fc.property(fc.constantFrom('INVITE sip:a@b SIP/2.0', 'SIP/2.0 200 OK', 'X y z'), fc.array(line, { maxLength: 20 }), (first, lines) => {
      exercise(Buffer.from([first, ...lines].join('\r\n') + '\r\n\r\n'), true);
    }),
    { numRuns: 3000 },
  );
});

test('mutated real messages (byte flips, cuts, insertions) never throw an untyped error', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert', 'dup')), {
        minLength: 1,
        maxLength: 8,
      }),
      fc.boolean(),
      (seed, edits, dg) => {
        let b = Buffer.from(seed);
        for (const [at, byte, kind] of edits) {
          const i = b.length === 0 ? 0 : at % b.length;
          if (kind === 'flip') b[i] = byte;
          else if (kind === 'cut') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
          else if (kind === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
          else b = Buffer.concat([b.subarray(0, i), b.subarray(i, i + 40), b.subarray(i)]);
        }
        exercise(b, dg);
      },
    ),
    { numRuns: 4000 },
  );
});

test('serialize(parse(m)) is stable for valid messages, also after a change', () => {
  const valid = seeds.filter((b) => {
    try {
      parseMessage(b, { datagram: true }).validate();
      return true;
    } catch {
      return false;
    }
  });
  fc.assert(
    fc.property(fc.constantFrom(...valid), fc.stringMatching(/^[a-zA-Z0-9 ]{0,20}$/), (b, v) => {
      const m = parseMessage(b, { datagram: true });
      m.set('Subject', v.trim() || 'x');
      const once = m.toBuffer();
      const twice = parseMessage(once, { datagram: true }).toBuffer();
      assert.deepEqual(twice, once);
    }),
    { numRuns: 500 },
  );
});
