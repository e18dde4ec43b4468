/**
 * `GET /healthz`: liveness and readiness for load balancers and
 * orchestrators. 200 when every check is `ok`, else 503:
 *
 * ```json
 * { "status": "ok", "uptimeS": 42, "version": "0.1.0", "checks": { "store": "ok", "sip": "ok" } }
 * { "status": "fail", "uptimeS": 42, "version": "0.1.0", "checks": { "store": "unavailable: connection refused", "sip": "ok" } }
 * ```
 */
import type { ParleyFastify } from './app.js';

/** `ok`, or a short description of what is wrong. */
export type HealthStatus = 'ok' | (string & {});

/** What the composition root reports about the parts of the server. */
export interface HealthReport {
  /** One entry per part, e.g. `{ store: 'ok', sip: 'ok' }`. */
  readonly checks: Readonly<Record<string, HealthStatus>>;
}

/** Produces the current report; may be async. A throw or a timeout counts as a failed check. */
export type HealthSource = () => HealthReport | Promise<HealthReport>;

/** The body of `/healthz`. */
export interface HealthBody {
  readonly status: 'ok' | 'fail';
  /** Whole seconds since the HTTP server was created. */
  readonly uptimeS: number;
  readonly version: string;
  readonly checks: Readonly<Record<string, HealthStatus>>;
}

/** Options of {@link registerHealth}. */
export interface HealthRouteOptions {
  readonly health: HealthSource;
  readonly version: string;
  readonly startedAt: number;
  /** How long the checks may take before they count as failed. */
  readonly timeoutMs: number;
}

async function runChecks(health: HealthSource, timeoutMs: number): Promise<Readonly<Record<string, HealthStatus>>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`checks took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const report = await Promise.race([Promise.resolve().then(health), timeout]);
    return report.checks;
  } catch (err) {
    return { health: `fail: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Adds `GET /healthz` to `app`. */
export function registerHealth(app: ParleyFastify, options: HealthRouteOptions): void {
  app.get('/healthz', async (_request, reply) => {
    const checks = await runChecks(options.health, options.timeoutMs);
    const ok = Object.values(checks).every((status) => status === 'ok');
    const body: HealthBody = {
      status: ok ? 'ok' : 'fail',
      uptimeS: Math.floor((Date.now() - options.startedAt) / 1000),
      version: options.version,
      checks,
    };
    return reply.code(ok ? 200 : 503).header('cache-control', 'no-store').send(body);
  });
}
