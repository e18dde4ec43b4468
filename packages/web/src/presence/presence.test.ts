// Unit tests of the pure presence readers and writers (node --import tsx --test).
import { DOMParser } from '@xmldom/xmldom';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { availabilityText, choiceOf, classOf, OFFLINE_PRESENCE, presenceFromRest, type Presence } from './availability.js';
import { buildIsComposing, parseIsComposing } from './iscomposing.js';
import { MultipartError, parseContentType, splitMultipart } from './multipart.js';
import { buildPublishPidf, parsePidf, PidfError } from './pidf.js';
import { parseListNotify } from './rlmi.js';
import type { XmlNode, XmlParse } from './xml.js';

const xml: XmlParse = (t) => {
  const doc = new DOMParser({ onError: (level: string, msg: string) => { if (level !== 'warning') throw new Error(msg); } }).parseFromString(t, 'application/xml');
  return doc.documentElement as unknown as XmlNode;
};

// A watcher document exactly as the server's pidf-build.ts writes it.
const bobBusy = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:p="urn:parley:params:xml:ns:pidf:presence" entity="sip:bob@example.com">',
  '<tuple id="pres">',
  '<status><basic>open</basic></status>',
  '<contact>sip:bob@example.com</contact>',
  '<note>In the lab &amp; busy</note>',
  '</tuple>',
  '<dm:person id="person">',
  '<rpid:activities><rpid:busy/></rpid:activities>',
  '<dm:note>In the lab &amp; busy</dm:note>',
  '<p:availability>6500</p:availability>',
  '<p:state>busy</p:state>',
  '</dm:person>',
  '</presence>',
  '',
].join('\r\n');

const carolAway = bobBusy
  .replace('sip:bob@example.com', 'sip:carol@example.com')
  .replace('<rpid:activities><rpid:busy/></rpid:activities>', '<rpid:user-input last-input="2026-01-01T10:00:00.000Z">idle</rpid:user-input>')
  .replace('6500', '15500')
  .replace('<p:state>busy</p:state>', '<p:state>away</p:state>');

function listBody(version: number, full: boolean, docs: Array<[string, string | undefined]>): { ct: string; body: string } {
  const b = 'parley-rl-abc';
  const rl = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:alice;list=contacts@example.com" version="${version}" fullState="${full}">`,
    ...docs.map(([u, d], i) => `<resource uri="${u}"><name>N${i}</name>${d ? `<instance id="i${i}" state="active" cid="c${i}@example.com"/>` : ''}</resource>`),
    '</list>',
  ].join('\r\n');
  let body = `--${b}\r\nContent-Type: application/rlmi+xml\r\nContent-ID: <root@example.com>\r\n\r\n${rl}\r\n`;
  docs.forEach(([, d], i) => {
    if (d) body += `--${b}\r\nContent-Type: application/pidf+xml\r\nContent-ID: <c${i}@example.com>\r\n\r\n${d}\r\n`;
  });
  body += `--${b}--\r\n`;
  return { ct: `multipart/related;boundary=${b};type="application/rlmi+xml";start="<root@example.com>"`, body };
}

describe('PIDF', () => {
  it('reads the server watcher document: availability, state, activity, note', () => {
    const p = parsePidf(bobBusy, xml);
    assert.equal(p.entity, 'sip:bob@example.com');
    assert.equal(p.availability, 6500);
    assert.equal(p.cls, 'busy');
    assert.equal(p.activity, 'busy');
    assert.equal(p.note, 'In the lab & busy');
  });
  it('reads idle since from user-input last-input', () => {
    const p = parsePidf(carolAway, xml);
    assert.equal(p.cls, 'away');
    assert.equal(p.idleSince, Date.parse('2026-01-01T10:00:00.000Z'));
    assert.equal(availabilityText(p, Date.parse('2026-01-01T10:12:30Z')), 'Away 12 mins');
  });
  it('reads a plain SIMPLE document: closed is Offline, open with rpid away is Away', () => {
    const base = '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:x@y"><tuple id="t"><status><basic>BASIC</basic></status></tuple>ACT</presence>';
    assert.equal(parsePidf(base.replace('BASIC', 'closed').replace('ACT', ''), xml).cls, 'offline');
    assert.equal(parsePidf(base.replace('BASIC', 'open').replace('ACT', ''), xml).cls, 'available');
    assert.equal(parsePidf(base.replace('BASIC', 'open').replace('ACT', '<rpid:activities><rpid:away/></rpid:activities>'), xml).cls, 'away');
  });
  it('refuses a document that is not PIDF', () => {
    assert.throws(() => parsePidf('<list xmlns="urn:ietf:params:xml:ns:rlmi"/>', xml), PidfError);
  });
  it('writes a publication the reader (and the server) understands, with escaping', () => {
    const doc = buildPublishPidf({ entity: 'sip:alice@example.com', availability: 9500, note: 'Back <soon> & "late"', idleSince: Date.parse('2026-01-01T09:00:00Z') });
    const p = parsePidf(doc, xml);
    assert.equal(p.availability, 9500);
    assert.equal(p.cls, 'dnd');
    assert.equal(p.note, 'Back <soon> & "late"');
    assert.equal(p.idleSince, Date.parse('2026-01-01T09:00:00Z'));
    const reset = buildPublishPidf({ entity: 'sip:alice@example.com', availability: undefined, note: '', idleSince: undefined });
    assert.ok(!reset.includes('p:availability>'), 'Reset publishes no manual availability');
    assert.ok(reset.includes('<dm:note></dm:note>'), 'an empty note clears it');
  });
});

