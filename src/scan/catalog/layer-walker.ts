import { TarError } from '../../core/archive/tar-error.ts';
import { TarParser, type TarBodySink, type TarEntry } from '../../core/archive/tar-parser.ts';
import type { BodyExtractor, CatalogFiles, Cataloger, Distro, InflationBudget } from '../model.ts';
import { baseName, joinPath, linkEscapesRoot, normaliseEntryPath, parentOf } from './entry-path.ts';
import { keptBytesOf, LayerTree, MAX_LINK_HOPS } from './layer-tree.ts';
import { isDecompressionError, layerTarBytes, type ByteBudget, type LayerSource } from './layer-stream.ts';
import { DEBIAN_VERSION_PATH, DISTRO_PATHS, OS_RELEASE_PATHS, distroFrom } from './os-release.ts';
import { ScanError } from '../scan-error.ts';
import { createWarningLog, type WarningLog } from './warning-log.ts';

export type { LayerSource } from './layer-stream.ts';

const EMPTY = Buffer.alloc(0);
/** Unexamined files listed, at most (a hostile layer could hold millions); the first make the point. */
const MAX_UNEXAMINED_LISTED = 100;

export interface WalkLimits {
  /** Largest file kept for a cataloger; larger wanted files are skipped with a warning. */
  readonly maxFileBytes: number;
  /** All kept files together; exceeding it fails the walk. */
  readonly maxTotalKeptBytes: number;
  /** Tar entries across all layers; exceeding it fails the walk. */
  readonly maxEntries: number;
  /** Uncompressed tar bytes across all layers (the decompression-bomb guard); exceeding it fails the walk. */
  readonly maxUncompressedBytes: number;
  /** Bytes extractors inflate out of files (a jar's nested jars) across all layers; spending it fails the walk. */
  readonly maxInflatedBytes: number;
}

export const DEFAULT_WALK_LIMITS: WalkLimits = {
  maxFileBytes: 64 * 1024 ** 2,
  maxTotalKeptBytes: 512 * 1024 ** 2,
  maxEntries: 2_000_000,
  maxUncompressedBytes: 32 * 1024 ** 3,
  maxInflatedBytes: 4 * 1024 ** 3,
};

export interface WalkResult {
  readonly files: CatalogFiles;
  readonly distro: Distro | undefined;
  /** Entries skipped (hostile, unsupported or too large), each naming its layer and entry. */
  readonly warnings: readonly string[];
  /**
   * Of those, the files a cataloger wanted that were not read (over a size limit, a hardlink to
   * content not kept): the packages in them are unknown, so the walk cannot vouch for the image.
   */
  readonly unexamined: readonly string[];
}

interface Walk {
  readonly tree: LayerTree;
  readonly catalogers: readonly Cataloger[];
  readonly limits: WalkLimits;
  readonly warnings: WarningLog;
  readonly unexamined: string[];
  readonly budget: ByteBudget;
  readonly inflation: InflationBudget;
  readonly signal: { signal?: AbortSignal };
  entries: number;
  layer: LayerAt | undefined;
  entry: string | undefined;
}

interface LayerAt {
  readonly source: LayerSource;
  readonly index: number;
}

/**
 * Streams the layers once, base first, applying each as an OCI changeset (whiteouts, opaque
 * directories), and keeps in memory only the files some cataloger wants (plus os-release).
 * Nothing is written anywhere. Hostile entries are skipped with a warning; broken layers and
 * exceeded limits fail with a ScanError naming the layer and entry.
 */
export async function walkLayers(
  layers: AsyncIterable<LayerSource> | Iterable<LayerSource>,
  catalogers: readonly Cataloger[],
  limits: Partial<WalkLimits> = {},
  options: { signal?: AbortSignal } = {},
): Promise<WalkResult> {
  const walk: Walk = {
    tree: new LayerTree(),
    catalogers,
    limits: { ...DEFAULT_WALK_LIMITS, ...limits },
    warnings: createWarningLog(),
    unexamined: [],
    budget: { used: 0, limit: limits.maxUncompressedBytes ?? DEFAULT_WALK_LIMITS.maxUncompressedBytes, exceeded: () => limitExceeded(walk, 'maxUncompressedBytes', 'uncompressed layer bytes') },
    inflation: { left: limits.maxInflatedBytes ?? DEFAULT_WALK_LIMITS.maxInflatedBytes },
    signal: options.signal === undefined ? {} : { signal: options.signal },
    entries: 0,
    layer: undefined,
    entry: undefined,
  };
  const digests: string[] = [];
  for await (const source of layers) {
    options.signal?.throwIfAborted();
    walk.layer = { source, index: digests.length };
    digests.push(source.digest);
    await walkLayer(walk, walk.layer);
  }
  walk.layer = undefined;
  walk.entry = undefined;
  linksToUnkept(walk, digests);
  const files = walk.tree.files();
  return { files, distro: distroOf(files), warnings: walk.warnings.list(), unexamined: walk.unexamined };
}

