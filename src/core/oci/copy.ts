import type { ImageSource, ImageTarget, ManifestBytes, ManifestRole } from './copy-endpoints.ts';
import type { Descriptor } from './descriptor.ts';
import type { Digest } from './digest.ts';
import { isForeignLayer, parseManifest, type Manifest } from './manifest.ts';
import { OciError } from './oci-error.ts';
import { isValidTag } from './reference.ts';
import { cosignTags, referrerDescriptor } from './referrer-tags.ts';

export interface CopyOptions {
  /** Tag or digest at the source; may be left out for a layout holding one image. */
  readonly reference?: string;
  /** Tag (or layout ref name) for the copied image at the target; by digest only when unset. */
  readonly targetTag?: string;
  /** Copy the referrer graph too: OCI referrers and cosign's `.sig`/`.att`/`.sbom` tags. Default true. */
  readonly referrers?: boolean;
  /** Blobs copied at once. Default 4. */
  readonly concurrency?: number;
  readonly onProgress?: (event: CopyProgress) => void;
  readonly signal?: AbortSignal;
}

export type CopyProgress =
  | { readonly kind: 'blob-start'; readonly digest: Digest; readonly size: number }
  | { readonly kind: 'blob-progress'; readonly digest: Digest; readonly bytes: number; readonly size: number }
  | { readonly kind: 'blob-done'; readonly digest: Digest; readonly size: number; readonly outcome: 'copied' | 'skipped' | 'mounted' }
  | { readonly kind: 'manifest-done'; readonly digest: Digest; readonly role: ManifestRole; readonly tag?: string; readonly outcome: 'copied' | 'skipped' };

export interface CopyFailure {
  /** What failed: `blob sha256:…`, `manifest sha256:…`, `referrers of sha256:…`, `tag sha256-….sig`. */
  readonly item: string;
  readonly code: string;
  readonly message: string;
}

export interface CopyResult {
  readonly source: string;
  readonly target: string;
  /** Digest of the image or index copied (the same at source and target). */
  readonly digest: Digest;
  readonly mediaType: string;
  readonly manifests: { readonly copied: number; readonly skipped: number };
  readonly blobs: { readonly copied: number; readonly skipped: number; readonly mounted: number; readonly bytes: number };
  /** Referrer manifests and cosign-tagged manifests copied or found present, and the cosign tags written. */
  readonly referrers: { readonly manifests: number; readonly tags: readonly string[] };
  /** Everything that went wrong; empty on full success. */
  readonly failures: readonly CopyFailure[];
}

interface CopyState {
  readonly source: ImageSource;
  readonly target: ImageTarget;
  readonly options: CopyOptions;
  readonly mountFrom: string | undefined;
  readonly blobs: Map<Digest, Promise<boolean>>;
  /** Manifests whose tree is copied; each gets its own referrers looked up once. */
  readonly copied: Set<Digest>;
  readonly counts: { manifestsCopied: number; manifestsSkipped: number; blobsCopied: number; blobsSkipped: number; blobsMounted: number; bytes: number; referrers: number };
  readonly tags: string[];
  readonly failures: CopyFailure[];
}

/**
 * Copies an image or an index with every child, then its whole referrer graph (OCI referrers
 * however the source stores them, and cosign's legacy tags), recursively: referrers of referrers
 * and of children too. Bytes are copied verbatim, so every digest stays the same; blobs stream
 * from source to target. Failures past the root manifest are collected, not thrown.
 */
