#!/usr/bin/env node
import { Command } from 'commander';
import { commands } from './commands/index.ts';
import { reportFailure } from './output.ts';

const program = new Command('slipway')
  .description('Build, scan, sign, publish, promote and mirror container images through gates that fail closed.')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportFailure(error, process.argv.includes('json'));
}
