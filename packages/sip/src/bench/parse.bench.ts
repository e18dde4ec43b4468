/**
 * Parser benchmark (issue: "Speed" of the SIP stack). One core, one process.
 *
 * For a REGISTER with Authorization, an INVITE with SDP and a 200 OK it
 * prints messages per second for:
 *  - Parley: parse (framing + header index, values lazy), parse+validate (the
 *    headers every element reads: Via, From, To, Call-ID, CSeq, Max-Forwards,
 *    Contact), and serialize of a changed message;
 *  - JsSIP and SIP.js parsers (the JavaScript stacks people use);
 *  - llhttp (Node's C HTTP parser) on an HTTP message with the same header
 *    lines: the anchor, measured in the same run.
 * and the ratio Parley / llhttp. Run: `npm run bench -w packages/sip`.
 */
import { createRequire } from 'node:module';
import { parseMessage } from '../message/parser.js';
import { INVITE, OK200, REGISTER, asHttp } from './messages.js';

const require = createRequire(import.meta.url);
const DURATION_MS = Number(process.env.BENCH_MS ?? 1500);

const gc = (globalThis as { gc?: () => void }).gc;

function measure(fn: () => void): number {
  // Start each figure from a clean heap, so one parser's garbage (JsSIP and
  // SIP.js make a lot) is not collected on another's time. Run with --expose-gc.
  gc?.();
  // warm-up
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) for (let i = 0; i < 100; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < DURATION_MS) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

interface HttpParserCtor {
  new (): {
    initialize(type: number, res: object): void;
    execute(b: Buffer): number | Error;
    [k: number]: unknown;
  };
  REQUEST: number;
  RESPONSE: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnHeaders: number;
}

function llhttp(text: string): () => void {
  const { HTTPParser } = (process as unknown as { binding(n: string): { HTTPParser: HttpParserCtor } }).binding(
    'http_parser',
  );
  const buf = Buffer.from(text);
  const isResp = text.startsWith('HTTP/');
  let parser = new HTTPParser();
  let headers: unknown;
  const init = () => {
    parser = new HTTPParser();
    parser.initialize(isResp ? HTTPParser.RESPONSE : HTTPParser.REQUEST, {});
    parser[HTTPParser.kOnHeadersComplete] = (_v1: number, _v2: number, h: unknown) => {
      headers = h;
    };
    parser[HTTPParser.kOnBody] = () => {};
    parser[HTTPParser.kOnMessageComplete] = () => {};
    parser[HTTPParser.kOnHeaders] = () => {};
  };
  init();
  return () => {
    const r = parser.execute(buf);
    if (typeof r !== 'number' || !headers) throw new Error('llhttp failed');
    headers = undefined;
  };
}

async function main(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const JsSIPParser = require('jssip/lib/Parser.js') as { parseMessage(d: string, ua: unknown): unknown };
  const SipJs = (await import('sip.js/lib/core/messages/parser.js')) as {
    Parser: { parseMessage(d: string, l: unknown): unknown };
  };
  const quietLogger = { log() {}, warn() {}, error() {}, debug() {} };
  const fakeUa = { configuration: {} };
  const cases: Array<[string, string]> = [
    ['REGISTER+Authorization', REGISTER],
    ['INVITE+SDP', INVITE],
    ['200 OK', OK200],
  ];
  const rows: Array<Record<string, string | number>> = [];
  for (const [name, text] of cases) {
    const buf = Buffer.from(text);
    const anchor = measure(llhttp(asHttp(text)));
    const lazy = measure(() => {
      parseMessage(buf);
    });
    const full = measure(() => {
      parseMessage(buf).validate();
    });
    const changed = parseMessage(buf).validate();
    changed.set('max-forwards', 69);
    const ser = measure(() => {
      changed.set('max-forwards', 69);
      changed.toBuffer();
    });
    const jssip = measure(() => {
      if (!JsSIPParser.parseMessage(text, fakeUa)) throw new Error('jssip failed');
    });
    const sipjs = measure(() => {
      if (!SipJs.Parser.parseMessage(text, quietLogger)) throw new Error('sip.js failed');
    });
    rows.push({
      message: name,
      'llhttp (anchor)/s': Math.round(anchor),
      'parley parse/s': Math.round(lazy),
      'parley parse+validate/s': Math.round(full),
      'parley serialize/s': Math.round(ser),
      'jssip/s': Math.round(jssip),
      'sip.js/s': Math.round(sipjs),
      'parse/llhttp': +(lazy / anchor).toFixed(2),
      'parse+validate/llhttp': +(full / anchor).toFixed(2),
      'parse+validate/jssip': +(full / jssip).toFixed(1),
    });
  }
  console.log(`SIP parser benchmark, node ${process.version}, one core, ${DURATION_MS} ms per figure${gc ? '' : ' (run with --expose-gc for steadier figures)'}`);
  console.table(rows);
}

void main();
