/**
 * For this folder's tests: a real Standard Edition server on loopback (temp
 * data folder, ports 0), an HTTPS JSON client that trusts only its CA, and a
 * SIP REGISTER with digest over UDP. Only the wire is ours; every protocol
 * object is the server's own.
 */
import { createSocket } from 'node:dgram';
import * as https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newBranch, newTag, parseMessage, type SipResponse } from '@parley/sip';
import { DigestClient } from '@parley/sip/digest';
import { loadConfig, type ParleyConfig } from '../../config/index.js';
import { createLogger } from '../../observability/index.js';
import { UserService } from '../../services/users/index.js';
import { startServer, type StartedServer } from '../../standard-server.js';
import { openStore } from '../../store/index.js';

/** A config for a server on 127.0.0.1 with free ports and its data in `dataDir`. */
export function testConfig(dataDir: string, env: Record<string, string> = {}): ParleyConfig {
  return loadConfig({
    cwd: dataDir,
    env: {
      PARLEY_DATA_DIR: dataDir,
      PARLEY_HOST: '127.0.0.1',
      PARLEY_SIP_PORT: '0',
      PARLEY_SIPS_PORT: '0',
      PARLEY_HTTPS_PORT: '0',
      PARLEY_PUBLIC_NAMES: 'localhost,127.0.0.1',
      ...env,
    },
    readFile: () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
  });
}

/**
 * Makes the data folder as an administrator would before the first start:
 * `parley domain add`, `parley user add … --admin` — through the users
 * service, as the CLI does.
 */
export async function bootstrap(
  config: ParleyConfig,
  fn: (users: UserService) => Promise<void>,
): Promise<void> {
  if (config.store.driver !== 'sqlite') throw new TypeError('tests use SQLite');
  const store = await openStore({ driver: 'sqlite', file: config.store.file });
  try {
    await fn(new UserService(store));
  } finally {
    await store.close();
  }
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'parley-api-'));
}

export function start(config: ParleyConfig): Promise<StartedServer> {
  return startServer(config, { logger: createLogger({ level: 'silent' }) });
}

export interface JsonReply {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined for an empty body. */
  // Tests read replies loosely; the shapes are asserted, not typed.
  body: any;
  text: string;
}

/** An HTTPS request to `server`; `json` is sent as the body. */
export function call(
  server: StartedServer,
  method: string,
  path: string,
  o: { json?: unknown; token?: string; cookie?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<JsonReply> {
  const headers: Record<string, string> = { ...o.headers };
  const payload = o.raw ?? (o.json !== undefined ? JSON.stringify(o.json) : undefined);
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.cookie) headers.cookie = o.cookie;
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port: server.ports.https, method, path, headers, ca: server.tls.ca, agent: false, timeout: 10_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: text ? JSON.parse(text) : undefined }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * REGISTERs `user@domain` over UDP from a fresh loopback port, answering the
 * digest challenge (RFC 3261 §22.2); resolves with the final response.
 */
export async function sipRegister(
  server: StartedServer,
  o: { user: string; domain: string; password: string; userAgent: string; expires?: number },
): Promise<SipResponse> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const port = socket.address().port;
  const callId = `api-test-${newTag()}`;
  const fromTag = newTag();
  let cseq = 1;
  const uri = `sip:${o.domain}`;
  const build = (authorization?: string): string =>
    [
      `REGISTER ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${newBranch()};rport`,
      'Max-Forwards: 70',
      `From: <sip:${o.user}@${o.domain}>;tag=${fromTag}`,
      `To: <sip:${o.user}@${o.domain}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq++} REGISTER`,
      `Contact: <sip:${o.user}@127.0.0.1:${port}>`,
      `Expires: ${o.expires ?? 600}`,
      `User-Agent: ${o.userAgent}`,
      ...(authorization ? [`Authorization: ${authorization}`] : []),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  const exchange = (text: string): Promise<SipResponse> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no SIP answer')), 5000);
      const onMessage = (buf: Buffer): void => {
        const m = parseMessage(buf.toString('utf8')) as SipResponse;
        if (m.status < 200) return;
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(m);
      };
      socket.on('message', onMessage);
      socket.send(text, server.ports.sip, '127.0.0.1');
    });
  try {
    const first = await exchange(build());
    if (first.status !== 401) return first;
    const [value] = new DigestClient({ username: o.user, password: o.password }).answer(first.getAll('www-authenticate'), {
      method: 'REGISTER',
      uri,
    });
    return await exchange(build(value));
  } finally {
    socket.close();
  }
}
