import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { BLOCK_SIZE, cString, isZeroBlock, parsePaxRecords, parseTarHeader, type RawTarHeader } from '../core/archive/tar-header.ts';
import { MAX_EXTENDED_HEADER_BYTES } from '../core/archive/tar-parser.ts';
import { digestOf, isDigest } from '../core/oci/digest.ts';
import { ScanError } from './scan-error.ts';
import { parseConfig, type ScanImage } from './image-config.ts';

interface TarEntry {
  readonly offset: number;
  readonly size: number;
  readonly type: string;
  readonly linkname: string;
}

const MAX_JSON = 16 * 1024 * 1024;

/**
 * A `docker save` archive (legacy, or Docker 25's OCI layout inside the tar) opened in place:
 * entries are indexed by reading headers only, and each layer is read in place from its offset
 * when the walker reaches it. Nothing is extracted.
 */
export async function openDockerArchive(file: string, options: { signal?: AbortSignal } = {}): Promise<ScanImage> {
  const handle = await open(file, 'r').catch((cause: unknown) => {
    throw new ScanError('ARCHIVE_INVALID', `cannot open ${file}: ${(cause as Error).message}`, { cause });
  });
  try {
    const entries = await indexTar(handle, file, options.signal);
    const readBytes = async (name: string): Promise<Buffer> => {
      const entry = resolveEntry(entries, name, file);
      if (entry.size > MAX_JSON) throw new ScanError('ARCHIVE_INVALID', `${file}: ${name} is too large`);
      const buffer = Buffer.alloc(entry.size);
      await handle.read(buffer, 0, entry.size, entry.offset);
      return buffer;
    };
    const readText = async (name: string): Promise<string> => (await readBytes(name)).toString('utf8');
    let manifest: unknown;
    try {
      manifest = JSON.parse(await readText('manifest.json'));
    } catch (cause) {
      if (cause instanceof ScanError) throw cause;
      throw new ScanError('ARCHIVE_INVALID', `${file}: manifest.json is not JSON`, { cause });
    }
    const first = Array.isArray(manifest) ? (manifest[0] as unknown) : undefined;
    if (typeof first !== 'object' || first === null) throw new ScanError('ARCHIVE_INVALID', `${file}: manifest.json names no image`);
    const image = manifestEntry(first as Record<string, unknown>, `${file}: manifest.json [0]`);
    // The config's text goes to parseConfig as it is: parsed here and serialised again, a deeply
    // nested config overflowed the stack in JSON.stringify.
    const configBytes = await readBytes(image.Config);
    const config = parseConfig(configBytes.toString('utf8'), file);
    if (config.diffIds.length !== image.Layers.length) {
      throw new ScanError('ARCHIVE_INVALID', `${file}: the config lists ${config.diffIds.length} layers (rootfs.diff_ids), manifest.json ${image.Layers.length}`);
    }
    const layers = image.Layers.map((name, i) => {
      const diffId = config.diffIds[i] ?? '';
      const digest = name.startsWith('blobs/') ? blobDigest(name, `${file}: manifest.json Layers[${i}]`) : diffId;
      const entry = resolveEntry(entries, name, file);
      return {
        digest,
        diffId,
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
        size: entry.size,
        // The archive names layers by path; what vouches for their bytes is the config's diff_id,
        // the digest of the uncompressed tar (usually the layer file itself).
        verify: 'diffId' as const,
        open: (): Promise<Readable> => Promise.resolve(entry.size === 0 ? Readable.from([]) : createReadStream(file, { start: entry.offset, end: entry.offset + entry.size - 1, highWaterMark: 1 << 20 })),
        openFile: async () => ({ handle: await open(file, 'r'), start: entry.offset, length: entry.size }),
      };
    });
    const tags = Array.isArray(image.RepoTags) ? image.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    return {
      // The file scanned, as Trivy names an --input archive; the tags it carries are the repo tags.
      name: `docker-archive:${file}`,
      // The image ID, as `docker images` shows it: the digest of the config's bytes.
      configDigest: digestOf(configBytes),
      ...(config.architecture === undefined ? {} : { architecture: config.architecture }),
      ...(config.os === undefined ? {} : { os: config.os }),
      repoTags: tags,
      repoDigests: [],
      layers,
    };
  } finally {
    await handle.close();
  }
}

/** The fields of a manifest.json entry the scan reads, checked: each a file name where one is wanted. */
function manifestEntry(entry: Record<string, unknown>, where: string): { Config: string; Layers: string[]; RepoTags: unknown } {
  const fileName = (value: unknown, field: string): string => {
    if (typeof value !== 'string' || value === '') throw new ScanError('ARCHIVE_INVALID', `${where}.${field} is not a file name (it is ${JSON.stringify(value) ?? 'missing'})`);
    return value;
  };
  const config = fileName(entry['Config'], 'Config');
  const layers = entry['Layers'];
  if (!Array.isArray(layers)) throw new ScanError('ARCHIVE_INVALID', `${where}.Layers is not a list of file names (it is ${JSON.stringify(layers) ?? 'missing'})`);
  return { Config: config, Layers: layers.map((layer: unknown, i) => fileName(layer, `Layers[${i}]`)), RepoTags: entry['RepoTags'] };
}

