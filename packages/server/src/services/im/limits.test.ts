import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newBranch, parseMessage, type SipRequest } from '@parley/sip';
import { IM_ERRORS, ImError } from './errors.js';
import { checkBody, SenderRateLimiter } from './limits.js';

function message(body: Buffer, headers: string[] = []): SipRequest {
  const head = [
    'MESSAGE sip:bob@example.com SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=${newBranch()}`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a1',
    'To: <sip:bob@example.com>',
    'Call-ID: limits-1',
    'CSeq: 1 MESSAGE',
    'Content-Type: text/plain',
    ...headers,
    `Content-Length: ${body.length}`,
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.concat([Buffer.from(head), body])).validate() as SipRequest;
}

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof ImError);
    return e.code;
  }
};

test('a body at the limit passes and one byte more is 413', () => {
  assert.equal(checkBody(message(Buffer.from('héllo')), 64), 'héllo');
  assert.equal(checkBody(message(Buffer.alloc(64, 'a')), 64).length, 64);
  assert.equal(code(() => checkBody(message(Buffer.alloc(65, 'a')), 64)), 'too-large');
  assert.equal(IM_ERRORS['too-large'].sip, 413);
});

test('a body that is not UTF-8 text, or is compressed, is 415', () => {
  assert.equal(code(() => checkBody(message(Buffer.from([0xff, 0xfe, 0x00, 0xc3])), 1024)), 'unsupported-content');
  assert.equal(code(() => checkBody(message(Buffer.from('x'), ['Content-Encoding: gzip']), 1024)), 'unsupported-content');
  assert.equal(checkBody(message(Buffer.from('x'), ['Content-Encoding: identity']), 1024), 'x');
  assert.equal(IM_ERRORS['unsupported-content'].sip, 415);
});

test('a sender gets a minute of messages at once, then one per refill, with Retry-After', () => {
  let t = 1_000_000;
  const limiter = new SenderRateLimiter(120, () => t);
  for (let i = 0; i < 120; i++) assert.deepEqual(limiter.take('alice@x.com'), { ok: true });
  assert.deepEqual(limiter.take('alice@x.com'), { ok: false, retryAfterS: 1 });
  // another sender is not affected
  assert.deepEqual(limiter.take('bob@x.com'), { ok: true });
  t += 500; // 120/min = one token every 500 ms
  assert.deepEqual(limiter.take('alice@x.com'), { ok: true });
  assert.equal(limiter.take('alice@x.com').ok, false);
  t += 60_000;
  for (let i = 0; i < 120; i++) assert.equal(limiter.take('alice@x.com').ok, true);
  assert.equal(limiter.take('alice@x.com').ok, false);
});

test('a slow limit says how long to wait; check() throws rate-limited with it', () => {
  const t = 0;
  const limiter = new SenderRateLimiter(2, () => t);
  limiter.check('a');
  limiter.check('a');
  try {
    limiter.check('a');
    assert.fail('not limited');
  } catch (e) {
    assert.ok(e instanceof ImError);
    assert.equal(e.code, 'rate-limited');
    assert.equal(e.retryAfterS, 30);
    assert.equal(IM_ERRORS[e.code].sip, 503);
  }
  assert.throws(() => new SenderRateLimiter(0), TypeError);
});