async function walkLayer(walk: Walk, layer: LayerAt): Promise<void> {
  walk.entry = undefined;
  // Entries are applied as the bytes arrive, synchronously, chunk by chunk. Whatever follows the
  // end-of-archive block is still read to the end (counted against the byte budget): only then
  // has the decompressor checked its trailer and the layer its digest.
  const parser = new TarParser((entry) => {
    walk.entry = entry.path;
    if (++walk.entries > walk.limits.maxEntries) throw limitExceeded(walk, 'maxEntries', 'tar entries');
    return applyEntry(walk, layer, entry);
  });
  try {
    for await (const chunk of layerTarBytes(layer.source, walk.budget, walk.signal)) {
      walk.signal.signal?.throwIfAborted();
      parser.push(chunk);
    }
    parser.end();
  } catch (error) {
    throw asScanError(error, layer.source, walk.entry);
  }
}

/** Applies one entry to the tree; returns a sink when its body is kept (a cataloger wants it). */
function applyEntry(walk: Walk, layer: LayerAt, entry: TarEntry): TarBodySink | undefined {
  const warn = (reason: string) => walk.warnings.add(`layer ${layer.source.digest}: entry ${JSON.stringify(entry.path)}: ${reason}`);
  const place = placeOf(walk, layer, entry, warn);
  if (place === undefined) return undefined;
  if (entry.type === 'file') return addFile(walk, layer, place, entry, warn);
  applyHeaderOnly(walk, layer, place.path, entry, warn);
  return undefined;
}

/**
 * Linux's PATH_MAX: no runtime unpacks an entry whose name, link target or place in the tree is
 * longer, and none is walked (the tree's depth stays bounded, so walking it cannot exhaust the stack).
 */
export const MAX_PATH_BYTES = 4096;

function tooLong(layer: LayerAt, entry: TarEntry, what: string): ScanError {
  const detail = { layer: layer.source.digest, entry: entry.path.slice(0, 256) };
  return new ScanError('LAYER_INVALID', `layer ${layer.source.digest}: entry ${JSON.stringify(detail.entry)}${entry.path.length > 256 ? '…' : ''}: ${what} longer than ${MAX_PATH_BYTES} bytes (PATH_MAX)`, { detail });
}

/** Where an entry lands in the tree. */
interface Place {
  /** Its directories resolved (symlinks followed). */
  readonly path: string;
  /** As written in the layer, normalised: `var/lib/dpkg/status` where `var/lib/dpkg` is a symlink. */
  readonly written: string;
}

/** Where an entry lands; undefined when it lands nowhere (hostile, a whiteout, the root). */
function placeOf(walk: Walk, layer: LayerAt, entry: TarEntry, warn: (reason: string) => void): Place | undefined {
  if (Buffer.byteLength(entry.path) > MAX_PATH_BYTES) throw tooLong(layer, entry, 'path');
  if (Buffer.byteLength(entry.linkname) > MAX_PATH_BYTES) throw tooLong(layer, entry, 'link target');
  const named = normaliseEntryPath(entry.path);
  if (named.kind === 'escapes') {
    warn('path escapes the image root; skipped');
    return undefined;
  }
  if (named.absolute) warn(`absolute path; read as ${JSON.stringify(named.path)} inside the image`);
  if (named.path === '') return undefined;
  const parent = walk.tree.resolve(parentOf(named.path), true);
  if (parent === undefined) {
    warn(`more than ${MAX_LINK_HOPS} symlinks in its directory path; skipped`);
    return undefined;
  }
  const name = baseName(named.path);
  if (Buffer.byteLength(parent) + name.length > MAX_PATH_BYTES) throw tooLong(layer, entry, 'path, its symlinks followed,');
  if (name.startsWith('.wh.')) {
    applyWhiteout(walk.tree, layer, joinPath(parent, name), warn);
    return undefined;
  }
  return { path: joinPath(parent, name), written: named.path };
}

function applyHeaderOnly(walk: Walk, layer: LayerAt, path: string, entry: TarEntry, warn: (reason: string) => void): void {
  switch (entry.type) {
    case 'file':
      return;
    case 'hardlink':
      return addHardlink(walk, layer, path, entry, warn);
    case 'symlink':
      return addSymlink(walk.tree, layer, path, entry.linkname, warn);
    case 'dir':
      return walk.tree.directory(path);
    case 'fifo':
      walk.tree.remove(path);
      return;
    case 'char':
    case 'block':
    case 'other':
      walk.tree.remove(path);
      return warn(entry.type === 'other' ? 'unsupported entry type; skipped' : `${entry.type === 'char' ? 'character' : 'block'} device; skipped`);
  }
}

