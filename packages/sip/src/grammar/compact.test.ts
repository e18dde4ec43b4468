import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ownString, sharedHost } from './compact.js';
import { NameAddr, parseNameAddr } from './name-addr.js';
import { AbsoluteUri, SipUri, TelUri, parseUri } from './uri.js';

const sip = (s: string): SipUri => parseUri(s) as SipUri;

describe('ownString', () => {
  it('is equal to its argument, for any string (lone surrogates too)', () => {
    const head = 'x'.repeat(200) + 'abcdefghijklmnop\ud800qrstu€é' + 'y'.repeat(200);
    for (const s of ['', 'a', 'abcdefghijkl', 'abcdefghijklm', head.slice(190, 240), head, '\udfff\ud800 lone surrogates!']) {
      assert.equal(ownString(s), s);
    }
  });

  it('sharedHost gives one string per host name', () => {
    const a = sharedHost('proxy.' + 'example.com'.slice(0));
    assert.equal(a, 'proxy.example.com');
    assert.equal(sharedHost(['proxy', 'example', 'com'].join('.')), a);
  });
});

describe('params allocated on first use (same behaviour as an eager Map)', () => {
  it('a URI without parameters: params is a Map, the same one every time, and changes show', () => {
    const u = new SipUri('sip', 'bob', undefined, 'example.com', undefined);
    assert.equal(u.param('transport'), undefined);
    assert.equal(u.toString(), 'sip:bob@example.com');
    assert.ok(u.params instanceof Map);
    assert.equal(u.params, u.params);
    assert.equal(u.params.size, 0);
    u.params.set('transport', 'tcp');
    assert.equal(u.param('transport'), 'tcp');
    assert.equal(u.toString(), 'sip:bob@example.com;transport=tcp');
    const p = new Map<string, string | null>([['lr', null]]);
    u.params = p;
    assert.equal(u.params, p);
    assert.equal(u.toString(), 'sip:bob@example.com;lr');
  });

  it('a Map given to the constructor is kept as is', () => {
    const p = new Map<string, string | null>();
    const u = new SipUri('sip', undefined, undefined, 'p1.example.com', 5060, p);
    p.set('lr', null);
    assert.equal(u.params, p);
    assert.equal(u.toString(), 'sip:p1.example.com:5060;lr');
    const na = new NameAddr(u, undefined, new Map([['expires', '60']]));
    assert.equal(na.toString(), '<sip:p1.example.com:5060;lr>;expires=60');
  });

  it('parsed parameters keep their order; an empty parameter list gives no entry', () => {
    const u = sip('sip:alice@atlanta.example.com;transport=tcp;lr;maddr=239.255.255.1');
    assert.deepEqual([...u.params], [['transport', 'tcp'], ['lr', null], ['maddr', '239.255.255.1']]);
    assert.equal(sip('sip:a@b').params.size, 0);
    const na = parseNameAddr('"A" <sip:a@b;lr>;tag=1;expires=3', 'to');
    assert.deepEqual([...na.params], [['tag', '1'], ['expires', '3']]);
    assert.equal(parseNameAddr('<sip:a@b>', 'to').params.size, 0);
  });

  it('the tag of a name-addr without parameters', () => {
    const na = parseNameAddr('<sip:a@example.com>', 'from');
    assert.equal(na.tag, undefined);
    na.tag = undefined;
    assert.equal(na.toString(), '<sip:a@example.com>');
    na.tag = 'x1';
    assert.equal(na.toString(), '<sip:a@example.com>;tag=x1');
    assert.equal(na.params.get('tag'), 'x1');
    na.tag = undefined;
    assert.equal(na.toString(), '<sip:a@example.com>');
  });

  it('clones are independent', () => {
    const a = parseNameAddr('<sip:a@example.com;transport=udp>;tag=1', 'from');
    const b = a.clone();
    b.tag = '2';
    (b.uri as SipUri).params.set('transport', 'tcp');
    assert.equal(a.toString(), '<sip:a@example.com;transport=udp>;tag=1');
    assert.equal(b.toString(), '<sip:a@example.com;transport=tcp>;tag=2');
  });
});

