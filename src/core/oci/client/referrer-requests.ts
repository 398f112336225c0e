import type { Descriptor } from '../descriptor.ts';
import { parseDigest, type Digest } from '../digest.ts';
import { parseManifest } from '../manifest.ts';
import { bareMediaType, MediaType } from '../media-types.ts';
import { referrersFallbackTag } from '../referrer-tags.ts';
import { pullScope } from './auth-challenge.ts';
import { RegistryClientError } from './client-error.ts';
import { discard, header, readBody } from './http-transport.ts';
import { getManifest, putManifest } from './manifest-requests.ts';
import { TAG_MOVED, updateTag } from '../tag-update.ts';
import { parseJsonObject } from './json-body.ts';
import { unexpected } from './registry-requester.ts';
import { describeReference, repositoryPath, retrying, withSignal, type RepositoryContext } from './repository-context.ts';
import { nextLink } from './tag-requests.ts';

export interface ReferrersOptions {
  readonly artifactType?: string;
  readonly signal?: AbortSignal;
}

/** Statuses that mean "no referrers API here": use the tag schema. */
const UNSUPPORTED: ReadonlySet<number> = new Set([400, 404, 405]);
const PAGE_LIMIT = 4 * 1024 * 1024;

/**
 * The referrers of `subject` in this repository: the referrers API when the registry has it,
 * else the `<alg>-<hex>` fallback index tag. Filtered by `artifactType` here when the registry
 * did not filter (`OCI-Filters-Applied` absent).
 */
export async function referrers(context: RepositoryContext, subject: Digest, o: ReferrersOptions = {}): Promise<readonly Descriptor[]> {
  const d = parseDigest(subject);
  const api = await referrersFromApi(context, d, o);
  const entries = api?.entries ?? (await referrersFromTag(context, d, o.signal));
  if (o.artifactType === undefined || api?.filtered === true) return entries;
  return entries.filter((e) => e.artifactType === o.artifactType);
}

interface ReferrersPage {
  readonly entries: readonly Descriptor[];
  readonly filtered: boolean;
  readonly next: URL | undefined;
}

async function referrersFromApi(context: RepositoryContext, subject: Digest, o: ReferrersOptions): Promise<{ entries: readonly Descriptor[]; filtered: boolean } | undefined> {
  const query = o.artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(o.artifactType)}`;
  let target: string | URL = repositoryPath(context, `referrers/${subject}${query}`);
  const entries: Descriptor[] = [];
  let filtered = false;
  for (let n = 0; n < 1000; n++) {
    const page = await referrersPage(context, subject, target, n === 0, o.signal);
    if (page === undefined) return undefined;
    entries.push(...page.entries);
    filtered ||= page.filtered;
    if (page.next === undefined) return { entries, filtered };
    target = page.next;
  }
  throw new RegistryClientError('PROTOCOL', `referrers of ${subject}: more than 1000 pages`);
}

/** One page of the referrers API; undefined when the registry has no such API. */
function referrersPage(context: RepositoryContext, subject: Digest, target: string | URL, first: boolean, signal?: AbortSignal): Promise<ReferrersPage | undefined> {
  return retrying(context, signal, async () => {
    const response = await context.requester.send({
      method: 'GET',
      host: context.host,
      target,
      scopes: pullScope(context.name),
      headers: { accept: MediaType.ociIndex },
      ...withSignal(signal),
    });
    const isIndex = bareMediaType(header(response, 'content-type') ?? '') === MediaType.ociIndex;
    if (first && (UNSUPPORTED.has(response.status) || (response.status === 200 && !isIndex))) {
      discard(response);
      return undefined;
    }
    if (response.status !== 200) throw await unexpected(response, `GET referrers ${describeReference(context, subject)}`);
    const filtered = (header(response, 'oci-filters-applied') ?? '').split(',').some((f) => f.trim() === 'artifactType');
    const entries = indexEntries(await readBody(response, PAGE_LIMIT, signal), `referrers of ${subject}`);
    return { entries, filtered, next: nextLink(response) };
  });
}

async function referrersFromTag(context: RepositoryContext, subject: Digest, signal?: AbortSignal): Promise<readonly Descriptor[]> {
  const tag = referrersFallbackTag(subject);
  const found = await getManifest(context, tag, { ...withSignal(signal), accept: MediaType.ociIndex });
  if (found === undefined || found.mediaType !== MediaType.ociIndex) return [];
  return indexEntries(found.bytes, describeReference(context, tag));
}

/**
 * Records `descriptor` in the fallback index tag of `subject`: read, append, write back on condition that the tag did
 * not move meanwhile (`If-Match`), starting over when it did, so that two writers do not drop each other's entry on a
 * registry that honours conditional PUTs (the tag schema itself has no such guard). Returns false when it was there already.
 */
export async function addReferrerToFallbackTag(context: RepositoryContext, subject: Digest, descriptor: Descriptor, o: { signal?: AbortSignal } = {}): Promise<boolean> {
  const tag = referrersFallbackTag(parseDigest(subject));
  const added = await updateTag(() => appendToIndexTag(context, tag, descriptor, o), o);
  if (added === undefined) throw new RegistryClientError('TAG_MOVED', `${describeReference(context, tag)} kept changing under other writers; ${descriptor.digest} was not added`);
  return added;
}

async function appendToIndexTag(context: RepositoryContext, tag: string, descriptor: Descriptor, o: { signal?: AbortSignal }): Promise<boolean | typeof TAG_MOVED> {
  const found = await getManifest(context, tag, { ...withSignal(o.signal), accept: MediaType.ociIndex });
  let manifests: unknown[] = [];
  if (found !== undefined) {
    if (found.mediaType !== MediaType.ociIndex) {
      throw new RegistryClientError('PROTOCOL', `${describeReference(context, tag)} is a ${found.mediaType}, not the referrers index it should be; left alone`);
    }
    const existing = parseJsonObject(found.bytes, describeReference(context, tag))['manifests'];
    const list: readonly unknown[] = Array.isArray(existing) ? existing : [];
    manifests = [...list];
    if (indexEntries(found.bytes, tag).some((e) => e.digest === descriptor.digest)) return false;
  }
  manifests.push(descriptor);
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
  const condition = found === undefined ? ({ absent: true } as const) : { digest: found.digest };
  try {
    await putManifest(context, tag, bytes, MediaType.ociIndex, { ...withSignal(o.signal), condition });
    return true;
  } catch (error) {
    if (error instanceof RegistryClientError && error.code === 'TAG_MOVED') return TAG_MOVED;
    throw error;
  }
}

function indexEntries(bytes: Buffer, what: string): readonly Descriptor[] {
  try {
    const index = parseManifest(bytes);
    if (index.kind !== 'index') throw new Error('not an index');
    return index.manifests;
  } catch (cause) {
    throw new RegistryClientError('PROTOCOL', `${what}: not a valid image index: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
