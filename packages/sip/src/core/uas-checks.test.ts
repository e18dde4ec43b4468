import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SipParseError } from '../errors.js';
import type { SipRequest } from '../message/message.js';
import { parseMessage } from '../message/parser.js';
import { loadCorpus } from '../testing/conformance.js';
import { answerMalformed } from './malformed.js';
import { defaultNextHop } from './next-hop.js';
import { createOutOfDialogRequest } from './request-factory.js';
import { checkContent, checkMethod, checkRequest, checkRequire, checkUriScheme, type UasPolicy } from './uas-checks.js';

const corpus = new Map(loadCorpus().map((c) => [c.id, c.bytes]));
const parsed = (id: string) => parseMessage(corpus.get(id)!, { datagram: true }) as SipRequest;
const policy: UasPolicy = { allowedMethods: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER'], acceptTypes: ['application/sdp'] };

describe('§8.2 UAS checks', () => {
  it('RFC 4475 application-layer messages get the RFC answers', () => {
    assert.equal(checkUriScheme(parsed('rfc4475/unkscm'), policy)?.status, 416);
    assert.equal(checkUriScheme(parsed('rfc4475/novelsc'), policy)?.status, 416);
    const bext = checkRequire(parsed('rfc4475/bext01'), policy);
    assert.equal(bext?.status, 420);
    assert.equal(bext?.get('unsupported'), 'nothingSupportsThis, nothingSupportsThisEither');
    assert.equal(checkMethod(parsed('rfc4475/unksm2'), policy), null, 'unksm2 is a REGISTER with an odd URI scheme in To');
    assert.equal(checkContent(parsed('rfc4475/invut'), policy)?.status, 415);
    assert.equal(checkContent(parsed('rfc4475/invut'), policy)?.get('accept'), 'application/sdp');
    assert.equal(checkRequest(parsed('rfc4475/inv2543'), policy), null);
    // sdp01: an SDP body we accept; its Accept asks for a response type we cannot give (406 is the application's).
    assert.equal(checkRequest(parsed('rfc4475/sdp01'), policy), null);
  });

  it('405 with Allow for a known method, 501 for an unknown one; ACK/CANCEL always pass', () => {
    const mk = (method: string) =>
      createOutOfDialogRequest({ method, requestUri: 'sip:bob@example.com', from: '<sip:alice@example.com>' });
    const r405 = checkMethod(mk('SUBSCRIBE'), policy, 'tag1')!;
    assert.equal(r405.status, 405);
    assert.equal(r405.get('allow'), 'INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER');
    assert.equal(r405.to.tag, 'tag1');
    assert.equal(checkMethod(mk('NEWMETHOD'), policy)?.status, 501);
    const enc = mk('OPTIONS');
    enc.setBody('x', 'application/sdp');
    enc.set('Content-Encoding', 'gzip');
    assert.equal(checkContent(enc, policy)?.get('accept-encoding'), 'identity');
    const merged = checkRequest(mk('OPTIONS'), policy, { merged: true });
    assert.equal(merged?.status, 482);
  });

  it('answerMalformed: 400 with the reason whenever the request has a Via line, else null', () => {
    for (const id of ['rfc4475/badaspec', 'rfc4475/baddn', 'rfc4475/mismatch01', 'rfc4475/escruri', 'rfc4475/ltgtruri', 'rfc4475/badinv01']) {
      const bytes = corpus.get(id)!;
      let err: unknown;
      let res;
      try {
        parseMessage(bytes, { datagram: true }).validate();
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof SipParseError, id);
      res = answerMalformed(bytes, err, { datagram: true });
      assert.equal(res?.status, 400, id);
      assert.match(res!.reason, /^Bad Request \(.+\)$/, id);
      assert.doesNotThrow(() => parseMessage(res!.toBuffer()), `${id}: our 400 parses`);
    }
    const badvers = corpus.get('rfc4475/badvers')!;
    let verr: unknown;
    try {
      parseMessage(badvers).validate();
    } catch (e) {
      verr = e;
    }
    assert.equal(answerMalformed(badvers, verr)?.status, 505);
    // RFC 4475 §3.3.1: "ideally" a 400 even without Call-ID, From and To; the copy leaves them out.
    const insuf = answerMalformed(corpus.get('rfc4475/insuf')!, new Error('x'));
    assert.equal(insuf?.status, 400);
    assert.equal(insuf?.get('call-id'), undefined);
    assert.equal(insuf?.get('cseq'), '193942 INVITE');
    assert.equal(answerMalformed(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n'), new Error('x')), null, 'no Via: nowhere to answer');
    assert.equal(answerMalformed(corpus.get('rfc4475/scalarlg')!, new Error('x')), null, 'a response is never answered');
    assert.equal(answerMalformed(Buffer.from('garbage'), new Error('x')), null);
  });
});

describe('UAC request building (§8.1.1)', () => {
  it('builds an out-of-dialog request with tag, Call-ID, CSeq, Max-Forwards, Contact and preloaded Route', () => {
    const req = createOutOfDialogRequest({
      method: 'INVITE',
      requestUri: 'sip:bob@example.com',
      from: '"Alice" <sip:alice@example.com>',
      to: '<sip:bob@example.com>;tag=stale',
      contact: '<sip:alice@192.0.2.1:5060>',
      routeSet: ['<sip:outbound.example.com;lr>'],
      body: 'v=0\r\n',
      contentType: 'application/sdp',
    });
    assert.ok(req.from.tag && req.from.tag.length >= 8);
    assert.equal(req.to.tag, undefined);
    assert.equal(req.cseq.seq, 1);
    assert.equal(req.maxForwards, 70);
    assert.deepEqual(req.getAll('route'), ['<sip:outbound.example.com;lr>']);
    assert.equal(req.get('contact'), '<sip:alice@192.0.2.1:5060>');
    assert.deepEqual(defaultNextHop(req), { protocol: 'udp', host: 'outbound.example.com', port: 5060 });
    const strict = createOutOfDialogRequest({ method: 'OPTIONS', requestUri: 'sip:bob@example.com', from: '<sip:a@example.com>', routeSet: ['<sip:strict.example.com>'] });
    assert.equal(strict.requestUri, 'sip:strict.example.com');
    assert.deepEqual(strict.getAll('route'), ['<sip:bob@example.com>']);
    const tls = createOutOfDialogRequest({ method: 'OPTIONS', requestUri: 'sips:bob@example.com;maddr=192.0.2.9', from: '<sip:a@example.com>' });
    assert.deepEqual(defaultNextHop(tls), { protocol: 'tls', host: '192.0.2.9', port: 5061 });
    assert.throws(() => createOutOfDialogRequest({ method: 'ACK', requestUri: 'sip:b@x', from: '<sip:a@x>' }), TypeError);
  });
});
