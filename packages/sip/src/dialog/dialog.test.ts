import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { InvalidStateError } from '../errors.js';
import { parseNameAddr } from '../grammar/name-addr.js';
import { createResponse } from '../message/factory.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { parseMessage } from '../message/parser.js';
import { createDialogFromNotify, createUacDialog, createUasDialog } from './create-dialog.js';
import { DialogSet } from './dialog-set.js';
import { DialogState } from './dialog-state.js';
import { DialogTable } from './dialog-table.js';
import { dialogKey } from './dialog-id.js';

const CRLF = '\r\n';
function req(lines: string[]): SipRequest {
  return parseMessage(lines.join(CRLF) + CRLF + CRLF) as SipRequest;
}

const invite = () =>
  req([
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8',
    'Max-Forwards: 70',
    'To: Bob <sip:bob@biloxi.example.com>',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    'Call-ID: a84b4c76e66710',
    'CSeq: 314159 INVITE',
    'Contact: <sip:alice@pc33.atlanta.example.com>',
    'Record-Route: <sip:p2.biloxi.example.com;lr>, <sip:p1.atlanta.example.com;lr>',
    'Content-Length: 0',
  ]);

function answer(inv: SipRequest, status: number, tag: string, contact = '<sip:bob@192.0.2.4>'): SipResponse {
  return createResponse(inv, status, { toTag: tag, headers: [['Contact', contact]] });
}

