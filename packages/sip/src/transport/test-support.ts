/**
 * Test helpers for the transport tests (loopback only, every wait bounded).
 * Not exported from the package index.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransportManager } from './transport-manager.js';
import type { TransportOptionsInput } from './options.js';
import type { TransportError } from './errors.js';
import type { Flow, InboundMessage } from './transport.js';

/** Rejects if `promise` has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A queue of events a test awaits one by one, each wait bounded. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private waiters: Array<(item: T) => void> = [];

  readonly push = (item: T): void => {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  };

  get length(): number {
    return this.items.length;
  }

  next(ms = 2000, what = 'an event'): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    let waiter!: (item: T) => void;
    const p = new Promise<T>((resolve) => {
      waiter = resolve;
      this.waiters.push(resolve);
    });
    return within(p, ms, what).finally(() => {
      this.waiters = this.waiters.filter((w) => w !== waiter);
    });
  }
}

/** A minimal well-framed SIP request. */
export function sipRequest(method = 'OPTIONS', body = '', extra: string[] = []): string {
  return [
    `${method} sip:bob@127.0.0.1 SIP/2.0`,
    'Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-test',
    'From: <sip:alice@127.0.0.1>;tag=1',
    'To: <sip:bob@127.0.0.1>',
    `Call-ID: ${Math.random().toString(36).slice(2)}@test`,
    `CSeq: 1 ${method}`,
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

export function sipResponse(status = 200, body = ''): string {
  return [
    `SIP/2.0 ${status} OK`,
    'Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-test',
    'CSeq: 1 OPTIONS',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

let ipv6: Promise<boolean> | undefined;

/** Whether ::1 can be bound here (skip IPv6 tests gracefully when not). */
export function hasIPv6(): Promise<boolean> {
  ipv6 ??= new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
  return ipv6;
}

export interface TestCertificate {
  readonly key: Buffer;
  readonly cert: Buffer;
}

/** A throwaway self-signed P-256 certificate for 127.0.0.1 / localhost, made by openssl. */
export function makeCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
  try {
    const keyPath = join(dir, 'k.pem');
    const certPath = join(dir, 'c.pem');
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    return { key: readFileSync(keyPath), cert: readFileSync(certPath) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A raw TCP client (the wire, not our code). */
export function rawConnect(port: number, host = '127.0.0.1'): Promise<Socket> {
  return within(
    new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host, port }, () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    }),
    2000,
    `connect ${host}:${port}`,
  );
}

/** Resolves when `socket` closes (bounded). */
export function closed(socket: Socket, ms = 2000): Promise<void> {
  if (socket.destroyed && socket.closed) return Promise.resolve();
  return within(new Promise<void>((resolve) => socket.once('close', () => resolve())), ms, 'socket close');
}

/** Collects what a raw socket receives, as latin1 text. */
export function collect(socket: Socket): { text: () => string } {
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  socket.on('error', () => undefined);
  return { text: () => text };
}

/** Waits until `predicate` holds, polling; bounded. */
export async function until(predicate: () => boolean, ms = 2000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

// ------------------------------------------------------------ manager harness


export interface Harness {
  readonly tm: TransportManager;
  readonly messages: Inbox<InboundMessage>;
  readonly opened: Inbox<Flow>;
  readonly closedFlows: Inbox<{ flow: Flow; reason: TransportError }>;
  readonly errors: Error[];
}

/** A manager whose reports land in inboxes. */
export function harness(options?: TransportOptionsInput): Harness {
  const messages = new Inbox<InboundMessage>();
  const opened = new Inbox<Flow>();
  const closedFlows = new Inbox<{ flow: Flow; reason: TransportError }>();
  const errors: Error[] = [];
  const tm = new TransportManager(options, {
    onMessage: messages.push,
    onFlowOpened: opened.push,
    onFlowClosed: (flow, reason) => closedFlows.push({ flow, reason }),
    onError: (error) => errors.push(error),
  });
  return { tm, messages, opened, closedFlows, errors };
}

/** Handles that would keep the process alive (for leak checks). */
export function liveHandles(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((r) => /TCP|UDP|TLS|Pipe|Timeout|Immediate/.test(r))
    .sort();
}
