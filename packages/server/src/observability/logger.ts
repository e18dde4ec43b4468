/**
 * Logging: pino, one JSON object per line on stdout (or human-readable lines
 * with `pretty`). Components log through child loggers:
 *
 * ```
 * const log = createLogger({ level: 'info' });
 * const http = log.child({ component: 'http' });
 * const tx = sipLogger(log, callId, 'INVITE');   // every line carries callId
 * tx.info({ status: 180 }, 'ringing');
 * ```
 *
 * Convention: SIP lines carry `callId` (the Call-ID, RFC 3261 §8.1.1.4) and
 * `method` for requests or `status` for responses, so one call's lines can
 * be picked out of the stream. Credentials never appear: the fields in
 * {@link REDACTED_FIELDS} are censored.
 */
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { prettyStream } from './pretty.js';

export type { Logger } from 'pino';

/** Fields whose values are replaced by `[redacted]` wherever they appear one level deep or at the top. */
export const REDACTED_FIELDS = Object.freeze([
  'password',
  'ha1',
  'authorization',
  'proxyAuthorization',
  'headers.authorization',
  'headers["proxy-authorization"]',
  'headers.cookie',
]);

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Default `info`. */
  readonly level?: LevelWithSilent;
  /** Human-readable lines instead of JSON. Default false. */
  readonly pretty?: boolean;
  /** Where lines go. Default stdout. */
  readonly destination?: DestinationStream;
  /** Fields on every line. Default `{ pid }`. */
  readonly base?: Readonly<Record<string, unknown>>;
}

/** Makes the process's root logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const out = options.destination ?? pino.destination({ dest: 1, sync: true });
  const redact = REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`]);
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redact, censor: '[redacted]' },
    },
    options.pretty ? prettyStream(out) : out,
  );
}

/** A SIP method (a request) or status code (a response). */
export type SipMethodOrStatus = string | number;

/** The fields of a SIP log line: `{ callId, method }` or `{ callId, status }`. */
export interface SipLogFields {
  readonly callId: string;
  readonly method?: string;
  readonly status?: number;
}

/** The fields every log line about one SIP transaction or dialog carries. */
export function sipLogFields(callId: string, methodOrStatus?: SipMethodOrStatus): SipLogFields {
  if (methodOrStatus === undefined) return { callId };
  return typeof methodOrStatus === 'number' ? { callId, status: methodOrStatus } : { callId, method: methodOrStatus };
}

/** A child of `logger` whose lines carry {@link sipLogFields}. */
export function sipLogger(logger: Logger, callId: string, methodOrStatus?: SipMethodOrStatus): Logger {
  return logger.child(sipLogFields(callId, methodOrStatus));
}
