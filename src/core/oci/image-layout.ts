import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Descriptor } from './descriptor.ts';
import { DigestStream, digestAlgorithm, digestHex, digestOf, type Digest } from './digest.ts';
import { MAX_MANIFEST_BYTES, parseDescriptor } from './manifest.ts';
import { MediaType } from './media-types.ts';
import { OciError } from './oci-error.ts';

/** The annotation that names an entry of a layout's index.json (skopeo's `oci:<dir>:<ref>`). */
export const REF_NAME = 'org.opencontainers.image.ref.name';

interface IoOptions {
  readonly signal?: AbortSignal;
}

/** An OCI image layout directory: `oci-layout`, `index.json` and `blobs/<alg>/<hex>`. */
export interface ImageLayout {
  readonly dir: string;
  entries(options?: IoOptions): Promise<readonly Descriptor[]>;
  /** By ref name; without one, the sole entry; `@<n>` selects entry n. */
  resolve(ref?: string, options?: IoOptions): Promise<Descriptor>;
  blobSize(digest: Digest, options?: IoOptions): Promise<number | undefined>;
  openBlob(digest: Digest, options?: { offset?: number; signal?: AbortSignal }): Promise<Readable>;
  /** The blob's file, opened for a reader that reads it in place (the caller closes it). */
  openBlobFile(digest: Digest, options?: IoOptions): Promise<FileHandle>;
  /** Small content only (default limit 4 MiB). */
  readBlob(digest: Digest, options?: { maxBytes?: number; signal?: AbortSignal }): Promise<Buffer>;
  /** Streams into a temporary file, verifies digest and size, then renames; a mismatch leaves nothing. */
  writeBlob(source: Readable, expected: { digest: Digest; size: number }, options?: IoOptions): Promise<void>;
  writeBlobBytes(bytes: Uint8Array, options?: IoOptions): Promise<{ digest: Digest; size: number }>;
  /** Adds or replaces an entry; a ref name moves from any older entry to this one. index.json is replaced atomically. */
  addManifest(descriptor: Descriptor, refName?: string, options?: IoOptions): Promise<void>;
}

export async function openImageLayout(dir: string, options: { create?: boolean; signal?: AbortSignal } = {}): Promise<ImageLayout> {
  const header = await readLayoutFile(dir, 'oci-layout').catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new OciError('LAYOUT_INVALID', `${dir} is a file, not an OCI image layout directory`);
    if (code !== 'ENOENT') throw error;
    return undefined;
  });
  if (header === undefined) {
    if (options.create !== true) throw new OciError('LAYOUT_INVALID', `${dir} is not an OCI image layout (no oci-layout file)`);
    // Only a new or empty directory becomes a layout: anything else there (an index.json of some
    // other tool, unrelated files) would be overwritten or mixed with the image.
    const present = await readdir(dir).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return undefined;
    });
    if (present !== undefined && present.length > 0) {
      throw new OciError('LAYOUT_INVALID', `${dir} is not empty and has no oci-layout file: it is not an OCI image layout, and is not made one (name a new or empty directory)`);
    }
    if (present === undefined) {
      // A new directory is made whole beside its name, then renamed into place: an interrupted
      // start leaves no half-made directory that would then be refused as "not empty".
      await mkdir(dirname(dir), { recursive: true });
      const temp = `${dir}.tmp-${randomUUID()}`;
      try {
        await populateLayout(temp);
        await rename(temp, dir);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Another process made it meanwhile: open what it made (empty, or its layout).
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
        return openImageLayout(dir, options);
      } finally {
        await rm(temp, { recursive: true, force: true });
      }
    } else {
      await populateLayout(dir);
    }
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(header);
    } catch (cause) {
      throw new OciError('LAYOUT_INVALID', `${dir}/oci-layout is not JSON: ${(cause as Error).message}`, { cause });
    }
    const version = typeof parsed === 'object' && parsed !== null ? (parsed as { imageLayoutVersion?: unknown }).imageLayoutVersion : undefined;
    if (version !== '1.0.0') throw new OciError('LAYOUT_INVALID', `${dir}: unsupported imageLayoutVersion ${JSON.stringify(version)}`);
  }
  return layoutAt(dir);
}

