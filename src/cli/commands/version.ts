import type { Command } from 'commander';
import { SLIPWAY_VERSION } from '../../version.ts';
import { parseOutputFormat, printResult } from '../output.ts';

/** `slipway version`. */
export function registerVersion(program: Command): void {
  program.version(SLIPWAY_VERSION, '-V, --version');
  program
    .command('version')
    .description('print the version of Slipway and of the Node.js running it')
    .option('--output <format>', 'text or json', 'text')
    .action((options: { output: string }) => {
      const result = { version: SLIPWAY_VERSION, node: process.versions.node, platform: `${process.platform}/${process.arch}` };
      printResult(parseOutputFormat(options.output), result, (r) => `slipway ${r.version} (node ${r.node}, ${r.platform})`);
    });
}
