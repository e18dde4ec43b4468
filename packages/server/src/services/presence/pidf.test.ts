import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate } from './aggregate.js';
import fc from 'fast-check';
import { AVAILABILITY } from './availability.js';
import { buildPidf } from './pidf-build.js';
import { NS, parsePidf, PidfError } from './pidf-parse.js';
import { viewFor } from './privacy.js';
import { OFFLINE } from './aggregate.js';
import { descendants, parseXml, XmlError } from './xml.js';

const BUSY_DOC = `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
    xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:p="${NS.parley}" entity="sip:bob@example.com">
  <tuple id="t1"><status><basic>open</basic></status><contact priority="0.8">sip:bob@10.0.0.2</contact></tuple>
  <dm:person id="p1">
    <rpid:activities><rpid:busy/></rpid:activities>
    <dm:note>Writing the &lt;quarterly&gt; report &amp; more</dm:note>
    <rpid:user-input idle-threshold="600" last-input="2024-01-02T10:00:00Z">idle</rpid:user-input>
    <p:availability>6500</p:availability>
    <p:location>Building 4</p:location>
  </dm:person>
</presence>`;

test('XML: namespaces, entities, CDATA, comments; DOCTYPE and entity tricks are refused', () => {
  const root = parseXml('<?xml version="1.0"?><!-- hi --><a xmlns="urn:x" xmlns:b="urn:y"><b:c k=\'v&amp;w\'>t&#65;&#x42;<![CDATA[<raw>]]></b:c></a>');
  assert.equal(root.ns, 'urn:x');
  const [c] = descendants(root, 'urn:y', 'c');
  assert.equal(c.text, 'tAB<raw>');
  assert.equal(c.attrs.get('k'), 'v&w');
  for (const bad of [
    '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
    '<a>&x;</a>',
    '<a>AT&T</a>',
    '<a><b></a></b>',
    '<a>',
    '<a/><b/>',
    '<p:a/>',
    '<a x="1" x="2"/>',
    'text',
  ]) {
    assert.throws(() => parseXml(bad), XmlError, bad);
  }
  assert.throws(() => parseXml('<a>' + '<b>'.repeat(40) + '</b>'.repeat(40) + '</a>'), /deeper/);
  assert.throws(() => parseXml('<a>' + '<b/>'.repeat(50) + '</a>', { maxElements: 10 }), /elements/);
  assert.throws(() => parseXml(`<a>${'x'.repeat(100)}</a>`, { maxLength: 50 }), /longer/);
});

