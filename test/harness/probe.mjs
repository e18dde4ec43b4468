// Minimal SIP liveness probe: send one OPTIONS over UDP or TCP and read the
// status code of the first final response. Used to wait until a server
// (Kamailio, Parley) is up. Not a SIP stack; loopback use only.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { sleep } from './proc.mjs';

function buildOptions({ host, port, transport, localPort, localHost = '127.0.0.1' }) {
  const id = randomBytes(8).toString('hex');
  const proto = transport.toUpperCase();
  return [
    `OPTIONS sip:${host}:${port};transport=${transport} SIP/2.0`,
    `Via: SIP/2.0/${proto} ${localHost}:${localPort};branch=z9hG4bK${id};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@${localHost}>;tag=${id.slice(0, 8)}`,
    `To: <sip:${host}:${port}>`,
    `Call-ID: ${id}@parley-probe`,
    'CSeq: 1 OPTIONS',
    'User-Agent: parley-harness-probe',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function statusOf(text) {
  const m = /^SIP\/2\.0 (\d{3})/m.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * Send one OPTIONS; resolves to the final status code, rejects on timeout.
 * @param {{host?: string, port: number, transport?: 'udp'|'tcp', timeoutMs?: number}} o
 */
export function optionsPing({ host = '127.0.0.1', port, transport = 'udp', timeoutMs = 1000 }) {
  return new Promise((resolve, reject) => {
    let done = false;
    let cleanup = () => {};
    const finish = (err, code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cleanup();
      if (err) reject(err);
      else resolve(code);
    };
    const timer = setTimeout(() => finish(new Error(`no SIP answer from ${transport}:${host}:${port} in ${timeoutMs} ms`)), timeoutMs);
    if (transport === 'udp') {
      const s = dgram.createSocket('udp4');
      cleanup = () => s.close();
      s.on('error', (e) => finish(e));
      s.on('message', (buf) => {
        const code = statusOf(buf.toString('latin1'));
        if (code && code >= 200) finish(null, code);
      });
      s.bind(0, '127.0.0.1', () => {
        const msg = Buffer.from(buildOptions({ host, port, transport, localPort: s.address().port }), 'latin1');
        s.send(msg, port, host);
      });
    } else {
      const c = net.connect({ host, port });
      cleanup = () => c.destroy();
      let acc = '';
      c.on('error', (e) => finish(e));
      c.on('connect', () => c.write(buildOptions({ host, port, transport, localPort: c.localPort })));
      c.on('data', (d) => {
        acc += d.toString('latin1');
        for (const m of acc.matchAll(/^SIP\/2\.0 (\d{3})/gm)) {
          if (Number(m[1]) >= 200) return finish(null, Number(m[1]));
        }
      });
    }
  });
}

/**
 * Poll with OPTIONS until any final response arrives (or `expect` if given).
 * @returns {Promise<number>} the status code
 */
export async function waitForSip({ host = '127.0.0.1', port, transport = 'udp', timeoutMs = 10000, expect, isAlive }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (isAlive && !isAlive()) throw new Error(`server process exited before answering on ${transport}:${port}`);
    try {
      const code = await optionsPing({ host, port, transport, timeoutMs: 500 });
      if (expect === undefined || code === expect) return code;
      last = new Error(`got ${code}, want ${expect}`);
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`SIP server on ${transport}:${host}:${port} not ready after ${timeoutMs} ms: ${last?.message}`);
}
