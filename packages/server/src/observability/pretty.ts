/**
 * A small stand-in for pino-pretty (not a dependency): turns pino's JSON lines
 * into `12:00:00.123 INFO  [http] listening port=8443 host=0.0.0.0`.
 */
import type { DestinationStream } from 'pino';

const SKIP = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'component']);

/** One JSON log line as one readable line (without the newline). */
export function formatLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const time = typeof record.time === 'string' ? record.time.slice(11, 23) : '';
  const level = String(record.level ?? '').toUpperCase().padEnd(5);
  const component = typeof record.component === 'string' ? ` [${record.component}]` : '';
  const msg = typeof record.msg === 'string' ? ` ${record.msg}` : '';
  const fields: string[] = [];
  let stack = '';
  for (const [key, value] of Object.entries(record)) {
    if (SKIP.has(key)) continue;
    if (key === 'err' && value !== null && typeof value === 'object' && 'stack' in value) {
      stack = `\n    ${String(value.stack).replace(/\n/g, '\n    ')}`;
      continue;
    }
    fields.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return `${time} ${level}${component}${msg}${fields.length ? ' ' + fields.join(' ') : ''}${stack}`;
}

/** A pino destination that writes readable lines to `out`. */
export function prettyStream(out: DestinationStream): DestinationStream {
  return {
    write(chunk: string): void {
      for (const line of chunk.split('\n')) if (line !== '') out.write(formatLine(line) + '\n');
    },
  };
}
