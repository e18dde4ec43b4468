/**
 * Acceptance (issue: Standard Edition): each message of the RFC 4475 /
 * RFC 5118 torture corpus, sent over UDP to the running server, gets the
 * answer its RFC asks for, and the server stays up.
 *
 * Parley is a registrar and proxy, so RFC 4475 §3.3 answers that belong to a
 * UAS (415 for an unknown body, 406, 501) are not expected here: those
 * requests are routed (and, from our own domain, challenged first).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startParley, optionsPing, REPO } from '../harness/index.mjs';

const CORPUS = process.env.PARLEY_CONFORMANCE ?? join(REPO, '..', 'shared', 'conformance');

/** Exact status expected; 'none' = no answer (responses, or unanswerable). Others: any answer but 400/5xx. */
const EXPECT = {
  'rfc4475/badinv01': 400, 'rfc4475/clerr': 400, 'rfc4475/ncl': 400, 'rfc4475/scalar02': 400,
  'rfc4475/quotbal': 400, 'rfc4475/ltgtruri': 400, 'rfc4475/lwsruri': 400, 'rfc4475/lwsstart': 400,
  'rfc4475/escruri': 400, 'rfc4475/baddate': 400, 'rfc4475/regbadct': 400, 'rfc4475/badaspec': 400,
  'rfc4475/baddn': 400, 'rfc4475/mismatch01': 400, 'rfc4475/mismatch02': 400, 'rfc4475/insuf': 400,
  'rfc4475/multi01': 400, 'rfc4475/mcl01': 400,
  'rfc4475/badvers': 505,
  'rfc4475/unkscm': 416, 'rfc4475/novelsc': 416,
  'rfc4475/bext01': 420,
  'rfc4475/zeromf': 483,
  'rfc4475/regaut01': 401,
  'rfc4475/scalarlg': 'none', 'rfc4475/bigcode': 'none', 'rfc4475/bcast': 'none',
  'rfc4475/unreason': 'none', 'rfc4475/noreason': 'none',
  'rfc5118/ipv6-bad': 400, 'rfc5118/ipv6-bug-abnf-3-colons': 400,
  // An in-dialog BYE to [2001:db8::10]: the server listens on 127.0.0.1 only,
  // so the send fails; §16.9 treats that as a 503 and §16.7 step 6 turns a
  // chosen 503 into 500.
  'rfc5118/via-received-param-with-delim': 500,
};

let parley;
let sock;
const replies = new Map(); // Call-ID -> [status]

before(async () => {
  parley = await startParley();
  sock = createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  sock.on('message', (buf) => {
    const text = buf.toString('latin1');
    const status = /^SIP\/2\.0 (\d{3})/.exec(text)?.[1];
    const key = keyOf(text);
    if (!status || !key) return;
    if (!replies.has(key)) replies.set(key, []);
    replies.get(key).push(Number(status));
  });
});
after(async () => {
  sock?.close();
  await parley?.stop();
});

function callIdOf(text) {
  return /^(?:Call-ID|i)[ \t]*:[ \t]*(.*?)\r?$/im.exec(text)?.[1]?.trim();
}

/** The first branch parameter of the message (Via may be folded over lines). */
function branchOf(text) {
  return /branch\s*=\s*([^;\s,]+)/i.exec(text)?.[1];
}

function keyOf(text) {
  return callIdOf(text) ?? branchOf(text);
}


/**
 * Several corpus messages share a Call-ID and a top Via branch (RFC 5118's
 * all do): sent as they are, the server rightly takes the later ones for
 * retransmissions of the first (RFC 3261 §17.2.3). Each is made unique by a
 * suffix on its first branch and its Call-ID (headers only, so the body and
 * Content-Length are untouched); badbranch keeps its bare-cookie branch.
 */
function uniquify(bytes, n, id) {
  let text = bytes.toString('latin1');
  if (id !== 'rfc4475/badbranch') text = text.replace(/(branch=)([^;\s,]+)/i, `$1$2.u${n}`);
  text = text.replace(/^((?:Call-ID|i)\s*:\s*)(.*?)(\r?\n)/im, `$1$2.u${n}$3`);
  return Buffer.from(text, 'latin1');
}

const files = [];
for (const sub of ['rfc4475', 'rfc5118'])
  for (const f of readdirSync(join(CORPUS, sub)).sort()) if (f.endsWith('.dat')) files.push(`${sub}/${f.slice(0, -4)}`);

let n = 0;
for (const id of files) {
  const serial = ++n;
  test(`${id} → ${EXPECT[id] ?? 'answered, not 400/5xx'}`, { timeout: 10_000 }, async () => {
    const bytes = uniquify(readFileSync(join(CORPUS, `${id}.dat`)), serial, id);
    const key = keyOf(bytes.toString('latin1'));
    await new Promise((resolve, reject) => sock.send(bytes, parley.sipPort, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    const expected = EXPECT[id];
    const deadline = Date.now() + (expected === 'none' ? 700 : 3000);
    const finalOf = () => (key ? (replies.get(key) ?? []) : []).find((s) => s >= 200);
    while (Date.now() < deadline && finalOf() === undefined) await new Promise((r) => setTimeout(r, 20));
    const got = finalOf();
    if (expected === 'none') assert.equal(got, undefined, `${id} was answered ${got}`);
    else if (typeof expected === 'number') assert.equal(got, expected, `${id}: got ${got}`);
    else {
      assert.notEqual(got, undefined, `${id}: no answer`);
      assert.ok(got !== 400 && got < 500, `${id}: got ${got}`);
    }
  });
}

test('the server is still up and answers OPTIONS', async () => {
  assert.ok(await optionsPing({ port: parley.sipPort }));
});
