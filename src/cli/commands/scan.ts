import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { RegistryClient } from '../../core/oci/client/registry-client.ts';
import { REPORT_FORMATS, SEVERITIES, filterFindings, imagePurl, parseOpenVex, renderReport, scanTarget as scanWith, type ScanResult, type Severity } from '../../scan/local.ts';
import { SLIPWAY_VERSION } from '../../version.ts';
import { dataOptions, localDatabaseConfig, type DataFlags } from '../local-database.ts';
import { UsageError, writeReport } from '../output.ts';


interface ScanFlags extends DataFlags {
  readonly format: string;
  readonly severity?: string;
  readonly exitCode: number;
  readonly ignoreUnfixed?: boolean;
  readonly vex?: string;
  readonly insecure?: boolean;
  readonly platform?: string;
  readonly outputFile?: string;
}

/**
 * `HIGH,CRITICAL` (Trivy's words) → Harbor's scale. `LOW` takes Negligible too: the Trivy-JSON and
 * SARIF reports write Negligible as LOW, so a filter in Trivy's words keeps what they show as LOW;
 * `NEGLIGIBLE` alone asks for Harbor's finer level.
 */
export function parseSeverities(value: string): Severity[] {
  return value.split(',').flatMap((word): Severity[] => {
    const found = SEVERITIES.find((s) => s.toLowerCase() === word.trim().toLowerCase());
    if (found === undefined) throw new UsageError(`--severity: ${JSON.stringify(word)} is not one of ${SEVERITIES.join(', ')}`);
    return found === 'Low' ? ['Low', 'Negligible'] : [found];
  });
}

/** `--exit-code`: a process exit status, 0 to 255. */
function exitCodeOf(value: string): number {
  const code = Number(value);
  if (!/^[0-9]+$/.test(value.trim()) || code > 255) throw new UsageError(`--exit-code: ${JSON.stringify(value)} is not an exit status (0 to 255)`);
  return code;
}

/** Scans a target with the data directory's vulnerability database (or none, for SBOMs). */
export async function scanTarget(target: string, flags: DataFlags & { insecure?: boolean; platform?: string }, withVulnerabilities: boolean): Promise<ScanResult> {
  let client: RegistryClient | undefined;
  // Made (and node:http, node:tls loaded) only when the target is a registry reference.
  const connect = async (): Promise<RegistryClient> => {
    const [{ createRegistryClient }, { createCredentialStore }] = await Promise.all([import('../../core/oci/client/registry-client.ts'), import('../../core/oci/client/credentials.ts')]);
    client ??= createRegistryClient({ credentials: createCredentialStore(), insecure: flags.insecure === true });
    return client;
  };
  try {
    return await scanWith(target, {
      client: connect,
      version: SLIPWAY_VERSION,
      ...(flags.platform === undefined ? {} : { platform: flags.platform }),
      ...(withVulnerabilities ? { database: localDatabaseConfig(flags) } : {}),
    });
  } finally {
    client?.close();
  }
}

/** `slipway scan`: the CI stage before push. Exits with `--exit-code` when findings survive the filters. */
export function registerScan(program: Command): void {
  dataOptions(
    program
      .command('scan')
      .description('scan an image for vulnerabilities: a registry reference, an OCI layout directory or a docker-archive tar')
      .argument('<target>', 'host/repo:tag, oci:<dir>[:ref], <dir>, docker-archive:<file> or <file>.tar')
      .option('--format <format>', REPORT_FORMATS.join('|'), 'table')
      .option('-o, --output-file <file>', 'write the report to this file instead of stdout (e.g. SARIF for code scanning)')
      .option('--severity <list>', 'only these severities, e.g. HIGH,CRITICAL')
      .option('--exit-code <n>', 'exit with this code (1 to 255) when any finding remains after the filters', exitCodeOf, 0)
      .option('--ignore-unfixed', 'only findings with a fixed version')
      .option('--vex <file>', 'an OpenVEX document: not_affected and fixed statements suppress findings')
      .option('--platform <os/arch>', 'the platform of a multi-platform image (default linux/amd64)')
      .option('--insecure', 'allow plain HTTP and unverified TLS to the registry'),
  ).action(async (target: string, flags: ScanFlags) => {
    const format = REPORT_FORMATS.find((f) => f === flags.format);
    if (format === undefined) throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(', ')}`);
    if (format === 'spdx-json' && flags.exitCode !== 0) {
      throw new UsageError('--exit-code needs a vulnerability report (--format table, json, sarif or cyclonedx); spdx-json is an SBOM, without vulnerabilities');
    }
    const severities = flags.severity === undefined ? undefined : parseSeverities(flags.severity);
    const vex = flags.vex === undefined ? undefined : parseOpenVex(JSON.parse(await readFile(flags.vex, 'utf8')) as unknown);
    // CycloneDX carries the vulnerabilities as Trivy's does (`slipway sbom --format cyclonedx` does not); SPDX 2.3 has no place for them.
    const result = await scanTarget(target, flags, format !== 'spdx-json');
    const purl = imagePurl(result.artifact);
    const { kept } = filterFindings(result.findings, {
      ...(severities === undefined ? {} : { severities }),
      ignoreUnfixed: flags.ignoreUnfixed === true,
      ...(vex === undefined ? {} : { vex }),
      ...(result.artifact.digest === undefined ? {} : { imageDigest: result.artifact.digest }),
      ...(purl === undefined ? {} : { imagePurl: purl }),
    });
    await writeReport(`${await renderReport({ ...result, findings: kept }, format)}\n`, flags.outputFile);
    for (const warning of result.warnings) process.stderr.write(`slipway: warning: ${warning}\n`);
    if (flags.exitCode === 0) return;
    if (kept.length > 0) process.exitCode = flags.exitCode;
    if (result.unexamined !== undefined) {
      // Fail closed, as the server's gate does: packages in files not read are unknown.
      process.stderr.write(`slipway: ${result.unexamined.length} file${result.unexamined.length === 1 ? '' : 's'} that may hold packages not read (see the warnings): not vouched for, so --exit-code ${flags.exitCode}\n`);
      process.exitCode = flags.exitCode;
    }
    if (result.packages.length === 0) {
      // Fail closed, as the server's gate does (Unsupported): a scan that recognised nothing cannot vouch for the image.
      process.stderr.write(`slipway: nothing recognised in ${target} (no OS package database, no language packages): Unsupported, so --exit-code ${flags.exitCode}\n`);
      process.exitCode = flags.exitCode;
    }
  });
}
