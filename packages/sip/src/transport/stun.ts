/**
 * STUN keep-alive on UDP flows (RFC 5626 §4.4.2, §8.4): the UA sends a STUN
 * Binding request (RFC 5389) to the SIP port; the server answers with a
 * Binding success carrying XOR-MAPPED-ADDRESS so the UA can detect a NAT
 * rebinding. SIP never starts with a byte below 0x20, so the two are told
 * apart by the first two bits and the magic cookie (RFC 5389 §6, RFC 7983).
 */
import { isIP } from 'node:net';
import { ipv6Bytes } from './addresses.js';

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;
const HEADER = 20;

export function isStunMessage(data: Buffer): boolean {
  return (
    data.length >= HEADER &&
    (data[0] & 0xc0) === 0 &&
    data.readUInt32BE(4) === MAGIC_COOKIE &&
    data.readUInt16BE(2) + HEADER === data.length &&
    data.length % 4 === 0
  );
}

/** The Binding success for a Binding request from `address:port`, or null if `request` is not one. */
export function stunBindingResponse(request: Buffer, address: string, port: number): Buffer | null {
  if (!isStunMessage(request) || request.readUInt16BE(0) !== BINDING_REQUEST) return null;
  const v4 = isIP(address) === 4;
  const ip = v4 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
  if (ip === null) return null;
  const attrLen = 4 + ip.length;
  const out = Buffer.alloc(HEADER + 4 + attrLen);
  out.writeUInt16BE(BINDING_SUCCESS, 0);
  out.writeUInt16BE(4 + attrLen, 2);
  request.copy(out, 4, 4, HEADER); // magic cookie + transaction id
  out.writeUInt16BE(XOR_MAPPED_ADDRESS, HEADER);
  out.writeUInt16BE(attrLen, HEADER + 2);
  out.writeUInt8(0, HEADER + 4);
  out.writeUInt8(v4 ? 0x01 : 0x02, HEADER + 5);
  out.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), HEADER + 6);
  // RFC 5389 §15.2: XOR with the cookie (IPv4) or cookie + transaction id (IPv6).
  for (let i = 0; i < ip.length; i++) out[HEADER + 8 + i] = ip[i] ^ out[4 + i];
  return out;
}
