/**
 * Heap per long-lived dialog. A presence server keeps one {@link Dialog} per
 * subscribed device for hours (RFC 4662 contact-list SUBSCRIBE), so what a
 * dialog keeps alive is paid tens of thousands of times and lengthens every
 * major GC.
 *
 * Builds N UAS dialogs the way the presence front end does: parse a
 * SUBSCRIBE as it arrives off the wire (one Buffer), answer 200 with a To
 * tag and our Contact, `createUasDialog(req, res, { localContact })`; keeps
 * only the dialogs, collects, and prints heapUsed per dialog (the array that
 * holds them costs 8 B of that).
 *
 *   npx tsc -b && node --expose-gc packages/sip/dist/dialog/dialog-memory.bench.js [N]
 */
import { NameAddr } from '../grammar/name-addr.js';
import { SipUri } from '../grammar/uri.js';
import { createResponse, newTag } from '../message/factory.js';
import type { SipRequest } from '../message/message.js';
import { parseMessage } from '../message/parser.js';
import { createUasDialog } from './create-dialog.js';
import type { Dialog } from './dialog.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const N = Number(process.argv[2] ?? 10_000);
const DOMAIN = 'example.com';

/** The SUBSCRIBE of bench/user-model/run.mjs: device d of user i subscribes its contact list. */
function subscribeText(i: number): string {
  const port = 40000 + (i % 16);
  return [
    `SUBSCRIBE sip:user${i};list=contacts@${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${newTag()}${newTag()};rport`,
    'Max-Forwards: 70',
    `From: <sip:user${i}@${DOMAIN}>;tag=${newTag()}`,
    `To: <sip:user${i};list=contacts@${DOMAIN}>`,
    `Call-ID: ${newTag()}${newTag()}`,
    'CSeq: 2 SUBSCRIBE',
    `Contact: <sip:d${i}@127.0.0.1:${port};transport=udp>`,
    'Event: presence',
    'Expires: 3600',
    'Supported: eventlist',
    'Accept: application/pidf+xml, application/rlmi+xml, multipart/related',
    `Authorization: Digest username="user${i}", realm="${DOMAIN}", nonce="${newTag()}${newTag()}${newTag()}", uri="sip:user${i};list=contacts@${DOMAIN}", response="${newTag()}${newTag()}${newTag()}", algorithm=MD5, cnonce="${newTag()}", qop=auth, nc=00000001`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** One dialog, built as packages/server/src/services/presence/subscribe-handler.ts does. */
function makeDialog(i: number): Dialog {
  const req = parseMessage(Buffer.from(subscribeText(i))) as SipRequest;
  // What the handler reads before it answers.
  void req.to.tag;
  void req.from.tag;
  void req.callId;
  void req.cseq;
  void req.contacts;
  const contact = new NameAddr(new SipUri('sip', undefined, undefined, '192.0.2.1', 5060));
  const res = createResponse(req, 200, { toTag: newTag(), headers: [['Expires', 3600], ['Contact', contact.toString()]] });
  return createUasDialog(req, res, { localContact: contact });
}

function heapUsed(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

// Warm up (compiled code, hidden classes, string tables) before the baseline.
for (let i = 0; i < 2_000; i++) makeDialog(i);
const kept: Dialog[] = new Array<Dialog>(N);
const before = heapUsed();
for (let i = 0; i < N; i++) kept[i] = makeDialog(i);
const after = heapUsed();
console.log(`${N} dialogs: ${((after - before) / N).toFixed(0)} B heap per dialog (${((after - before) / 2 ** 20).toFixed(1)} MB)`);
// Keep them alive until measured.
if (kept.length !== N) throw new Error('unreachable');