const MAX_LINKS = 8;
const NOT_FILES: Readonly<Record<string, string>> = { '3': 'a character device', '4': 'a block device', '5': 'a directory', '6': 'a FIFO' };

/**
 * The regular file `name` is, following symlinks and hard links inside the archive (skopeo's
 * `<id>/layer.tar` → `<diffid>.tar`). A loop, a device or a directory is refused, not read as an
 * empty file.
 */
function resolveEntry(entries: Map<string, TarEntry>, name: string, file: string): TarEntry {
  let path = name;
  for (let links = 0; ; links += 1) {
    const entry = entries.get(archivePath(path));
    if (entry === undefined) throw new ScanError('ARCHIVE_INVALID', `${file}: ${path === name ? name : `${name} (a link to ${path})`} is not in the archive`);
    if (entry.type === '0' || entry.type === '7') return entry;
    if (entry.type !== '1' && entry.type !== '2') {
      throw new ScanError('ARCHIVE_INVALID', `${file}: ${name} is ${NOT_FILES[entry.type] ?? `an entry of type ${JSON.stringify(entry.type)}`}, not a file`);
    }
    if (links === MAX_LINKS) throw new ScanError('ARCHIVE_INVALID', `${file}: ${name}: more than ${MAX_LINKS} links to follow (a loop?)`);
    path = entry.type === '2' ? posix.join(posix.dirname(path), entry.linkname) : entry.linkname;
  }
}

/** A member name as looked up: normalised, without a leading `./` or `/` or a trailing `/` (directories). */
function archivePath(name: string): string {
  return posix.normalize(name).replace(/^\.?\//, '').replace(/\/+$/, '');
}

/** The digest a Docker 25 archive's `blobs/<alg>/<hex>` layer is named by; any other name under blobs/ is refused. */
function blobDigest(name: string, where: string): string {
  const [, algorithm, hex] = /^blobs\/([^/]+)\/([^/]+)$/.exec(name) ?? [];
  const digest = `${algorithm ?? ''}:${hex ?? ''}`;
  if (!isDigest(digest)) throw new ScanError('ARCHIVE_INVALID', `${where} ${JSON.stringify(name)} is under blobs/ but not named blobs/<algorithm>/<hex digest>`);
  return digest;
}

/** Reads every header of a tar file (ustar, GNU long names, PAX paths) and maps names to data offsets. */
async function indexTar(handle: FileHandle, file: string, signal: AbortSignal | undefined): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  const { size: total } = await handle.stat();
  const block = Buffer.alloc(BLOCK_SIZE);
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK_SIZE <= total) {
    signal?.throwIfAborted();
    await handle.read(block, 0, BLOCK_SIZE, offset);
    if (isZeroBlock(block)) break;
    const header = parseArchiveHeader(block, file, offset);
    const dataOffset = offset + BLOCK_SIZE;
    if (dataOffset + header.size > total) throw new ScanError('ARCHIVE_INVALID', `${file}: ${header.name} is truncated`);
    if (header.typeflag === 'L' || header.typeflag === 'x') {
      // Held in memory: capped as the stream reader caps it (a sparse file can declare gigabytes).
      if (header.size > MAX_EXTENDED_HEADER_BYTES) {
        throw new ScanError('ARCHIVE_INVALID', `${file}: entry ${JSON.stringify(header.name)} (${header.typeflag} header at byte ${offset}): extended header of ${header.size} bytes exceeds ${MAX_EXTENDED_HEADER_BYTES}`);
      }
      const data = Buffer.alloc(header.size);
      await handle.read(data, 0, header.size, dataOffset);
      longName = header.typeflag === 'L' ? cString(data) : (parsePaxRecords(data, header.name).get('path') ?? longName);
    } else if (header.typeflag !== 'g') {
      const name = longName ?? header.name;
      entries.set(archivePath(name), { offset: dataOffset, size: header.size, type: header.typeflag === '\0' ? '0' : header.typeflag, linkname: header.linkname });
      longName = undefined;
    }
    offset = dataOffset + Math.ceil(header.size / BLOCK_SIZE) * BLOCK_SIZE;
  }
  return entries;
}

function parseArchiveHeader(block: Buffer, file: string, offset: number): RawTarHeader {
  try {
    return parseTarHeader(block);
  } catch (cause) {
    throw new ScanError('ARCHIVE_INVALID', `${file}: corrupt tar header at byte ${offset}: ${(cause as Error).message}`, { cause });
  }
}
