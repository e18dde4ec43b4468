/**
 * A minimal, safe static file handler for the web client and Control Panel
 * (`@fastify/static` is not a dependency).
 *
 * Safety: the path is percent-decoded once; a NUL, a backslash, a `..` or
 * `.` segment is refused with 400; dot-files (`.env`, `.git/…`) are 404; the
 * real path (symbolic links resolved) must stay inside the root. Only GET and
 * HEAD; directories serve their `index.html`.
 *
 * Caching: every file has a weak ETag from size and modification time and is
 * sent with `Cache-Control: no-cache`, so browsers revalidate and get 304;
 * files under `assets/` (content-hashed names from the Vite build) are
 * immutable for a year.
 *
 * Single-page application: a GET for a path that names no file, does not
 * end in a file extension we serve, and accepts `text/html` (a deep link like `/admin/users`,
 * a reload) gets the root's `index.html`. HTML is sent with a Content
 * Security Policy allowing only this origin (and its WebSocket).
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ParleyFastify } from './app.js';

/** Content types by extension (lower case, with the dot). */
export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.pem': 'application/x-pem-file',
  '.crt': 'application/x-x509-ca-cert',
});

/** The content type of a file name; `application/octet-stream` when unknown. */
export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Why a request path cannot name a file under the root. */
type PathVerdict = { readonly ok: true; readonly segments: readonly string[] } | { readonly ok: false; readonly status: 400 | 404 };

/** Checks a request URL's path and splits it into safe segments. */
export function safeSegments(url: string): PathVerdict {
  const rawPath = url.split(/[?#]/, 1)[0];
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, status: 400 };
  }
  if (!path.startsWith('/') || path.includes('\0') || path.includes('\\')) return { ok: false, status: 400 };
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, status: 400 };
  if (segments.some((s) => s.startsWith('.'))) return { ok: false, status: 404 };
  return { ok: true, segments };
}

/**
 * Serves files under `dir` for every GET/HEAD no other route claims. Does
 * nothing when `dir` is not a folder (then such requests get 404).
 * @returns whether the handler was installed
 */
export function registerStatic(app: ParleyFastify, dir: string): boolean {
  let root: string;
  try {
    root = realpathSync(dir);
    if (!statSync(root).isDirectory()) return false;
  } catch {
    return false;
  }
  const handler = (request: FastifyRequest, reply: FastifyReply) => serve(root, request, reply);
  app.get('/*', handler);
  return true;
}

async function serve(root: string, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const verdict = safeSegments(request.url);
  if (!verdict.ok) {
    return verdict.status === 404 ? reply.callNotFound() : reply.code(400).send({ error: 'bad path' });
  }
  let found = await findFile(root, verdict.segments);
  if (!found && isAppRoute(verdict.segments, request.headers.accept)) found = await findFile(root, ['index.html']);
  if (!found) return reply.callNotFound();
  const { path, size, mtimeMs } = found;
  const etag = `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
  reply
    .header('etag', etag)
    .header('last-modified', new Date(mtimeMs).toUTCString())
    .header('cache-control', verdict.segments[0] === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('x-content-type-options', 'nosniff');
  if (path.endsWith('.html')) {
    reply.header('content-security-policy', APP_CSP).header('x-frame-options', 'DENY').header('referrer-policy', 'no-referrer');
  }
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  reply.header('content-type', contentTypeOf(path)).header('content-length', size);
  return reply.send(createReadStream(path));
}

/** What the web client may load and connect to: its own origin only ('self' covers wss: to it, CSP3). */
export const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

/**
 * A client-side route of the single-page app: not the API or the assets, not
 * a file name (an extension we serve: `bob@example.com` is a route,
 * `app.js` a file), and a browser asking for a page.
 */
export function isAppRoute(segments: readonly string[], accept: string | undefined): boolean {
  const last = segments[segments.length - 1] ?? '';
  if (segments[0] === 'api' || segments[0] === 'assets' || CONTENT_TYPES[extname(last).toLowerCase()] !== undefined) return false;
  return (accept ?? '').includes('text/html');
}

async function findFile(
  root: string,
  segments: readonly string[],
): Promise<{ path: string; size: number; mtimeMs: number } | undefined> {
  let path = join(root, ...segments);
  try {
    let info = await stat(path);
    if (info.isDirectory()) {
      path = join(path, 'index.html');
      info = await stat(path);
    }
    if (!info.isFile()) return undefined;
    // A symbolic link must not lead out of the root.
    const real = await realpath(path);
    if (real !== root && !real.startsWith(root + sep)) return undefined;
    return { path: real, size: info.size, mtimeMs: info.mtimeMs };
  } catch {
    return undefined;
  }
}
