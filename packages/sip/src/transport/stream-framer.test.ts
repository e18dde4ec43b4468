import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FramingError } from './errors.js';
import { StreamFramer, type StreamFramerLimits, type StreamFramerRole } from './stream-framer.js';
import { sipRequest, sipResponse } from './test-support.js';

interface Out {
  messages: Buffer[];
  pings: number;
  pongs: number;
  errors: FramingError[];
}

function framer(options: { limits?: Partial<StreamFramerLimits>; role?: StreamFramerRole } = {}): { f: StreamFramer; out: Out } {
  const out: Out = { messages: [], pings: 0, pongs: 0, errors: [] };
  const f = new StreamFramer(
    {
      message: (data) => out.messages.push(Buffer.from(data)),
      ping: () => out.pings++,
      pong: () => out.pongs++,
      error: (e) => out.errors.push(e),
    },
    options,
  );
  return { f, out };
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('StreamFramer (RFC 3261 §18.3)', () => {
  it('frames one message with a body, byte-identical, without copying a whole read', () => {
    const { f, out } = framer();
    const wire = b(sipRequest('MESSAGE', 'hello\r\n\r\nworld') + sipResponse(200));
    f.push(wire);
    assert.equal(out.messages.length, 2);
    assert.ok(out.messages[0].toString('latin1').endsWith('hello\r\n\r\nworld'));
    assert.equal(Buffer.concat(out.messages).toString('latin1'), wire.toString('latin1'));
    assert.equal(f.bufferedBytes, 0);
  });

  it('hands out views of the read buffer when the read holds whole messages', () => {
    const seen: Buffer[] = [];
    const f = new StreamFramer({ message: (d) => seen.push(d), ping: () => {}, pong: () => {}, error: (e) => assert.fail(e) });
    const wire = b(sipRequest() + sipRequest());
    f.push(wire);
    assert.equal(seen.length, 2);
    assert.equal(seen[0].buffer, wire.buffer);
    assert.equal(seen[1].byteOffset, wire.byteOffset + seen[0].length);
  });

  it('accepts compact "l", any case, and whitespace before the colon (RFC 3261 §7.3.1, §7.3.3)', () => {
    for (const name of ['l', 'L', 'content-length', 'CONTENT-LENGTH', 'Content-Length \t']) {
      const { f, out } = framer();
      f.push(b(`SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\n${name}:  4 \r\n\r\nabcdSIP/2.0 100 Trying\r\nl:0\r\n\r\n`));
      assert.deepEqual(out.errors, [], name);
      assert.deepEqual(out.messages.map((m) => m.toString('latin1').slice(-4)), ['abcd', '\r\n\r\n'], name);
    }
  });

  it('reads a folded Content-Length value', () => {
    const { f, out } = framer();
    f.push(b('SIP/2.0 200 OK\r\nContent-Length:\r\n  3\r\n\r\nxyz'));
    assert.equal(out.messages.length, 1);
    assert.ok(out.messages[0].toString('latin1').endsWith('xyz'));
  });

  it('does not mistake a header whose name merely contains "l" for Content-Length', () => {
    const { f, out } = framer();
    f.push(b('SIP/2.0 200 OK\r\nAllow: INVITE\r\nlx: 9\r\nl: 0\r\n\r\n'));
    assert.equal(out.messages.length, 1);
    assert.deepEqual(out.errors, []);
  });

  it('answers a CRLF CRLF ping and sees a lone CRLF as a pong (RFC 5626 §4.4.1)', () => {
    const { f, out } = framer({ role: 'server' });
    f.push(b('\r\n\r\n'));
    assert.equal(out.pings, 1);
    f.push(b('\r\n'));
    assert.equal(out.pongs, 0, 'a trailing CRLF may be half a ping: the server role holds it');
    f.push(b('\r\n'));
    assert.equal(out.pings, 2);
    f.push(b('\r\n' + sipResponse()));
    assert.equal(out.pongs, 1);
    assert.equal(out.messages.length, 1);

    const client = framer({ role: 'client' });
    client.f.push(b('\r\n'));
    assert.equal(client.out.pongs, 1, 'the client role reports a pong at once');
  });

  it('refuses a stream message without Content-Length', () => {
    const { f, out } = framer();
    f.push(b('OPTIONS sip:a SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n'));
    assert.equal(out.errors[0]?.reason, 'missing-content-length');
    assert.equal(out.errors[0].code, 'framing');
    assert.ok(f.stopped);
    f.push(b(sipRequest()));
    assert.equal(out.messages.length, 0, 'a failed framer ignores input');
    assert.equal(out.errors.length, 1, 'the error is reported once');
  });

  for (const [what, wire, reason] of [
    ['binary garbage', '\x16\x03\x01\x02\x00', 'bad-start-line'],
    ['an HTTP request', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'bad-start-line'],
    ['a bare LF between messages', '\nOPTIONS', 'bad-start-line'],
    ['a non-numeric Content-Length', 'SIP/2.0 200 OK\r\nContent-Length: 1e3\r\n\r\n', 'bad-content-length'],
    ['a negative Content-Length', 'SIP/2.0 200 OK\r\nl: -1\r\n\r\n', 'bad-content-length'],
    ['conflicting Content-Length values', 'SIP/2.0 200 OK\r\nl: 1\r\nContent-Length: 2\r\n\r\nab', 'bad-content-length'],
  ] as const) {
    it(`refuses ${what}`, () => {
      const { f, out } = framer();
      f.push(b(wire));
      assert.equal(out.errors.length, 1);
      assert.ok(out.errors[0] instanceof FramingError);
      assert.equal(out.errors[0].reason, reason);
    });
  }

  it('enforces the header section, body and header count limits', () => {
    const limits = { maxHeaderBytes: 200, maxBodyBytes: 100, maxHeaders: 5 };
    const big = framer({ limits });
    big.f.push(b('SIP/2.0 200 OK\r\nX: ' + 'a'.repeat(300)));
    assert.equal(big.out.errors[0]?.reason, 'header-too-large', 'detected before the header end arrives');

    const body = framer({ limits });
    body.f.push(b('SIP/2.0 200 OK\r\nl: 101\r\n\r\n'));
    assert.equal(body.out.errors[0]?.reason, 'body-too-large', 'detected from the header alone');

    const many = framer({ limits });
    many.f.push(b('SIP/2.0 200 OK\r\n' + 'A: 1\r\n'.repeat(6) + 'l: 0\r\n\r\n'));
    assert.equal(many.out.errors[0]?.reason, 'too-many-headers');

    const ok = framer({ limits });
    ok.f.push(b('SIP/2.0 200 OK\r\n' + 'A: 1\r\n'.repeat(4) + 'l: 100\r\n\r\n' + 'x'.repeat(100)));
    assert.equal(ok.out.messages.length, 1);
  });

  it('frames a large body fed one byte at a time in linear time', () => {
    const { f, out } = framer();
    const body = 'x'.repeat(200_000);
    const wire = b(sipRequest('MESSAGE', body));
    const start = performance.now();
    for (let i = 0; i < wire.length; i++) f.push(wire.subarray(i, i + 1));
    assert.equal(out.messages.length, 1);
    assert.ok(out.messages[0].equals(wire));
    assert.ok(performance.now() - start < 2000, 'no quadratic copying');
  });
});

// ---------------------------------------------------------------- properties

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,11}$/);
const headerValue = fc.stringMatching(/^[ -~]{0,40}$/).map((s) => s.trim());
const clName = fc.constantFrom('Content-Length', 'content-length', 'CONTENT-LENGTH', 'l', 'L', 'Content-Length ');