/** The files of an empty layout; `oci-layout`, which marks it one, last. */
async function populateLayout(root: string): Promise<void> {
  await mkdir(join(root, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(root, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] }));
  await writeFile(join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
}

/**
 * A layout's own small file (`oci-layout`, `index.json`), as text. Only a regular file of at most
 * MAX_MANIFEST_BYTES is read: a symlink to /dev/zero would be read without end, a FIFO would block.
 * A missing file rejects with the ENOENT error itself.
 */
async function readLayoutFile(dir: string, name: string): Promise<string> {
  const path = join(dir, name);
  const info = await stat(path);
  if (!info.isFile()) throw new OciError('LAYOUT_INVALID', `${path} is not a regular file`);
  if (info.size > MAX_MANIFEST_BYTES) throw new OciError('LAYOUT_INVALID', `${path} is ${info.size} bytes; the limit is ${MAX_MANIFEST_BYTES}`);
  return readFile(path, 'utf8');
}

/** Splits the part after `oci:`: everything after the first `:` is the ref name (skopeo's rule); `@n` an index. */
export function parseLayoutReference(spec: string): { dir: string; ref?: string } {
  const colon = spec.indexOf(':');
  if (colon !== -1) return { dir: spec.slice(0, colon), ref: spec.slice(colon + 1) };
  const at = /^(.*)@(\d+)$/.exec(spec);
  if (at !== null) return { dir: at[1] ?? '', ref: `@${at[2] ?? ''}` };
  return { dir: spec };
}

