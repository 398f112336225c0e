#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// Compiled code is cached on disk (Node's compile cache): a CLI run in CI starts in a fraction of
// the time. Everything else is imported after, so that it benefits.
enableCompileCache();
const { commandsFor, verbOf } = await import('./commands/index.ts');
(await import('./v8-options.ts')).ensureV8Options(verbOf(process.argv.slice(2)));
// A reader that stops early (`slipway sbom … | head`) closes the pipe: what is left unwritten is
// dropped quietly, and the verb runs to its own exit code (`scan --exit-code` still fails the gate).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
});
const { Command } = await import('commander');
const { reportFailure } = await import('./output.ts');

const program = new Command('slipway')
  .description('Build, scan, sign, publish, promote and mirror container images through gates that fail closed.')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

for (const register of await commandsFor(process.argv.slice(2))) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportFailure(error, process.argv.includes('json'));
}