describe('Dialog (§12)', () => {
  it('dialog route set reversed for UAC, in order for UAS (§12.1.1, §12.1.2)', () => {
    const inv = invite();
    const ok = answer(inv, 200, 'b0b');
    const uac = createUacDialog(inv, ok);
    assert.deepEqual(uac.routeSet.map(String), ['<sip:p1.atlanta.example.com;lr>', '<sip:p2.biloxi.example.com;lr>']);
    assert.equal(uac.remoteTarget.toString(), 'sip:bob@192.0.2.4');
    assert.deepEqual(uac.id, { callId: 'a84b4c76e66710', localTag: '1928301774', remoteTag: 'b0b' });
    assert.equal(uac.state, DialogState.Confirmed);
    assert.equal(uac.localSeq, 314159);

    const uas = createUasDialog(inv, ok);
    assert.deepEqual(uas.routeSet.map(String), ['<sip:p2.biloxi.example.com;lr>', '<sip:p1.atlanta.example.com;lr>']);
    assert.equal(uas.remoteTarget.toString(), 'sip:alice@pc33.atlanta.example.com');
    assert.deepEqual(uas.id, { callId: 'a84b4c76e66710', localTag: 'b0b', remoteTag: '1928301774' });
    assert.equal(uas.remoteSeq, 314159);
    assert.equal(uas.localSeq, undefined);
  });

  it('in-dialog requests: loose routing keeps the remote target as Request-URI (§12.2.1.1)', () => {
    const inv = invite();
    const d = createUacDialog(inv, answer(inv, 200, 'b0b'));
    d.localContact = parseNameAddr('<sip:alice@pc33.atlanta.example.com>', 'contact');
    const bye = d.createRequest('BYE');
    assert.equal(bye.requestUri, 'sip:bob@192.0.2.4');
    assert.deepEqual(bye.getAll('route'), ['<sip:p1.atlanta.example.com;lr>', '<sip:p2.biloxi.example.com;lr>']);
    assert.equal(bye.cseq.seq, 314160);
    assert.equal(bye.from.tag, '1928301774');
    assert.equal(bye.to.tag, 'b0b');
    assert.equal(bye.has('contact'), false, 'BYE is no target refresh');
    const reinvite = d.createRequest('INVITE', { body: 'v=0\r\n', contentType: 'application/sdp' });
    assert.equal(reinvite.cseq.seq, 314161);
    assert.equal(reinvite.get('contact'), '<sip:alice@pc33.atlanta.example.com>');
    const ack = d.createAck(reinvite);
    assert.equal(ack.cseq.seq, 314161);
    assert.equal(ack.cseq.method, 'ACK');
    assert.throws(() => d.createRequest('ACK'), TypeError);
  });

  it('strict-routing fix-up: the first route becomes the Request-URI, the remote target goes last (§12.2.1.1)', () => {
    const inv = invite();
    inv.set('Record-Route', '<sip:p2.biloxi.example.com;lr>, <sip:old.atlanta.example.com;method=INVITE>');
    const d = createUacDialog(inv, answer(inv, 200, 'b0b'));
    const bye = d.createRequest('BYE');
    assert.equal(bye.requestUri, 'sip:old.atlanta.example.com', 'method is not allowed in a Request-URI');
    assert.deepEqual(bye.getAll('route'), ['<sip:p2.biloxi.example.com;lr>', '<sip:bob@192.0.2.4>']);
  });

  it('CSeq lower in dialog → 500; target refresh on re-INVITE (§12.2.2)', () => {
    const inv = invite();
    const d = createUasDialog(inv, answer(inv, 200, 'b0b'));
    const mk = (method: string, seq: number, contact?: string) => {
      const r = d.createRequest(method === 'ACK' ? 'INFO' : method); // shape only; rewritten as the peer's
      if (method === 'ACK') return parseMessage(r.toString().replace(/^INFO/, 'ACK')) as SipRequest;
      r.set('CSeq', `${seq} ${method}`);
      if (contact) r.set('Contact', contact);
      return r;
    };
    assert.equal(d.receiveRequest(mk('INFO', 314158)), 500);
    assert.equal(d.receiveRequest(mk('INFO', 314160)), undefined);
    assert.equal(d.remoteSeq, 314160);
    assert.equal(d.receiveRequest(mk('INVITE', 314161, '<sip:alice@198.51.100.9>')), undefined);
    assert.equal(d.remoteTarget.toString(), 'sip:alice@198.51.100.9');
    const ack = mk('ACK', 1);
    ack.set('CSeq', '1 ACK');
    assert.equal(d.receiveRequest(ack), undefined, 'ACK is not checked');
  });

  it('a 2xx to a target refresh updates the remote target; 481 ends the dialog (§12.2.1.2)', () => {
    const inv = invite();
    const d = createUacDialog(inv, answer(inv, 200, 'b0b'));
    const update = d.createRequest('UPDATE');
    d.receiveResponse(update, answer(update, 200, 'b0b', '<sip:bob@203.0.113.7>'));
    assert.equal(d.remoteTarget.toString(), 'sip:bob@203.0.113.7');
    const info = d.createRequest('INFO');
    assert.equal(d.receiveResponse(info, answer(info, 481, 'b0b')), DialogState.Terminated);
    assert.throws(() => d.createRequest('BYE'), InvalidStateError);
    assert.throws(() => d.confirm(), InvalidStateError);
    d.terminate(); // idempotent
  });

  it('forked early dialogs are keyed by remote tag; the 2xx confirms one and recomputes its route set', () => {
    const inv = invite();
    const set = new DialogSet(inv);
    const created: string[] = [];
    set.onDialog = (d) => created.push(d.id.remoteTag);
    assert.equal(set.receiveResponse(createResponse(inv, 100)), undefined);
    const a = set.receiveResponse(answer(inv, 180, 'fork-a'))!;
    const b = set.receiveResponse(answer(inv, 183, 'fork-b'))!;
    assert.equal(set.receiveResponse(answer(inv, 180, 'fork-a')), a);
    assert.deepEqual(created, ['fork-a', 'fork-b']);
    assert.equal(a.state, DialogState.Early);
    const ok = answer(inv, 200, 'fork-b');
    ok.set('Record-Route', '<sip:only.example.com;lr>');
    assert.equal(set.receiveResponse(ok), b);
    assert.equal(b.state, DialogState.Confirmed);
    assert.deepEqual(b.routeSet.map(String), ['<sip:only.example.com;lr>']);
    set.terminateEarly();
    assert.equal(a.state, DialogState.Terminated);
    assert.equal(b.state, DialogState.Confirmed);
  });

  it('a NOTIFY before the 2xx creates the subscription dialog (RFC 6665 §4.1.2.4)', () => {
    const sub = req([
      'SUBSCRIBE sip:bob@biloxi.example.com SIP/2.0',
      'Via: SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bKsub1',
      'Max-Forwards: 70',
      'To: <sip:bob@biloxi.example.com>',
      'From: <sip:alice@atlanta.example.com>;tag=al1',
      'Call-ID: sub-1',
      'CSeq: 7 SUBSCRIBE',
      'Event: presence',
      'Contact: <sip:alice@pc33.atlanta.example.com>',
      'Content-Length: 0',
    ]);
    const notify = req([
      'NOTIFY sip:alice@pc33.atlanta.example.com SIP/2.0',
      'Via: SIP/2.0/TCP ps.biloxi.example.com;branch=z9hG4bKn1',
      'Max-Forwards: 70',
      'To: <sip:alice@atlanta.example.com>;tag=al1',
      'From: <sip:bob@biloxi.example.com>;tag=ps1',
      'Call-ID: sub-1',
      'CSeq: 1 NOTIFY',
      'Event: presence',
      'Subscription-State: active;expires=600',
      'Contact: <sip:ps.biloxi.example.com>',
      'Record-Route: <sip:proxy.biloxi.example.com;lr>',
      'Content-Length: 0',
    ]);
    const set = new DialogSet(sub);
    const d = set.receiveNotify(notify)!;
    assert.equal(d.state, DialogState.Confirmed);
    assert.deepEqual(d.id, { callId: 'sub-1', localTag: 'al1', remoteTag: 'ps1' });
    assert.equal(d.remoteTarget.toString(), 'sip:ps.biloxi.example.com');
    assert.deepEqual(d.routeSet.map(String), ['<sip:proxy.biloxi.example.com;lr>']);
    assert.equal(d.remoteSeq, 1);
    const refresh = d.createRequest('SUBSCRIBE', { headers: [['Event', 'presence'], ['Expires', 600]] });
    assert.equal(refresh.cseq.seq, 8);
    assert.equal(refresh.requestUri, 'sip:ps.biloxi.example.com');
    const ok = createResponse(sub, 200, { toTag: 'ps1', headers: [['Contact', '<sip:ps.biloxi.example.com>']] });
    assert.equal(set.receiveResponse(ok), d, 'the late 2xx lands in the same dialog');
    assert.throws(() => createDialogFromNotify(sub, invite()), TypeError);
  });

  it('DialogTable finds dialogs from both sides and forgets terminated ones', () => {
    const inv = invite();
    const ok = answer(inv, 200, 'b0b');
    const table = new DialogTable(2);
    const uas = createUasDialog(inv, ok);
    assert.equal(table.add(uas), true);
    const bye = parseMessage(
      ['BYE sip:bob@192.0.2.4 SIP/2.0', 'Via: SIP/2.0/UDP x;branch=z9hG4bK1', 'From: <sip:alice@atlanta.example.com>;tag=1928301774', 'To: <sip:bob@biloxi.example.com>;tag=b0b', 'Call-ID: a84b4c76e66710', 'CSeq: 314160 BYE', '', ''].join(CRLF),
    ) as SipRequest;
    assert.equal(table.findForRequest(bye), uas);
    const uac = createUacDialog(inv, ok);
    table.add(uac);
    assert.equal(table.findForResponse(ok), uac);
    assert.equal(table.add(createUacDialog(inv, answer(inv, 200, 'third'))), false, 'bounded');
    uas.terminate();
    assert.equal(table.size, 1);
    table.clear();
    assert.equal(uac.state, DialogState.Terminated);
  });
});

