/** What both benchmarks need: running a command, and writing the JSON half of an OCI image layout. */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Runs a command to completion; resolves with its stdout (`discardStdout`: sent to /dev/null, for
 * output too large to keep), rejects with its stderr.
 */
export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; discardStdout?: boolean } = {}): Promise<string> {
  const { discardStdout, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...spawnOptions, stdio: ['ignore', discardStdout === true ? 'ignore' : 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${err}`))));
  });
}

/**
 * Writes the config, the manifest, `oci-layout` and `index.json` of a one-image layout whose layer blobs are already
 * in `<dir>/blobs/sha256`; the manifest is tagged `ref`.
 */
export async function writeLayoutImage(
  dir: string,
  config: Record<string, unknown>,
  layers: readonly { readonly mediaType: string; readonly digest: string; readonly size: number }[],
  ref: string,
): Promise<void> {
  const blobs = join(dir, 'blobs', 'sha256');
  const configText = JSON.stringify(config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await writeBlob(blobs, configText), size: Buffer.byteLength(configText) },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  });
  const descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: await writeBlob(blobs, manifest), size: Buffer.byteLength(manifest), annotations: { 'org.opencontainers.image.ref.name': ref } };
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [descriptor] }));
}

async function writeBlob(blobs: string, content: string): Promise<string> {
  const hex = createHash('sha256').update(content).digest('hex');
  await writeFile(join(blobs, hex), content);
  return `sha256:${hex}`;
}
