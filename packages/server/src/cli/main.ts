#!/usr/bin/env node
/**
 * The `parley` command: `serve` starts the Standard Edition server; `domain`
 * and `user` manage the directory (see commands.ts); `contact import` loads
 * contact lists in bulk (contacts.ts).
 */
import { Command, CommanderError } from 'commander';
import { UserError, USER_ERROR_STATUS } from '../services/users/index.js';
import { StoreError } from '../store/index.js';
import { CliInputError, registerCommands } from './commands.js';
import { registerContactCommands } from './contacts.js';
import { registerServe } from './serve.js';

export async function runCli(argv: string[]): Promise<number> {
  const program = new Command('parley')
    .description('Parley: open unified communications (SIP registrar, proxy, IM, presence)')
    .option('--data <dir>', 'data folder', process.env.PARLEY_DATA ?? './data')
    .exitOverride()
    .showHelpAfterError('(run parley --help for usage)');
  registerServe(program);
  registerCommands(program);
  registerContactCommands(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof UserError) {
      process.stderr.write(`parley: ${e.message}\n`);
      return USER_ERROR_STATUS[e.code].exit;
    }
    if (e instanceof StoreError || e instanceof CliInputError) {
      process.stderr.write(`parley: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`parley: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

/** Run the CLI as a process: sets the exit code; `serve` keeps running until a signal. */
export function main(argv: string[]): void {
  runCli(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`parley: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

const invoked = process.argv[1] ?? '';
if (invoked.endsWith('/cli/main.js') || invoked.endsWith('/cli/main.ts')) main(process.argv.slice(2));