function layoutAt(dir: string): ImageLayout {
  const blobFile = (digest: Digest) => join(dir, 'blobs', digestAlgorithm(digest), digestHex(digest));

  async function readIndex(): Promise<{ raw: Record<string, unknown>; manifests: Descriptor[] }> {
    let raw: unknown;
    try {
      raw = JSON.parse(await readLayoutFile(dir, 'index.json'));
    } catch (cause) {
      if (cause instanceof OciError) throw cause;
      throw new OciError('LAYOUT_INVALID', `${dir}/index.json cannot be read: ${(cause as Error).message}`, { cause });
    }
    if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { manifests?: unknown }).manifests)) {
      throw new OciError('LAYOUT_INVALID', `${dir}/index.json is not an image index`);
    }
    const record = raw as Record<string, unknown> & { manifests: unknown[] };
    return { raw: record, manifests: record.manifests.map((m, i) => parseDescriptor(m, `index.json manifests[${i}]`)) };
  }

  /**
   * The size of a blob that is a regular file (a symlink to one is followed: its content is
   * checked against the digest by whoever reads it). A directory, a device or a FIFO is refused:
   * reading one fails obscurely, never ends (/dev/zero) or blocks forever.
   */
  async function regularBlob(digest: Digest): Promise<number> {
    const info = await stat(blobFile(digest)).catch((cause: unknown) => {
      throw new OciError('NOT_FOUND', `blob ${digest} is not in ${dir}`, { cause });
    });
    if (!info.isFile()) throw new OciError('LAYOUT_INVALID', `blob ${digest} in ${dir} is not a regular file`);
    return info.size;
  }

  async function writeIndex(raw: Record<string, unknown>, manifests: readonly Descriptor[]): Promise<void> {
    const temp = join(dir, `.index.json.${randomUUID()}`);
    await writeFile(temp, JSON.stringify({ ...raw, schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
    await rename(temp, join(dir, 'index.json'));
  }

  return {
    dir,
    async entries() {
      return (await readIndex()).manifests;
    },

    async resolve(ref) {
      const { manifests } = await readIndex();
      if (ref !== undefined && /^@\d+$/.test(ref)) {
        const entry = manifests[Number(ref.slice(1))];
        if (entry === undefined) throw new OciError('NOT_FOUND', `${dir} has no entry ${ref}`);
        return entry;
      }
      if (ref === undefined || ref === '') {
        const [only, ...rest] = manifests;
        if (only === undefined || rest.length > 0) {
          throw new OciError('NOT_FOUND', `${dir} holds ${manifests.length} images; name one (oci:${dir}:<ref>)`);
        }
        return only;
      }
      const entry = manifests.find((m) => m.annotations?.[REF_NAME] === ref);
      if (entry === undefined) throw new OciError('NOT_FOUND', `${dir} has no image named ${JSON.stringify(ref)}`);
      return entry;
    },

    async blobSize(digest) {
      try {
        return (await stat(blobFile(digest))).size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },

    async openBlob(digest, options = {}) {
      await regularBlob(digest);
      return createReadStream(blobFile(digest), { start: options.offset ?? 0, highWaterMark: 1 << 20 });
    },

    async openBlobFile(digest) {
      await regularBlob(digest);
      return open(blobFile(digest));
    },

    async readBlob(digest, options = {}) {
      const limit = options.maxBytes ?? 4 * 1024 * 1024;
      const size = await regularBlob(digest);
      if (size > limit) throw new OciError('MANIFEST_INVALID', `blob ${digest} is ${size} bytes; the limit is ${limit}`);
      const bytes = await readFile(blobFile(digest));
      if (digestOf(bytes, digestAlgorithm(digest)) !== digest) throw new OciError('DIGEST_MISMATCH', `blob ${digest} in ${dir} is corrupt`);
      return bytes;
    },

    async writeBlob(source, expected, options = {}) {
      const target = blobFile(expected.digest);
      await mkdir(join(dir, 'blobs', digestAlgorithm(expected.digest)), { recursive: true });
      const temp = `${target}.tmp-${randomUUID()}`;
      const hasher = new DigestStream(digestAlgorithm(expected.digest));
      try {
        await pipeline(source, hasher, createWriteStream(temp), options.signal === undefined ? {} : { signal: options.signal });
        if (hasher.size !== expected.size || hasher.digest() !== expected.digest) {
          throw new OciError('DIGEST_MISMATCH', `blob ${expected.digest}: got ${hasher.digest()} (${hasher.size} bytes, expected ${expected.size})`);
        }
        await syncAndRename(temp, target);
      } finally {
        await rm(temp, { force: true });
      }
    },

    async writeBlobBytes(bytes) {
      // Always written and renamed over whatever is there (small content): a damaged file, or a
      // link someone left at the digest's path, is replaced by the real bytes, never trusted.
      const digest = digestOf(bytes);
      const target = blobFile(digest);
      await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
      const temp = `${target}.tmp-${randomUUID()}`;
      try {
        await writeFile(temp, bytes);
        await rename(temp, target);
      } finally {
        await rm(temp, { force: true });
      }
      return { digest, size: bytes.byteLength };
    },

    async addManifest(descriptor, refName) {
      const { raw, manifests } = await readIndex();
      const stripped = manifests
        .map((m) => (refName !== undefined && m.annotations?.[REF_NAME] === refName ? withoutRefName(m) : m))
        .filter((m) => !(m.digest === descriptor.digest && m.annotations?.[REF_NAME] === undefined));
      const entry: Descriptor =
        refName === undefined ? descriptor : { ...descriptor, annotations: { ...descriptor.annotations, [REF_NAME]: refName } };
      await writeIndex(raw, [...stripped, entry]);
    },
  };
}

function withoutRefName(descriptor: Descriptor): Descriptor {
  const annotations = Object.fromEntries(Object.entries(descriptor.annotations ?? {}).filter(([k]) => k !== REF_NAME));
  const { annotations: _dropped, ...rest } = descriptor;
  return Object.keys(annotations).length === 0 ? rest : { ...rest, annotations };
}

async function syncAndRename(temp: string, target: string): Promise<void> {
  const handle = await open(temp, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, target);
}
