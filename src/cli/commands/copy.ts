import { stderr } from 'node:process';
import type { Command } from 'commander';
import { createCredentialStore, fixedCredentials, parseUserPassword } from '../../core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient } from '../../core/oci/client/registry-client.ts';
import { copyImage, type CopyProgress, type CopyResult } from '../../core/oci/copy.ts';
import { parseCopyLocation, planCopy } from '../../core/oci/copy-location.ts';
import { ExitCode, parseOutputFormat, printResult } from '../output.ts';
import { formatBytes } from '../../core/format/format-bytes.ts';
import { createProgressBar } from '../progress-bar.ts';

interface CopyFlags {
  readonly insecure?: boolean;
  readonly srcCreds?: string;
  readonly destCreds?: string;
  readonly referrers: boolean;
  readonly output: string;
}

/** `slipway copy <src> <dst>`: an image or index with every child and its whole referrer graph, digests unchanged. */
export function registerCopy(program: Command): void {
  program
    .command('copy')
    .description('copy an image or index, with its signatures, attestations and SBOMs, between registries and OCI layouts')
    .argument('<source>', 'docker://host/repo:tag, host/repo@sha256:…, or oci:<dir>[:ref]')
    .argument('<destination>', 'docker://host/repo:tag or oci:<dir>[:ref]')
    .option('--insecure', 'allow plain HTTP and unverified TLS')
    .option('--src-creds <user:password>', 'credentials for the source registry (default: saved logins)')
    .option('--dest-creds <user:password>', 'credentials for the destination registry (default: saved logins)')
    .option('--no-referrers', 'copy the image only: no referrers, no cosign .sig/.att/.sbom tags')
    .option('--output <format>', 'text or json', 'text')
    .action(async (sourceArg: string, destinationArg: string, flags: CopyFlags) => {
      const format = parseOutputFormat(flags.output);
      const clients = { source: clientFor(flags, flags.srcCreds), target: clientFor(flags, flags.destCreds) };
      const abort = new AbortController();
      const onSignal = () => abort.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal);
      const progress = format === 'text' && stderr.isTTY ? progressReporter() : undefined;
      try {
        const plan = await planCopy(parseCopyLocation(sourceArg), parseCopyLocation(destinationArg), clients);
        const result = await copyImage(plan.source, plan.target, {
          ...(plan.reference === undefined ? {} : { reference: plan.reference }),
          ...(plan.targetTag === undefined ? {} : { targetTag: plan.targetTag }),
          referrers: flags.referrers,
          signal: abort.signal,
          ...(progress === undefined ? {} : { onProgress: progress.onProgress }),
        });
        progress?.finish();
        const failures =
          plan.expectDigest !== undefined && plan.expectDigest !== result.digest
            ? [...result.failures, { item: 'destination', code: 'DIGEST_MISMATCH', message: `the destination names ${plan.expectDigest}, the source is ${result.digest}` }]
            : result.failures;
        // Named as they were given (with the tag), not as the repositories the copy went between.
        const final: CopyResult = { ...result, source: sourceArg, target: destinationArg, failures };
        printResult(format, final, renderResult);
        if (final.failures.length > 0) process.exitCode = ExitCode.failure;
      } finally {
        progress?.finish();
        process.off('SIGINT', onSignal);
        clients.source.close();
        clients.target.close();
      }
    });
}

function clientFor(flags: CopyFlags, creds: string | undefined): RegistryClient {
  return createRegistryClient({
    credentials: creds === undefined ? createCredentialStore() : fixedCredentials(parseUserPassword(creds)),
    insecure: flags.insecure === true,
  });
}

/** Bytes of every blob seen, done when copied, mounted or already there. */
function progressReporter(): { onProgress: (event: CopyProgress) => void; finish: () => void } {
  const bar = createProgressBar(stderr);
  const sizes = new Map<string, number>();
  const done = new Map<string, number>();
  return {
    onProgress(event) {
      if (event.kind === 'blob-start') sizes.set(event.digest, event.size);
      else if (event.kind === 'blob-progress') done.set(event.digest, event.bytes);
      else if (event.kind === 'blob-done') done.set(event.digest, event.size);
      const note = event.kind === 'manifest-done' ? `manifest ${event.digest.slice(0, 19)}` : `blob ${event.digest.slice(0, 19)}`;
      bar.update(sum(done), sum(sizes), note);
    },
    finish: () => bar.finish(),
  };
}

function sum(values: Map<string, number>): number {
  let total = 0;
  for (const value of values.values()) total += value;
  return total;
}

/** One line; failures, if any, one line each below it. */
function renderResult(r: CopyResult): string {
  const tags = r.referrers.tags.length === 0 ? '' : ` (${r.referrers.tags.join(', ')})`;
  const line =
    `${r.failures.length === 0 ? 'Copied' : 'Copied with failures'} ${r.source} → ${r.target} ${r.digest}: ` +
    `${r.manifests.copied + r.manifests.skipped} manifests (${r.manifests.skipped} already there), ` +
    `${r.blobs.copied} blobs copied (${formatBytes(r.blobs.bytes)}), ${r.blobs.mounted} mounted, ${r.blobs.skipped} already there, ` +
    `${r.referrers.manifests} referrers${tags}`;
  return [line, ...r.failures.map((f) => `FAILED ${f.item}: ${f.code}: ${f.message}`)].join('\n');
}