describe('ownCopy: a deep copy to keep long', () => {
  const texts = [
    'sip:alice:secret@atlanta.example.com:5061;transport=tls;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent',
    'sips:[2001:db8::1]:5061',
    'sip:user1234;list=contacts@example.com',
    'sip:d1@127.0.0.1:40000;transport=udp;ob;x-long-parameter-name=a-long-parameter-value',
  ];

  it('serializes and compares like the original', () => {
    for (const t of texts) {
      const u = sip(t);
      const c = u.ownCopy();
      assert.notEqual(c, u);
      assert.equal(c.toString(), t);
      assert.ok(c.equals(u) && u.equals(c));
      assert.equal(c.param('transport'), u.param('transport'));
      assert.deepEqual([...c.params], [...u.params]);
      assert.deepEqual(c.headers, u.headers);
    }
    assert.ok(!sip('sip:a@b;transport=tcp').ownCopy().equals(sip('sip:a@b;transport=udp')));
    assert.ok(!sip('sip:a@b;foo=1').equals(sip('sip:a@b;foo=2').ownCopy()));
    assert.ok(sip('sip:a@b;foo=1').ownCopy().equals(sip('sip:a@b;bar=2').ownCopy()), 'other params only when in both (§19.1.4)');
  });

  it('a copy and its clones change independently of each other and of the original', () => {
    const u = sip(texts[3]);
    const c = u.ownCopy();
    const cc = c.clone();
    c.params.set('transport', 'tcp');
    c.params.delete('ob');
    assert.equal(c.toString(), 'sip:d1@127.0.0.1:40000;transport=tcp;x-long-parameter-name=a-long-parameter-value');
    assert.equal(cc.toString(), texts[3]);
    assert.equal(u.toString(), texts[3]);
    cc.params.clear();
    assert.equal(cc.toString(), 'sip:d1@127.0.0.1:40000');
    assert.equal(u.params.size, 3);
  });

  it('name-addr: without the tag, without any header parameter, or all of it', () => {
    const na = parseNameAddr('"Alice Liddell-Example" <sip:alice@atlanta.example.com;lr>;tag=1928301774;expires=60', 'from');
    assert.equal(na.ownCopy().toString(), na.toString());
    assert.equal(na.ownCopy('tag').toString(), '"Alice Liddell-Example" <sip:alice@atlanta.example.com;lr>;expires=60');
    assert.equal(na.ownCopy('all').toString(), '"Alice Liddell-Example" <sip:alice@atlanta.example.com;lr>');
    const only = parseNameAddr('<sip:bob@biloxi.example.com>;tag=b0b', 'to').ownCopy('tag');
    assert.equal(only.tag, undefined);
    assert.equal(only.toString(), '<sip:bob@biloxi.example.com>');
    const copy = na.ownCopy();
    assert.equal(copy.tag, '1928301774');
    assert.equal(copy.displayName, 'Alice Liddell-Example');
    copy.tag = 'other';
    assert.equal(copy.toString(), '"Alice Liddell-Example" <sip:alice@atlanta.example.com;lr>;tag=other;expires=60');
    assert.equal(na.tag, '1928301774');
  });

  it('tel: and other URIs', () => {
    const t = parseUri('tel:+1-201-555-0123;ext=1234;phone-context=example.com') as TelUri;
    const tc = t.ownCopy();
    assert.equal(tc.toString(), t.toString());
    assert.ok(tc.equals(t));
    assert.equal(tc.param('ext'), '1234');
    tc.params.delete('ext');
    assert.equal(t.param('ext'), '1234');
    const a = parseUri('urn:service:sos.police.example') as AbsoluteUri;
    assert.equal(a.ownCopy().toString(), 'urn:service:sos.police.example');
    assert.ok(a.ownCopy().equals(a));
  });
});
