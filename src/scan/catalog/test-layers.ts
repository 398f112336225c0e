/**
 * Test support: image layers built in code — gzip/zstd/plain tars from the shared tar writer, from
 * real files on disk, or from raw headers for what that writer cannot express (devices, FIFOs,
 * hostile names) — and a walk over them.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

/** A layer whose stored blob is `blob` exactly (for corrupt or odd content). */
export function blobLayer(blob: Buffer, mediaType: string, diffId: string = sha256(blob)): LayerSource & { opened: number } {
  const layer = {
    mediaType,
    digest: sha256(blob),
    diffId,
    opened: 0,
    open: async () => {
      layer.opened += 1;
      return Readable.from([blob.subarray(0, blob.byteLength >> 1), blob.subarray(blob.byteLength >> 1)]);
    },
  };
  return layer;
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
