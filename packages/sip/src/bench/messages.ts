/** Typical messages for the parser benchmark and tests. */

const CRLF = '\r\n';

export const REGISTER = [
  'REGISTER sip:example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'To: "Alice Smith" <sip:alice@example.com>',
  'From: "Alice Smith" <sip:alice@example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.example.com',
  'CSeq: 314160 REGISTER',
  'Contact: <sip:alice@192.0.2.10:5060;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>";reg-id=1;expires=3600',
  'Authorization: Digest username="alice", realm="example.com", nonce="AAABjRQ9cYIZ3M7rRWdjmBn6h0kbE4qVqRz2Jv0hHHgmqk0", uri="sip:example.com", response="6629fae49393a05397450978507c4ef1b0fd8be4c4e2b1a6f0e5f3a3d5c1b2a0", algorithm=SHA-256, cnonce="0a4f113b", qop=auth, nc=00000001',
  'User-Agent: Parley-Bench/1.0',
  'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, SUBSCRIBE, NOTIFY',
  'Supported: path, gruu, outbound',
  'Expires: 3600',
  'Content-Length: 0',
  '',
  '',
].join(CRLF);

const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 49170 RTP/AVP 111 0 8 101',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=sendrecv',
  '',
].join(CRLF);

export const INVITE = [
  'INVITE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKnashds8;rport',
  'Max-Forwards: 70',
  'To: "Bob" <sip:bob@example.com>',
  'From: "Alice Smith" <sip:alice@example.com>;tag=1928301774',
  'Call-ID: 3848276298220188511@pc33.example.com',
  'CSeq: 1 INVITE',
  'Contact: <sip:alice@192.0.2.10:5060;transport=tcp;ob>',
  'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, REFER, NOTIFY, INFO, UPDATE',
  'Supported: replaces, timer, 100rel',
  'User-Agent: Parley-Bench/1.0',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(SDP)}`,
  '',
  SDP,
].join(CRLF);

export const OK200 = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP server10.example.com;branch=z9hG4bKnashds8;received=192.0.2.3',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;received=192.0.2.10;rport=5060',
  'Record-Route: <sip:server10.example.com;lr>',
  'To: "Bob" <sip:bob@example.com>;tag=a6c85cf',
  'From: "Alice Smith" <sip:alice@example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:bob@192.0.2.4>',
  'Content-Length: 0',
  '',
  '',
].join(CRLF);

/** The same header lines as an HTTP/1.1 request, for llhttp. */
export function asHttp(sip: string): string {
  const lines = sip.split(CRLF);
  if (lines[0].startsWith('SIP/2.0')) lines[0] = 'HTTP/1.1 200 OK';
  else lines[0] = 'POST /sip HTTP/1.1';
  return lines.join(CRLF);
}