export async function copyImage(source: ImageSource, target: ImageTarget, options: CopyOptions = {}): Promise<CopyResult> {
  const root = await source.getManifest(options.reference, options.signal === undefined ? {} : { signal: options.signal });
  if (root === undefined) throw new OciError('NOT_FOUND', `${source.description}: no manifest ${options.reference ?? ''}`.trimEnd());
  const state: CopyState = {
    source,
    target,
    options,
    mountFrom: sameRegistry(source, target) ? source.registry?.repository : undefined,
    blobs: new Map(),
    copied: new Set(),
    counts: { manifestsCopied: 0, manifestsSkipped: 0, blobsCopied: 0, blobsSkipped: 0, blobsMounted: 0, bytes: 0, referrers: 0 },
    tags: [],
    failures: [],
  };
  const tree = await copyTree(state, root, { role: 'root', ...(options.targetTag === undefined ? {} : { tag: options.targetTag }) });
  if (tree !== undefined && options.referrers !== false) await copyAttachments(state, tree);
  const c = state.counts;
  return {
    source: source.description,
    target: target.description,
    digest: root.digest,
    mediaType: root.mediaType,
    manifests: { copied: c.manifestsCopied, skipped: c.manifestsSkipped },
    blobs: { copied: c.blobsCopied, skipped: c.blobsSkipped, mounted: c.blobsMounted, bytes: c.bytes },
    referrers: { manifests: c.referrers, tags: state.tags },
    failures: state.failures,
  };
}

function sameRegistry(source: ImageSource, target: ImageTarget): boolean {
  return source.registry !== undefined && target.registry !== undefined && source.registry.host === target.registry.host && source.registry.repository !== target.registry.repository;
}

/**
 * Copies one manifest after everything it points at (children first, then blobs). Returns the
 * digests of the manifests now at the target (itself and its children), or undefined on failure.
 */
async function copyTree(state: CopyState, manifest: ManifestBytes, placement: { role: ManifestRole; tag?: string }): Promise<readonly Digest[] | undefined> {
  const item = `manifest ${manifest.digest}`;
  const model = await attempt(state, item, () => Promise.resolve(parseManifest(manifest.bytes, manifest.mediaType)));
  if (model === undefined) return undefined;
  const present = await attempt(state, item, () => state.target.hasManifest(manifest.digest, signalOf(state)));
  if (present === undefined) return undefined;
  // A manifest at the target implies its blobs are there; an index's children are still walked for their referrers.
  const below = model.kind === 'index' ? await copyChildren(state, model) : present ? [] : await copyBlobs(state, model);
  if (below === undefined) {
    state.failures.push({ item, code: 'INCOMPLETE', message: `not copied: some of what ${manifest.digest} references failed to copy` });
    return undefined;
  }
  const put = await attempt(state, item, () => putManifest(state, manifest, model, { ...placement, present }));
  if (put === undefined) return undefined;
  state.copied.add(manifest.digest);
  return [manifest.digest, ...below];
}

async function copyChildren(state: CopyState, index: Manifest & { kind: 'index' }): Promise<readonly Digest[] | undefined> {
  const digests: Digest[] = [];
  let complete = true;
  for (const child of index.manifests) {
    const bytes = await attempt(state, `manifest ${child.digest}`, () => fetchManifest(state, child.digest));
    const copied = bytes === undefined ? undefined : await copyTree(state, bytes, { role: 'child' });
    if (copied === undefined) complete = false;
    else digests.push(...copied);
  }
  return complete ? digests : undefined;
}

async function copyBlobs(state: CopyState, image: Manifest & { kind: 'image' }): Promise<readonly Digest[] | undefined> {
  const blobs = [image.config, ...image.layers].filter((d) => !isForeignLayer(d));
  const results = await mapLimit(blobs, state.options.concurrency ?? 4, (descriptor) => copyBlob(state, descriptor));
  return results.every(Boolean) ? [] : undefined;
}

/** One copy per digest, however many manifests share the blob. */
function copyBlob(state: CopyState, descriptor: Descriptor): Promise<boolean> {
  let pending = state.blobs.get(descriptor.digest);
  if (pending === undefined) {
    pending = transferBlob(state, descriptor);
    state.blobs.set(descriptor.digest, pending);
  }
  return pending;
}

