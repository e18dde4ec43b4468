import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isStunMessage, stunBindingResponse } from './stun.js';
import { ipv6Bytes, normalizeHost, parseUdpFlowId, udpFlowId } from './addresses.js';

const txid = Buffer.from('0102030405060708090a0b0c', 'hex');
const binding = Buffer.concat([Buffer.from('000100002112a442', 'hex'), txid]);

describe('STUN keep-alive (RFC 5389, RFC 5626 §4.4.2)', () => {
  it('recognises a Binding request and not SIP', () => {
    assert.ok(isStunMessage(binding));
    assert.equal(isStunMessage(Buffer.from('OPTIONS sip:a SIP/2.0\r\n\r\n')), false);
    assert.equal(isStunMessage(binding.subarray(0, 16)), false);
  });

  it('answers IPv6 with the address XORed with cookie and transaction id', () => {
    const r = stunBindingResponse(binding, '2001:db8::1', 40000);
    assert.ok(r);
    assert.equal(r.readUInt16BE(2), 24);
    assert.equal(r[25], 0x02);
    const ip = Buffer.from(r.subarray(28, 44));
    for (let i = 0; i < 16; i++) ip[i] ^= r[4 + i];
    assert.ok(ip.equals(ipv6Bytes('2001:db8::1') as Buffer));
  });

  it('answers nothing to other STUN methods', () => {
    const other = Buffer.from(binding);
    other.writeUInt16BE(0x0003, 0);
    assert.equal(stunBindingResponse(other, '127.0.0.1', 1), null);
  });
});

describe('addresses', () => {
  it('parses IPv6 text into bytes', () => {
    assert.equal(ipv6Bytes('::1')?.toString('hex'), '00000000000000000000000000000001');
    assert.equal(ipv6Bytes('::ffff:1.2.3.4')?.toString('hex'), '00000000000000000000ffff01020304');
    assert.equal(ipv6Bytes('fe80::1%eth0')?.toString('hex'), 'fe800000000000000000000000000001');
    assert.equal(ipv6Bytes('1.2.3.4'), null);
  });

  it('normalises hosts so one peer has one key', () => {
    assert.equal(normalizeHost('[::1]'), '::1');
    assert.equal(normalizeHost('::FFFF:127.0.0.1'), '127.0.0.1');
    assert.equal(normalizeHost('Example.COM'), 'example.com');
  });

  it('round-trips UDP flow ids and rejects malformed ones', () => {
    const id = udpFlowId('::1', 5060, '::1', 40000);
    assert.deepEqual(parseUdpFlowId(id), { localAddress: '::1', localPort: 5060, remoteAddress: '::1', remotePort: 40000 });
    assert.equal(parseUdpFlowId('udp/x/1/2/3'), null);
    assert.equal(parseUdpFlowId('tcp/abc/1'), null);
  });
});