function applyWhiteout(tree: LayerTree, layer: LayerAt, marker: string, warn: (reason: string) => void): void {
  const name = baseName(marker);
  if (name === '.wh..wh..opq') return tree.opaque(parentOf(marker), layer.index);
  if (name.startsWith('.wh..wh.')) return;
  const hidden = name.slice('.wh.'.length);
  if (hidden === '' || hidden === '.' || hidden === '..') return warn('whiteout without a name; skipped');
  tree.whiteout(joinPath(parentOf(marker), hidden), layer.index);
}

function addFile(walk: Walk, layer: LayerAt, { path, written }: Place, entry: TarEntry, warn: (reason: string) => void): TarBodySink | undefined {
  const previous = walk.tree.remove(path);
  // Wanted where it lands, or where it was written: `var/lib/dpkg/status` through a symlinked `var/lib/dpkg`.
  let whole = wanted(walk, path, entry) || (written !== path && wanted(walk, written, entry));
  const extractors = extractorsFor(walk, path, entry);
  if (whole && entry.size > walk.limits.maxFileBytes) {
    unexamined(walk, layer.source.digest, entry.path, `${entry.size}-byte file exceeds maxFileBytes (${walk.limits.maxFileBytes}); not cataloged`);
    whole = false;
  }
  if (!whole && extractors.size === 0) return undefined;
  // A file kept whole that replaces one kept whole keeps it as an earlier version (layer-origin.ts).
  const earlier = whole && previous?.kind === 'file' && previous.file.content.byteLength === previous.file.size ? [...(previous.file.earlier ?? []), { ...previous.file, earlier: [] }] : [];
  if (whole) reserve(walk, entry.size + earlier.reduce((bytes, version) => bytes + version.content.byteLength, 0));
  // One pass over the body: copied whole when wanted, and fed to every extractor.
  const content = whole ? Buffer.alloc(entry.size) : EMPTY;
  // An extractor that throws is dropped with a warning: one unreadable file does not fail the scan.
  const guarded = (name: string, run: () => void) => {
    try {
      run();
    } catch (error) {
      extractors.delete(name);
      warn(`cataloger ${name} could not read it: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  let offset = 0;
  return {
    data(bytes) {
      if (whole) offset += bytes.copy(content, offset);
      for (const [name, extractor] of extractors) guarded(name, () => extractor.push(bytes));
    },
    end() {
      const extracts = new Map<string, Buffer>();
      for (const [name, extractor] of extractors) {
        guarded(name, () => {
          // An extractor warns only of a file it could not read (see BodyExtractor.end).
          const kept = extractor.end((reason) => unexamined(walk, layer.source.digest, entry.path, reason), walk.inflation);
          if (kept !== undefined) extracts.set(name, kept);
        });
      }
      // What the file did not get to inflate is unknown: the scan stops here, naming it.
      if (walk.inflation.left <= 0) throw limitExceeded(walk, 'maxInflatedBytes', 'bytes inflated out of archives');
      if (!whole && extracts.size === 0) return;
      const file = {
        path,
        mode: entry.mode,
        size: entry.size,
        content,
        ...(extracts.size > 0 ? { extracts } : {}),
        layerDiffId: layer.source.diffId,
        layerDigest: layer.source.digest,
        ...(earlier.length > 0 ? { earlier } : {}),
      };
      if (extracts.size > 0) reserve(walk, keptBytesOf(file));
      walk.tree.put(path, { kind: 'file', file, layer: layer.index });
    },
  };
}

function addHardlink(walk: Walk, layer: LayerAt, path: string, entry: TarEntry, warn: (reason: string) => void): void {
  walk.tree.remove(path);
  const named = normaliseEntryPath(entry.linkname);
  if (named.kind === 'escapes' || named.path === '') return warn(`hardlink to ${JSON.stringify(entry.linkname)} points outside the image root; skipped`);
  const resolved = walk.tree.resolve(named.path, false);
  const target = resolved === undefined ? undefined : walk.tree.node(resolved);
  if (target?.kind === 'link') return walk.tree.put(path, { kind: 'link', target: target.target, layer: layer.index });
  if (target?.kind !== 'file') {
    if (wanted(walk, path, { mode: entry.mode, size: 0 })) unexamined(walk, layer.source.digest, entry.path, `hardlink to ${JSON.stringify(entry.linkname)}, whose content was not kept; not cataloged`);
    return;
  }
  const whole = wanted(walk, path, target.file);
  if (whole && target.file.content.byteLength !== target.file.size) return unexamined(walk, layer.source.digest, entry.path, `hardlink to ${JSON.stringify(entry.linkname)}, whose whole content was not kept; not cataloged`);
  if (!whole && target.file.extracts === undefined) return;
  reserve(walk, keptBytesOf(target.file));
  const file = { ...target.file, path, layerDiffId: layer.source.diffId, layerDigest: layer.source.digest };
  walk.tree.put(path, { kind: 'file', file, layer: layer.index });
}

function addSymlink(tree: LayerTree, layer: LayerAt, path: string, target: string, warn: (reason: string) => void): void {
  tree.remove(path);
  if (target === '') return warn('symlink without a target; skipped');
  if (linkEscapesRoot(path, target)) return warn(`symlink to ${JSON.stringify(target)} points outside the image root; skipped`);
  tree.put(path, { kind: 'link', target, layer: layer.index });
}

function wanted(walk: Walk, path: string, info: { readonly mode: number; readonly size: number }): boolean {
  const asked = { mode: info.mode, size: info.size };
  return DISTRO_PATHS.includes(path) || walk.catalogers.some((cataloger) => cataloger.wants(path, asked));
}

/** The catalogers' extractors for a regular file, by cataloger name. */
function extractorsFor(walk: Walk, path: string, info: { readonly mode: number; readonly size: number }): Map<string, BodyExtractor> {
  const found = new Map<string, BodyExtractor>();
  for (const cataloger of walk.catalogers) {
    const extractor = cataloger.extract?.(path, { mode: info.mode, size: info.size });
    if (extractor !== undefined) found.set(cataloger.name, extractor);
  }
  return found;
}

/**
 * A path a cataloger wants that is a symlink to content not kept (`var/lib/dpkg/status` →
 * `/srv/dpkg/status`, which nothing asked for as the layers streamed): unexamined, as a hardlink
 * to unkept content is — the packages it may name are unknown (a dangling link looks the same, and
 * is counted with them: failing closed).
 */
function linksToUnkept(walk: Walk, digests: readonly string[]): void {
  for (const link of walk.tree.links()) {
    if (!walk.catalogers.some((cataloger) => cataloger.wants(link.path, { mode: 0o644, size: 0 }))) continue;
    // A loop or a directory holds no content; a kept file is read through the link.
    const resolved = walk.tree.resolve(link.path, true);
    if (resolved === undefined || walk.tree.node(resolved) !== undefined) continue;
    unexamined(walk, digests[link.layer] ?? '', link.path, `symlink to ${JSON.stringify(resolved)}, whose content was not kept; not cataloged`);
  }
}

/** A wanted file not read: a warning, and one of the walk's `unexamined`. */
function unexamined(walk: Walk, layer: string, entry: string, reason: string): void {
  const message = `layer ${layer}: entry ${JSON.stringify(entry)}: ${reason}`;
  walk.warnings.add(message);
  if (walk.unexamined.length < MAX_UNEXAMINED_LISTED) walk.unexamined.push(message);
}

function reserve(walk: Walk, size: number): void {
  if (walk.tree.keptBytes + size > walk.limits.maxTotalKeptBytes) throw limitExceeded(walk, 'maxTotalKeptBytes', 'bytes of kept files');
}

function limitExceeded(walk: Walk, limit: keyof WalkLimits, what: string): ScanError {
  const layer = walk.layer?.source.digest;
  const where = `${layer === undefined ? '' : `layer ${layer}: `}${walk.entry === undefined ? '' : `entry ${JSON.stringify(walk.entry)}: `}`;
  const detail = { ...(layer === undefined ? {} : { layer }), ...(walk.entry === undefined ? {} : { entry: walk.entry }) };
  return new ScanError('LIMIT_EXCEEDED', `${where}more than ${walk.limits[limit]} ${what} (${limit})`, { detail });
}

function asScanError(error: unknown, layer: LayerSource, entry: string | undefined): unknown {
  if (error instanceof ScanError) return error;
  const named = error instanceof TarError ? error.entry : entry;
  const detail = { layer: layer.digest, ...(named === undefined ? {} : { entry: named }) };
  if (error instanceof TarError) return new ScanError('LAYER_INVALID', `layer ${layer.digest}: ${error.message}`, { cause: error, detail });
  if (!isDecompressionError(error)) return error;
  const after = entry === undefined ? '' : ` after entry ${JSON.stringify(entry)}`;
  return new ScanError('LAYER_INVALID', `layer ${layer.digest}: corrupt compressed stream${after}: ${(error as Error).message}`, { cause: error, detail });
}

function distroOf(files: CatalogFiles): Distro | undefined {
  for (const path of OS_RELEASE_PATHS) {
    const file = files.get(path);
    if (file !== undefined) return distroFrom(file.content.toString('utf8'), files.get(DEBIAN_VERSION_PATH)?.content.toString('utf8'));
  }
  return undefined;
}
