import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseOutputFormat, printResult } from '../output.ts';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** `slipway version`. */
export function registerVersion(program: Command): void {
  program.version(pkg.version, '-V, --version');
  program
    .command('version')
    .description('print the version of Slipway and of the Node.js running it')
    .option('--output <format>', 'text or json', 'text')
    .action((options: { output: string }) => {
      const result = { version: pkg.version, node: process.versions.node, platform: `${process.platform}/${process.arch}` };
      printResult(parseOutputFormat(options.output), result, (r) => `slipway ${r.version} (node ${r.node}, ${r.platform})`);
    });
}
