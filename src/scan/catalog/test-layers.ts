/**
 * Test support: image layers built in code — gzip/zstd/plain tars from the shared tar writer, from
 * real files on disk, or from raw headers for what that writer cannot express (devices, FIFOs,
 * hostile names) — and a walk over them.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { sealHeader, tarArchive, type TarEntry } from '../../testing/tar-writer.ts';
import type { Cataloger } from '../model.ts';
import type { LayerSource } from './layer-stream.ts';
import { walkLayers, type WalkLimits, type WalkResult } from './layer-walker.ts';

export interface RawEntry {
  readonly path: string;
  /** ustar typeflag: `0` file, `1` hardlink, `2` symlink, `3` char device, `4` block device, `5` dir, `6` FIFO. */
  readonly typeflag?: string;
  readonly content?: string | Buffer;
  readonly linkname?: string;
  readonly mode?: number;
  /** The size the header declares, when it is not the content's (a bomb, a truncated body). */
  readonly size?: number;
}

/** A tar of raw ustar headers (names up to 100 bytes), ended by two zero blocks. */
export function rawTar(entries: readonly RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = Buffer.from(entry.content ?? '');
    const block = Buffer.alloc(512);
    block.write(entry.path, 0, 100);
    block.write(`${(entry.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100);
    block.write(`${(entry.size ?? content.byteLength).toString(8).padStart(11, '0')}\0`, 124);
    block.write(entry.typeflag ?? '0', 156);
    block.write(entry.linkname ?? '', 157, 100);
    block.write('ustar\x0000', 257);
    sealHeader(block);
    parts.push(block, content, Buffer.alloc((512 - (content.byteLength % 512)) % 512));
  }
  return Buffer.concat([...parts, Buffer.alloc(1024)]);
}

export type Compression = 'gzip' | 'zstd' | 'none';

const MEDIA_TYPES: Readonly<Record<Compression, string>> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

/** A layer from tar bytes (or tar-writer entries), compressed as asked; digests are real. */
export function testLayer(tar: Buffer | readonly TarEntry[], options: { compression?: Compression; mediaType?: string } = {}): LayerSource & { opened: number } {
  const bytes = Buffer.isBuffer(tar) ? tar : tarArchive(tar);
  const compression = options.compression ?? 'gzip';
  const blob = compression === 'gzip' ? gzipSync(bytes) : compression === 'zstd' ? zstdCompressSync(bytes) : bytes;
  return blobLayer(blob, options.mediaType ?? MEDIA_TYPES[compression], sha256(bytes));
}

/**
 * How the layers made from here on are read: streamed (`open`, as from a registry), or from a
 * local file in place (`openFile` as well, which the walker prefers: a layout's blob, a
 * docker-archive's entry). A test file runs its tests both ways by setting `via` before each.
 */
export const layerReads: { via: 'stream' | 'file' } = { via: 'stream' };

/** A layer whose stored blob is `blob` exactly (for corrupt or odd content). */
export function blobLayer(blob: Buffer, mediaType: string, diffId: string = sha256(blob)): LayerSource & { opened: number } {
  const file = layerReads.via === 'file' ? blobFile(blob) : undefined;
  const layer: LayerSource & { opened: number } = {
    mediaType,
    digest: sha256(blob),
    diffId,
    opened: 0,
    open: async () => {
      layer.opened += 1;
      return Readable.from([blob.subarray(0, blob.byteLength >> 1), blob.subarray(blob.byteLength >> 1)]);
    },
    ...(file === undefined
      ? {}
      : {
          openFile: async () => {
            layer.opened += 1;
            return { handle: await open(file.path), start: file.start, length: blob.byteLength };
          },
        }),
  };
  return layer;
}

let blobDir: string | undefined;

/** `blob` written to a temporary file between other bytes, as a docker-archive holds a layer: where it starts. */
function blobFile(blob: Buffer): { path: string; start: number } {
  if (blobDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-test-layers-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    blobDir = dir;
  }
  const path = join(blobDir, randomUUID());
  const around = Buffer.alloc(512, 0x5a);
  writeFileSync(path, Buffer.concat([around, blob, around]));
  return { path, start: around.byteLength };
}

/** Tar-writer entries for real files: `files` maps a path inside the image to a file on disk. */
export function entriesFromDisk(files: Readonly<Record<string, string>>): TarEntry[] {
  return Object.entries(files).map(([path, file]) => ({ path, content: readFileSync(file) }));
}

/** Walks the layers with the catalogers (and optional limits). */
export function walk(layers: readonly LayerSource[], catalogers: readonly Cataloger[], limits: Partial<WalkLimits> = {}): Promise<WalkResult> {
  return walkLayers(layers, catalogers, limits);
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