async function transferBlob(state: CopyState, descriptor: Descriptor): Promise<boolean> {
  const { digest, size } = descriptor;
  const emit = state.options.onProgress;
  const signal = signalOf(state);
  emit?.({ kind: 'blob-start', digest, size });
  const outcome = await attempt(state, `blob ${digest}`, () =>
    state.target.putBlob(descriptor, () => state.source.openBlob(descriptor, signal), {
      ...signal,
      ...(state.mountFrom === undefined ? {} : { mountFrom: state.mountFrom }),
      onProgress: (bytes) => emit?.({ kind: 'blob-progress', digest, bytes, size }),
    }),
  );
  if (outcome === undefined) return false;
  if (outcome === 'copied') {
    state.counts.blobsCopied++;
    state.counts.bytes += size;
  } else if (outcome === 'mounted') state.counts.blobsMounted++;
  else state.counts.blobsSkipped++;
  emit?.({ kind: 'blob-done', digest, size, outcome });
  return true;
}

async function putManifest(state: CopyState, manifest: ManifestBytes, model: Manifest, placement: { role: ManifestRole; tag?: string; present: boolean }): Promise<true> {
  const { role, tag, present } = placement;
  if (!present || tag !== undefined) {
    const { subjectIndexed } = await state.target.putManifest(manifest, { role, ...(tag === undefined ? {} : { tag }), ...signalOf(state) });
    if (model.subject !== undefined && !subjectIndexed) {
      await state.target.addReferrer(model.subject.digest, referrerDescriptor(model, manifest.bytes, manifest.digest), signalOf(state));
    }
  }
  if (present) state.counts.manifestsSkipped++;
  else state.counts.manifestsCopied++;
  state.options.onProgress?.({ kind: 'manifest-done', digest: manifest.digest, role, ...(tag === undefined ? {} : { tag }), outcome: present ? 'skipped' : 'copied' });
  return true;
}

/**
 * Walks the referrer graph breadth first from the copied tree: for each manifest, its OCI
 * referrers and its cosign `.sig`/`.att`/`.sbom` tags, each copied with its own tree, whose
 * manifests are walked in turn.
 */
async function copyAttachments(state: CopyState, start: readonly Digest[]): Promise<void> {
  const queue = [...start];
  const walked = new Set<Digest>();
  for (let subject = queue.shift(); subject !== undefined; subject = queue.shift()) {
    if (walked.has(subject)) continue;
    walked.add(subject);
    const found = await attempt(state, `referrers of ${subject}`, () => state.source.referrers(subject, signalOf(state)));
    for (const referrer of found ?? []) {
      if (state.copied.has(referrer.digest)) continue;
      const bytes = await attempt(state, `manifest ${referrer.digest}`, () => fetchManifest(state, referrer.digest));
      const tree = bytes === undefined ? undefined : await copyTree(state, bytes, { role: 'referrer' });
      if (tree !== undefined) state.counts.referrers++;
      queue.push(...(tree ?? []));
    }
    for (const { tag } of cosignTags(subject).filter((t) => isValidTag(t.tag))) {
      const bytes = await attempt(state, `tag ${tag}`, () => state.source.getManifest(tag, signalOf(state)));
      if (bytes === undefined) continue;
      const tree = await copyTree(state, bytes, { role: 'tagged', tag });
      if (tree === undefined) continue;
      state.counts.referrers++;
      state.tags.push(tag);
      queue.push(...tree);
    }
  }
}

async function fetchManifest(state: CopyState, digest: Digest): Promise<ManifestBytes> {
  const found = await state.source.getManifest(digest, signalOf(state));
  if (found === undefined) throw new OciError('NOT_FOUND', `${state.source.description} has no manifest ${digest}`);
  return found;
}

function signalOf(state: CopyState): { signal?: AbortSignal } {
  return state.options.signal === undefined ? {} : { signal: state.options.signal };
}

/** Runs `work`; on failure records it (aborts are rethrown) and returns undefined. */
async function attempt<T>(state: CopyState, item: string, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    state.options.signal?.throwIfAborted();
    const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : 'ERROR';
    state.failures.push({ item, code, message: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  const queue = items.entries();
  const worker = async (): Promise<void> => {
    for (const [i, item] of queue) results[i] = await work(item);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
