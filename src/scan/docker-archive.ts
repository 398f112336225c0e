import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { ScanError } from './scan-error.ts';
import { parseConfig, type ScanImage } from './image-config.ts';

interface TarEntry {
  readonly offset: number;
  readonly size: number;
  readonly type: string;
  readonly linkname: string;
}

const BLOCK = 512;
const MAX_JSON = 16 * 1024 * 1024;

/**
 * A `docker save` archive (legacy, or Docker 25's OCI layout inside the tar) opened in place:
 * entries are indexed by reading headers only, and each layer is streamed from its offset when
 * the walker reaches it. Nothing is extracted.
 */
export async function openDockerArchive(file: string, options: { signal?: AbortSignal } = {}): Promise<ScanImage> {
  const handle = await open(file, 'r').catch((cause: unknown) => {
    throw new ScanError('ARCHIVE_INVALID', `cannot open ${file}: ${(cause as Error).message}`, { cause });
  });
  try {
    const entries = await indexTar(handle, file, options.signal);
    const readJson = async (name: string): Promise<unknown> => {
      const entry = resolveEntry(entries, name, file);
      if (entry.size > MAX_JSON) throw new ScanError('ARCHIVE_INVALID', `${file}: ${name} is too large`);
      const buffer = Buffer.alloc(entry.size);
      await handle.read(buffer, 0, entry.size, entry.offset);
      try {
        return JSON.parse(buffer.toString('utf8'));
      } catch (cause) {
        throw new ScanError('ARCHIVE_INVALID', `${file}: ${name} is not JSON`, { cause });
      }
    };
    const manifest = (await readJson('manifest.json')) as { Config?: string; RepoTags?: string[]; Layers?: string[] }[];
    const first = Array.isArray(manifest) ? manifest[0] : undefined;
    if (first?.Config === undefined || !Array.isArray(first.Layers)) throw new ScanError('ARCHIVE_INVALID', `${file}: manifest.json names no image`);
    const config = parseConfig(JSON.stringify(await readJson(first.Config)), file);
    const layers = first.Layers.map((name, i) => {
      const entry = resolveEntry(entries, name, file);
      const diffId = config.diffIds[i] ?? '';
      return {
        digest: name.startsWith('blobs/') ? name.replace(/^blobs\/(\w+)\//, '$1:') : diffId,
        diffId,
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
        size: entry.size,
        open: (): Promise<Readable> => Promise.resolve(entry.size === 0 ? emptyStream() : createReadStream(file, { start: entry.offset, end: entry.offset + entry.size - 1 })),
      };
    });
    const tags = (first.RepoTags ?? []).filter((t): t is string => typeof t === 'string');
    return {
      name: tags[0] ?? `docker-archive:${file}`,
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

function emptyStream(): Readable {
  return createReadStream('/dev/null');
}

/** Follows symlinks and hard links inside the archive (skopeo's `<id>/layer.tar` → `<diffid>.tar`). */
function resolveEntry(entries: Map<string, TarEntry>, name: string, file: string, depth = 0): TarEntry {
  const entry = entries.get(posix.normalize(name).replace(/^\.?\//, ''));
  if (entry === undefined) throw new ScanError('ARCHIVE_INVALID', `${file}: ${name} is not in the archive`);
  if ((entry.type === '2' || entry.type === '1') && depth < 8) {
    const target = entry.type === '2' ? posix.join(posix.dirname(name), entry.linkname) : entry.linkname;
    return resolveEntry(entries, target, file, depth + 1);
  }
  return entry;
}

/** Reads every header of a tar file (ustar, GNU long names, PAX paths) and maps names to data offsets. */
async function indexTar(handle: FileHandle, file: string, signal: AbortSignal | undefined): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  const { size: total } = await handle.stat();
  const header = Buffer.alloc(BLOCK);
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= total) {
    signal?.throwIfAborted();
    await handle.read(header, 0, BLOCK, offset);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 48) || '0';
    if (Number.isNaN(size) || offset + BLOCK + size > total) throw new ScanError('ARCHIVE_INVALID', `${file}: truncated or corrupt tar header at byte ${offset}`);
    const dataOffset = offset + BLOCK;
    if (type === 'L' || type === 'x') {
      const data = Buffer.alloc(size);
      await handle.read(data, 0, size, dataOffset);
      longName = type === 'L' ? data.toString('utf8').replace(/\0.*$/s, '') : /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1] ?? longName;
    } else if (type !== 'g') {
      const prefix = field(header, 345, 155);
      const name = longName ?? (prefix === '' ? field(header, 0, 100) : `${prefix}/${field(header, 0, 100)}`);
      entries.set(posix.normalize(name).replace(/^\.?\//, ''), { offset: dataOffset, size, type: type === '\0' ? '0' : type, linkname: field(header, 157, 100) });
      longName = undefined;
    }
    offset = dataOffset + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}