/** A valid stream SIP message: random start line, headers, Content-Length spelling and body bytes. */
const sipMessage = fc
  .record({
    request: fc.boolean(),
    method: fc.constantFrom('INVITE', 'REGISTER', 'MESSAGE', 'OPTIONS', 'BYE', 'X-CUSTOM'),
    status: fc.integer({ min: 100, max: 699 }),
    headers: fc.array(fc.tuple(token, headerValue), { maxLength: 12 }),
    clName,
    clAt: fc.nat(),
    body: fc.uint8Array({ maxLength: 300 }),
  })
  .map(({ request, method, status, headers, clName, clAt, body }) => {
    const lines = headers
      .filter(([name]) => !/^(l|content-length)$/i.test(name))
      .map(([name, value]) => `${name}: ${value}`);
    lines.splice(clAt % (lines.length + 1), 0, `${clName}: ${body.length}`);
    const start = request ? `${method} sip:bob@example.com SIP/2.0` : `SIP/2.0 ${status} Whatever`;
    return Buffer.concat([b(`${start}\r\n${lines.join('\r\n')}\r\n\r\n`), Buffer.from(body)]);
  });

/** Messages with optional CRLF CRLF pings before each, and a cut list. */
const stream = fc
  .array(fc.tuple(fc.nat({ max: 2 }), sipMessage), { minLength: 1, maxLength: 8 })
  .chain((parts) => {
    const wire = Buffer.concat(parts.flatMap(([pings, m]) => [b('\r\n\r\n'.repeat(pings)), m]));
    return fc.record({
      parts: fc.constant(parts),
      wire: fc.constant(wire),
      cuts: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, wire.length - 1) }), { maxLength: 20 }),
    });
  });

