/**
 * Every message of the RFC 4475 and RFC 5118 torture corpus: the valid ones
 * parse, validate and round-trip; the invalid ones give a typed SipParseError
 * with the status the RFC asks for; nothing throws anything else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipParseError } from '../errors.js';
import { loadCorpus } from '../testing/conformance.js';
import { parseMessage } from './parser.js';
import { SipRequest } from './message.js';

const corpus = loadCorpus();

test('the corpus is complete and every message has an expectation', () => {
  assert.ok(corpus.length >= 61, `only ${corpus.length} messages found`);
  for (const m of corpus) assert.notEqual(m.expected, undefined, `no expectation for ${m.id}`);
});

function outcome(bytes: Buffer): { kind: 'valid' } | { kind: 'invalid'; err: SipParseError } | { kind: 'unparsable'; err: SipParseError } {
  let msg;
  try {
    msg = parseMessage(bytes, { datagram: true });
  } catch (err) {
    assert.ok(err instanceof SipParseError, `untyped error: ${String(err)}`);
    return { kind: 'unparsable', err };
  }
  try {
    msg.validate();
    if (msg instanceof SipRequest) void msg.uri;
    return { kind: 'valid' };
  } catch (err) {
    assert.ok(err instanceof SipParseError, `untyped error: ${String(err)}`);
    return { kind: 'invalid', err };
  }
}

for (const m of corpus) {
  test(`${m.id}: ${String(m.expected)}`, () => {
    const r = outcome(m.bytes);
    if (m.expected === 'valid') {
      assert.equal(r.kind, 'valid', r.kind !== 'valid' ? r.err.message : '');
      const msg = parseMessage(m.bytes, { datagram: true });
      // serialize(parse(m)) is stable, also once the message was changed.
      const once = msg.toBuffer();
      assert.deepEqual(parseMessage(once, { datagram: true }).toBuffer(), once);
      msg.set('x-parley-touched', '1');
      const changed = msg.toBuffer();
      const reparsed = parseMessage(changed, { datagram: true });
      reparsed.validate();
      assert.deepEqual(reparsed.toBuffer(), changed);
      assert.deepEqual(reparsed.body, msg.body);
    } else if (m.expected === 'drop') {
      if (r.kind === 'invalid') {
        // readable but broken: only acceptable for a response (never answered)
        assert.equal(parseMessage(m.bytes, { datagram: true }).isRequest, false);
      } else assert.equal(r.kind, 'unparsable');
    } else {
      assert.equal(r.kind, 'invalid', `expected ${m.expected}, got ${r.kind}`);
      if (r.kind === 'invalid') {
        assert.equal(r.err.status, m.expected, r.err.message);
        assert.ok(r.err.message.length > 0);
        assert.doesNotMatch(r.err.reasonPhrase, /[\r\n]/);
      }
    }
  });
}