describe('multipart', () => {
  it('parses Content-Type parameters, quoted or not', () => {
    const ct = parseContentType('multipart/related;boundary=abc;type="application/rlmi+xml";start="<x@y>"');
    assert.equal(ct.type, 'multipart/related');
    assert.equal(ct.params.get('boundary'), 'abc');
    assert.equal(ct.params.get('start'), '<x@y>');
  });
  it('splits parts with headers, keeping bodies intact', () => {
    const parts = splitMultipart('preamble\r\n--b\r\nContent-Type: text/plain\r\nContent-ID: <1>\r\n\r\nline1\r\nline2\r\n--b\r\nContent-Type: text/x\r\n\r\n--not-a-boundary\r\n--b--\r\n', 'b');
    assert.equal(parts.length, 2);
    assert.equal(parts[0].headers.get('content-id'), '<1>');
    assert.equal(parts[0].body, 'line1\r\nline2');
    assert.equal(parts[1].body, '--not-a-boundary');
  });
  it('refuses a body without its close delimiter', () => {
    assert.throws(() => splitMultipart('--b\r\nContent-Type: text/plain\r\n\r\nx\r\n', 'b'), MultipartError);
  });
});

describe('RLMI list NOTIFY', () => {
  it('full state: every resource with its PIDF, matched by cid', () => {
    const { ct, body } = listBody(0, true, [
      ['sip:bob@example.com', bobBusy],
      ['sip:carol@example.com', carolAway],
    ]);
    const n = parseListNotify(ct, body, xml);
    assert.equal(n.version, 0);
    assert.equal(n.fullState, true);
    assert.deepEqual(n.resources.map((r) => [r.uri, r.presence?.cls]), [
      ['sip:bob@example.com', 'busy'],
      ['sip:carol@example.com', 'away'],
    ]);
  });
  it('a resource without an instance has no presence', () => {
    const { ct, body } = listBody(3, false, [['sip:dave@example.com', undefined]]);
    const n = parseListNotify(ct, body, xml);
    assert.equal(n.fullState, false);
    assert.equal(n.resources[0].presence, undefined);
  });
});

describe('is-composing', () => {
  it('round-trips active and idle; defaults refresh to 120 s', () => {
    assert.deepEqual(parseIsComposing(buildIsComposing('active', 60), xml), { state: 'active', refreshS: 60 });
    assert.deepEqual(parseIsComposing(buildIsComposing('idle'), xml), { state: 'idle', refreshS: 120 });
    assert.equal(parseIsComposing('<x/>', xml), undefined);
  });
});

describe('availability', () => {
  it('classes by range and REST view', () => {
    assert.equal(classOf(3500), 'available');
    assert.equal(classOf(5000), 'inactive');
    assert.equal(classOf(7500), 'busy-idle');
    assert.equal(classOf(18500), 'offline');
    const p = presenceFromRest({ availability: 6500, state: 'busy', activity: 'on-the-phone', note: '', idleSince: null, location: null });
    assert.equal(p.note, undefined);
    assert.equal(availabilityText(p), 'In a call');
    assert.equal(presenceFromRest(undefined).cls, 'offline');
  });
});

describe('choiceOf (my own aggregated state)', () => {
  const p = (cls: Presence['cls'], extra: Partial<Presence> = {}): Presence => ({ ...OFFLINE_PRESENCE, cls, ...extra });
  it('reads a chosen state', () => {
    assert.equal(choiceOf(p('busy')), 'busy');
    assert.equal(choiceOf(p('busy-idle', { idleSince: 1 })), 'busy');
    assert.equal(choiceOf(p('dnd')), 'dnd');
    assert.equal(choiceOf(p('brb')), 'brb');
    assert.equal(choiceOf(p('away')), 'away');
    assert.equal(choiceOf(p('offline')), 'appear-offline');
    assert.equal(choiceOf(p('available')), 'available');
  });
  it('says nothing of idleness or an activity', () => {
    assert.equal(choiceOf(p('inactive', { idleSince: 1 })), undefined);
    assert.equal(choiceOf(p('away', { idleSince: 1 })), undefined);
    assert.equal(choiceOf(p('busy', { activity: 'on-the-phone' })), undefined);
    assert.equal(choiceOf(p('dnd', { activity: 'presentation' })), undefined);
  });
  it('takes Parley\'s <p:manual> of my own document as the truth', () => {
    const mine = (manual: string) => parsePidf(bobBusy.replace('<p:state>busy</p:state>', `<p:state>inactive</p:state>${manual}`), xml);
    assert.equal(mine('<p:manual>3500</p:manual>').manual, 3500);
    assert.equal(choiceOf(mine('<p:manual>3500</p:manual>')), 'available', 'Available chosen, although the machine made it Inactive');
    assert.equal(choiceOf(mine('<p:manual>18500</p:manual>')), 'appear-offline');
    assert.equal(choiceOf(mine('<p:manual>6500</p:manual>')), 'busy');
    assert.equal(mine('').manual, null, 'a Parley document without it: nobody chose');
    assert.equal(choiceOf(mine('')), 'reset');
    assert.equal(choiceOf(p('busy', { manual: null, activity: 'on-the-phone' })), 'reset', 'in a call, no choice: Reset');
  });
});