function split(wire: Buffer, cuts: number[]): Buffer[] {
  const points = [0, ...[...cuts].filter((c) => c < wire.length).sort((x, y) => x - y), wire.length];
  const chunks: Buffer[] = [];
  for (let i = 1; i < points.length; i++) if (points[i] > points[i - 1]) chunks.push(wire.subarray(points[i - 1], points[i]));
  return chunks;
}

describe('StreamFramer properties', () => {
  it('N valid messages split at random points yield exactly the N messages, byte-identical', () => {
    fc.assert(
      fc.property(stream, ({ parts, wire, cuts }) => {
        const { f, out } = framer();
        for (const chunk of split(wire, cuts)) f.push(chunk);
        assert.deepEqual(out.errors, []);
        assert.equal(out.messages.length, parts.length);
        parts.forEach(([, m], i) => assert.ok(out.messages[i].equals(m), `message ${i}`));
        assert.equal(out.pings, parts.reduce((n, [p]) => n + p, 0));
        assert.equal(f.bufferedBytes, 0);
      }),
      { numRuns: 300 },
    );
  });

  it('the same stream fed one byte at a time yields the same messages', () => {
    fc.assert(
      fc.property(stream, ({ parts, wire }) => {
        const { f, out } = framer();
        for (let i = 0; i < wire.length; i++) f.push(wire.subarray(i, i + 1));
        assert.deepEqual(out.errors, []);
        assert.equal(out.messages.length, parts.length);
        parts.forEach(([, m], i) => assert.ok(out.messages[i].equals(m)));
      }),
      { numRuns: 100 },
    );
  });

  it('random garbage never throws, reports at most one FramingError, and never buffers past the limits', () => {
    const limits = { maxHeaderBytes: 256, maxBodyBytes: 512, maxHeaders: 8 };
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)),
      fc.constantFrom('INVITE sip:x SIP/2.0', 'SIP/2.0 200 OK', '\r\n', '\r', '\n', 'l: ', 'Content-Length:', '12', '999999', ' ', ':', 'A: b').map(b),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.array(fc.nat({ max: 2000 }), { maxLength: 30 }), (pieces, cuts) => {
        const { f, out } = framer({ limits });
        for (const chunk of split(Buffer.concat(pieces), cuts)) {
          f.push(chunk); // must not throw
          assert.ok(f.bufferedBytes <= limits.maxHeaderBytes + limits.maxBodyBytes, `buffered ${f.bufferedBytes}`);
        }
        assert.ok(out.errors.length <= 1);
        for (const e of out.errors) assert.ok(e instanceof FramingError);
        if (out.errors.length === 1) assert.equal(f.bufferedBytes, 0);
      }),
      { numRuns: 500 },
    );
  });

  it('valid streams with random byte mutations never throw and stay within the limits', () => {
    const limits = { maxHeaderBytes: 512, maxBodyBytes: 256, maxHeaders: 10 };
    const mutation = fc.tuple(fc.nat(), fc.constantFrom(0x0d, 0x0a, 0x3a, 0x20, 0x00, 0x39, 0x6c, 0xff));
    fc.assert(
      fc.property(stream, fc.array(mutation, { minLength: 1, maxLength: 6 }), ({ wire, cuts }, mutations) => {
        const bytes = Buffer.from(wire);
        for (const [at, value] of mutations) bytes[at % bytes.length] = value;
        const { f, out } = framer({ limits });
        for (const chunk of split(bytes, cuts)) {
          f.push(chunk);
          assert.ok(f.bufferedBytes <= limits.maxHeaderBytes + limits.maxBodyBytes);
        }
        assert.ok(out.errors.length <= 1);
        for (const e of out.errors) assert.ok(e instanceof FramingError);
      }),
      { numRuns: 500 },
    );
  });
});
