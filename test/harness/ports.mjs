// Free port finder for interop tests and benchmarks (loopback only).
//
// freePort() returns a port number that was free on BOTH UDP and TCP on the
// given host at the moment of the check (SIP servers listen on both with the
// same number). The sockets are closed before returning, so another process
// could still grab the port; numbers handed out by this process are never
// handed out twice, which removes races between tests of one file.
import dgram from 'node:dgram';
import net from 'node:net';

const handedOut = new Set();

function bindUdp(host, port) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.once('error', (err) => {
      s.close();
      reject(err);
    });
    s.bind({ port, address: host, exclusive: true }, () => resolve(s));
  });
}

function listenTcp(host, port) {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ port, host, exclusive: true }, () => resolve(s));
  });
}

const closeUdp = (s) => new Promise((r) => s.close(() => r()));
const closeTcp = (s) => new Promise((r) => s.close(() => r()));

/**
 * @param {{host?: string, attempts?: number, udp?: boolean, tcp?: boolean}} [opts]
 * @returns {Promise<number>} a port free on UDP and TCP (or only the requested one)
 */
export async function freePort({ host = '127.0.0.1', attempts = 50, udp = true, tcp = true } = {}) {
  let lastErr;
  for (let i = 0; i < attempts; i++) {
    let u, t;
    try {
      // Let the kernel pick from one protocol, then claim the same number on the other.
      if (udp) {
        u = await bindUdp(host, 0);
        const port = u.address().port;
        if (tcp) t = await listenTcp(host, port);
      } else {
        t = await listenTcp(host, 0);
      }
      const port = (u ?? t).address().port;
      if (handedOut.has(port)) continue;
      handedOut.add(port);
      return port;
    } catch (err) {
      lastErr = err;
    } finally {
      if (u) await closeUdp(u);
      if (t) await closeTcp(t);
    }
  }
  throw new Error(`freePort: no port free on both UDP and TCP after ${attempts} attempts: ${lastErr?.message}`);
}

/**
 * @param {number} n
 * @param {Parameters<typeof freePort>[0]} [opts]
 * @returns {Promise<number[]>} n distinct ports
 */
export async function freePorts(n, opts) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await freePort(opts));
  return out;
}

/** True if `port` can be bound right now on UDP and TCP of `host`. */
export async function isPortFree(port, { host = '127.0.0.1' } = {}) {
  let u, t;
  try {
    u = await bindUdp(host, port);
    t = await listenTcp(host, port);
    return true;
  } catch {
    return false;
  } finally {
    if (u) await closeUdp(u);
    if (t) await closeTcp(t);
  }
}