describe('Dialog memory (a server keeps one per subscribed device, for hours)', () => {
  const subscribe = (pad: string) =>
    req([
      'SUBSCRIBE sip:user1234;list=contacts@example.com SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKsubscribe-memory;rport',
      'Max-Forwards: 70',
      'From: "A Display Name Long Enough" <sip:user1234@example.com>;tag=from-tag-long-enough-to-be-sliced',
      'To: <sip:user1234;list=contacts@example.com>',
      'Call-ID: call-id-long-enough-to-be-sliced@127.0.0.1',
      'CSeq: 1 SUBSCRIBE',
      'Contact: <sip:device-with-a-long-user-part@127.0.0.1:40000;transport=udp;x-long-parameter=a-long-parameter-value>',
      'Record-Route: <sip:proxy-with-a-long-host-name.example.com;lr>',
      `X-Pad: ${pad}`,
      'Event: presence',
      'Content-Length: 0',
    ]);

  it('keeps nothing of the message that created it alive', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const PAD = 4 * 1024 * 1024;
    const make = () => {
      const sub = subscribe('p'.repeat(PAD));
      const ok = createResponse(sub, 200, { toTag: 'to-tag-long-enough-to-be-sliced', headers: [['Contact', '<sip:192.0.2.1>']] });
      return createUasDialog(sub, ok);
    };
    make(); // compiled code and caches before the baseline
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    const d = make();
    gc();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // The message head (with its 4 MB header) is gone: each kept string is an own copy.
    assert.ok(grown < PAD / 4, `the dialog keeps ${grown} B alive`);
    assert.equal(d.id.callId, 'call-id-long-enough-to-be-sliced@127.0.0.1');
    assert.equal(d.id.remoteTag, 'from-tag-long-enough-to-be-sliced');
    assert.equal(d.key, dialogKey(d.id));
    assert.equal(d.localUri.toString(), '<sip:user1234;list=contacts@example.com>');
    assert.equal(d.remoteUri.toString(), '"A Display Name Long Enough" <sip:user1234@example.com>');
    assert.equal(d.remoteTarget.toString(), 'sip:device-with-a-long-user-part@127.0.0.1:40000;transport=udp;x-long-parameter=a-long-parameter-value');
    assert.deepEqual(d.routeSet.map(String), ['<sip:proxy-with-a-long-host-name.example.com;lr>']);
    const notify = d.createRequest('NOTIFY');
    assert.equal(notify.requestUri, d.remoteTarget.toString());
    assert.equal(notify.to.toString(), '"A Display Name Long Enough" <sip:user1234@example.com>;tag=from-tag-long-enough-to-be-sliced');
  });

  it('termination callbacks: each once, in order, a repeated one once, removable', () => {
    const inv = invite();
    const d = createUacDialog(inv, answer(inv, 200, 'b0b'));
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    const c = () => calls.push('c');
    d.whenTerminated(a);
    d.whenTerminated(a);
    const offB = d.whenTerminated(b);
    d.whenTerminated(c);
    offB();
    offB();
    const offA = d.whenTerminated(a);
    const offC = d.whenTerminated(c);
    offC();
    d.whenTerminated(b);
    d.terminate();
    d.terminate();
    assert.deepEqual(calls, ['a', 'b']);
    offA();
    d.whenTerminated(c);
    assert.deepEqual(calls, ['a', 'b', 'c'], 'called at once on a terminated dialog');

    const e = createUacDialog(inv, answer(inv, 200, 'e0e'));
    const order: string[] = [];
    const offFirst = e.whenTerminated(() => order.push('first'));
    e.whenTerminated(() => {
      order.push('second');
      offFirst(); // too late: every callback registered at termination runs
    });
    e.whenTerminated(() => order.push('third'));
    e.terminate();
    assert.deepEqual(order, ['first', 'second', 'third']);
  });

  it('an empty route set is shared and read-only; a refresh with the same Contact keeps the target', () => {
    const sub = subscribe('x');
    const ok = createResponse(sub, 200, { toTag: 't1', headers: [['Contact', '<sip:192.0.2.1>']] });
    const d = createUasDialog(parseMessage(sub.toString().replace(/Record-Route:[^\r]*\r\n/, '')) as SipRequest, ok);
    const e = createUasDialog(parseMessage(sub.toString().replace(/Record-Route:[^\r]*\r\n/, '')) as SipRequest, ok);
    assert.equal(d.routeSet.length, 0);
    assert.equal(d.routeSet, e.routeSet);
    assert.ok(Object.isFrozen(d.routeSet));
    const target = d.remoteTarget;
    const refresh = (contact: string, seq: number) =>
      req([
        'SUBSCRIBE sip:192.0.2.1 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKrefresh' + seq,
        'From: <sip:user1234@example.com>;tag=from-tag-long-enough-to-be-sliced',
        'To: <sip:user1234;list=contacts@example.com>;tag=t1',
        'Call-ID: call-id-long-enough-to-be-sliced@127.0.0.1',
        `CSeq: ${seq} SUBSCRIBE`,
        `Contact: ${contact}`,
        'Content-Length: 0',
      ]);
    assert.equal(d.receiveRequest(refresh('<sip:device-with-a-long-user-part@127.0.0.1:40000;transport=udp;x-long-parameter=a-long-parameter-value>', 2)), undefined);
    assert.equal(d.remoteTarget, target);
    assert.equal(d.receiveRequest(refresh('<sip:device-with-a-long-user-part@192.0.2.7:40000;transport=udp>', 3)), undefined);
    assert.equal(d.remoteTarget.toString(), 'sip:device-with-a-long-user-part@192.0.2.7:40000;transport=udp');
  });
});