test('XML: no input makes the reader throw anything but XmlError', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: fc.constantFrom(...'<>/ab:="\'&;#x!-[]?CDATA xmlns'.split('')), maxLength: 120 })), (s) => {
      try {
        parseXml(s);
      } catch (e) {
        assert.ok(e instanceof XmlError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});

test('PIDF: basic, activities, note, idle since, availability and location', () => {
  const s = parsePidf(BUSY_DOC);
  assert.equal(s.entity, 'sip:bob@example.com');
  assert.equal(s.basic, 'open');
  assert.deepEqual(s.activities, ['busy']);
  assert.equal(s.note, 'Writing the <quarterly> report & more');
  assert.equal(s.idle, true);
  assert.equal(s.idleSince, Date.parse('2024-01-02T10:00:00Z'));
  assert.equal(s.availability, 6500);
  assert.equal(s.location, 'Building 4');
  assert.deepEqual(s.contacts, ['sip:bob@10.0.0.2']);
});

test('PIDF: tolerant of the old forms (note in presence, no person), strict on the root and on basic', () => {
  const old = parsePidf('<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b"><tuple id="x"><status><basic>closed</basic></status></tuple><note>gone</note></presence>');
  assert.equal(old.basic, 'closed');
  assert.equal(old.note, 'gone');
  assert.deepEqual(old.activities, []);
  assert.equal(old.availability, undefined);
  assert.throws(() => parsePidf('<presence/>'), PidfError);
  assert.throws(() => parsePidf('<presence xmlns="urn:ietf:params:xml:ns:pidf"><tuple id="x"><status><basic>maybe</basic></status></tuple></presence>'), PidfError);
  assert.throws(() => parsePidf(`<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:p="${NS.parley}"><p:availability>lots</p:availability></presence>`), PidfError);
  assert.throws(() => parsePidf('<presence xmlns="urn:ietf:params:xml:ns:pidf">', 10), PidfError);
});

test('PIDF built for a watcher reads back as what the watcher may see', () => {
  const state = { availability: AVAILABILITY.busy, activity: 'on-the-phone', note: 'In a call <now>', location: 'Home', idleSince: undefined, devices: 2 };
  const colleagues = parsePidf(buildPidf('sip:bob@example.com', viewFor(state, 'colleagues')));
  assert.equal(colleagues.basic, 'open');
  assert.equal(colleagues.availability, 6500);
  assert.deepEqual(colleagues.activities, ['on-the-phone']);
  assert.equal(colleagues.note, 'In a call <now>');
  assert.equal(colleagues.location, undefined);
  const family = parsePidf(buildPidf('sip:bob@example.com', viewFor(state, 'friends-family', { displayName: 'Bob', phone: '+1 555' })));
  assert.equal(family.location, 'Home');
  const blocked = buildPidf('sip:bob@example.com', viewFor(state, 'blocked'));
  assert.equal(blocked, buildPidf('sip:bob@example.com', viewFor(OFFLINE, 'colleagues')), 'blocked sees exactly a signed-out user');
  assert.equal(parsePidf(blocked).basic, 'closed');
});

test('out of office: <p:oof> or RPID vacation + note, carried through aggregation to the watchers the original shows it to', () => {
  const doc = (person: string) =>
    `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:p="${NS.parley}" entity="sip:bob@example.com"><tuple id="t"><status><basic>open</basic></status></tuple><dm:person id="p">${person}</dm:person></presence>`;
  const parley = parsePidf(doc('<p:availability>3500</p:availability><p:oof>Back on Monday; Carol covers</p:oof>'));
  assert.deepEqual(parley.oof, { active: true, note: 'Back on Monday; Carol covers' });
  assert.deepEqual(parsePidf(doc('<p:oof/>')).oof, { active: true, note: undefined });
  assert.deepEqual(parsePidf(doc('<p:oof active="false">ignored</p:oof>')).oof, { active: false, note: undefined });
  const rpid = parsePidf(doc('<rpid:activities><rpid:vacation/></rpid:activities><dm:note>Hiking until the 3rd</dm:note>'));
  assert.deepEqual(rpid.oof, { active: true, note: 'Hiking until the 3rd' });
  assert.equal(parsePidf(doc('<p:availability>6500</p:availability>')).oof, undefined, 'silent on OOF: leaves it as it was');

  const pub = (state: ReturnType<typeof parsePidf>, at: number, id: string) => ({ id, publishedAt: at, source: `udp:${id}`, state });
  const T = 1_700_000_000_000;
  // The OOF state comes with the latest publication that says anything of it; it changes no number.
  let s = aggregate([pub(parley, T, 'a'), pub(parsePidf(doc('<p:availability>6500</p:availability>')), T + 1, 'b')], [], T + 2).state;
  assert.equal(s.availability, AVAILABILITY.busy);
  assert.deepEqual(s.oof, { note: 'Back on Monday; Carol covers' });
  s = aggregate([pub(parley, T, 'a'), pub(parsePidf(doc('<p:oof active="false"/>')), T + 1, 'b')], [], T + 2).state;
  assert.equal(s.oof, undefined, 'ended');
  const offline = aggregate([pub(parsePidf(doc('<p:oof>Away all week</p:oof><p:availability>18500</p:availability>')), T, 'a')], [], T).state;
  assert.equal(offline.availability, AVAILABILITY.offline);
  assert.deepEqual(offline.oof, { note: 'Away all week' }, 'known while Offline, as the note');

  // Who sees it: colleagues, workgroup, friends and family; not external contacts, not the blocked.
  s = aggregate([pub(parley, T, 'a')], [], T).state;
  for (const rel of ['colleagues', 'workgroup', 'friends-family'] as const) {
    const seen = parsePidf(buildPidf('sip:bob@example.com', viewFor(s, rel)));
    assert.deepEqual(seen.oof, { active: true, note: 'Back on Monday; Carol covers' }, rel);
  }
  for (const rel of ['external', 'blocked'] as const) {
    const text = buildPidf('sip:bob@example.com', viewFor(s, rel));
    assert.equal(parsePidf(text).oof, undefined, rel);
    assert.doesNotMatch(text, /Monday/, rel);
  }
});
