/**
 * `parley serve`: start the Standard Edition server and run until SIGTERM or
 * SIGINT, then drain in-flight transactions and stop cleanly.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { startServer } from '../standard-server.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the server (Standard Edition: one process, SQLite in the data folder)')
    .option('--config <file>', 'JSON configuration file (default: DATA/parley.json if present)')
    .option('--host <address>', 'listen address (default 0.0.0.0)')
    .option('--sip-port <port>', 'SIP over UDP and TCP (default 5060)')
    .option('--sips-port <port>', 'SIP over TLS (default 5061)')
    .option('--https-port <port>', 'HTTPS and SIP over secure WebSocket at /sip (default 8443)')
    .action(async (o: Record<string, string | undefined>, cmd: Command) => {
      const g = cmd.optsWithGlobals() as { data?: string };
      const argv: string[] = [];
      if (g.data) argv.push('--data', g.data);
      for (const [flag, key] of [
        ['--config', 'config'],
        ['--host', 'host'],
        ['--sip-port', 'sipPort'],
        ['--sips-port', 'sipsPort'],
        ['--https-port', 'httpsPort'],
      ] as const) {
        const v = o[key];
        if (v !== undefined) argv.push(flag, v);
      }
      const config = loadConfig({ argv });
      const server = await startServer(config);
      const domains = await server.store.domains.list();
      const out = process.stdout;
      out.write(
        `Parley is running: SIP udp/tcp ${config.host}:${server.ports.sip}, tls ${server.ports.sips}, ` +
          `https and wss (/sip) ${server.ports.https}\n`,
      );
      if (server.tls.caPath) out.write(`Clients must trust the CA certificate at ${server.tls.caPath}\n`);
      const webHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
      if (server.servesWeb) out.write(`Web client and Control Panel: https://${webHost}:${server.ports.https}/\n`);
      else out.write('The web client is not built (npm run build): only the API is served.\n');
      if (domains.length === 0)
        out.write('No domain yet: add one with `npx parley domain add example.com`, then users with `npx parley user add`.\n');
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          server.logger.info({ signal: sig }, 'stopping');
          server.stop().then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
