import type { Command } from 'commander';
import { dataOptions, type DataFlags } from '../local-database.ts';
import { UsageError, writeReport } from '../output.ts';
import { renderReport } from '../../scan/local.ts';
import { scanTarget } from './scan.ts';

interface SbomFlags extends DataFlags {
  readonly format: string;
  readonly insecure?: boolean;
  readonly platform?: string;
  readonly outputFile?: string;
}

/** `slipway sbom`: the packages of an image as SPDX 2.3 or CycloneDX 1.6 JSON. */
export function registerSbom(program: Command): void {
  dataOptions(
    program
      .command('sbom')
      .description('write the SBOM of an image (SPDX 2.3 JSON or CycloneDX 1.6 JSON)')
      .argument('<target>', 'host/repo:tag, oci:<dir>[:ref], <dir>, docker-archive:<file> or <file>.tar')
      .option('--format <format>', 'spdx-json or cyclonedx', 'spdx-json')
      .option('-o, --output-file <file>', 'write the SBOM to this file instead of stdout')
      .option('--platform <os/arch>', 'the platform of a multi-platform image (default linux/amd64)')
      .option('--insecure', 'allow plain HTTP and unverified TLS to the registry'),
  ).action(async (target: string, flags: SbomFlags) => {
    if (flags.format !== 'spdx-json' && flags.format !== 'cyclonedx') throw new UsageError('--format must be spdx-json or cyclonedx');
    const result = await scanTarget(target, flags, false);
    await writeReport(`${await renderReport(result, flags.format)}\n`, flags.outputFile);
    for (const warning of result.warnings) process.stderr.write(`slipway: warning: ${warning}\n`);
  });
}
