import { digestAlgorithm, digestOf, isDigest, parseDigest, type Digest } from '../digest.ts';
import { MAX_MANIFEST_BYTES } from '../manifest.ts';
import { bareMediaType, isManifestMediaType, MANIFEST_MEDIA_TYPES } from '../media-types.ts';
import { parseTag } from '../reference.ts';
import { pullScope, pushScope, deleteScope } from './auth-challenge.ts';
import { RegistryClientError } from './client-error.ts';
import { discard, header, readBody, type TransportResponse } from './http-transport.ts';
import { parseJsonObject } from './json-body.ts';
import { unexpected } from './registry-requester.ts';
import { describeReference, repositoryPath, retrying, withSignal, type RepositoryContext } from './repository-context.ts';

export interface ManifestContent {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: Digest;
}

export interface ManifestHead {
  readonly digest: Digest;
  readonly size: number;
  readonly mediaType: string;
}

export interface PutManifestResult {
  readonly digest: Digest;
  /** The registry answered `OCI-Subject`: it indexed the manifest's subject for the referrers API. */
  readonly subjectIndexed: boolean;
}

const ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

/** GET a manifest by tag or digest; undefined when the registry has none. Bytes are verified against the digest. */
export async function getManifest(context: RepositoryContext, ref: string, o: { signal?: AbortSignal; accept?: string } = {}): Promise<ManifestContent | undefined> {
  const target = manifestRef(ref);
  return retrying(context, o.signal, async () => {
    const response = await context.requester.send({
      method: 'GET',
      host: context.host,
      target: repositoryPath(context, `manifests/${target}`),
      scopes: pullScope(context.name),
      headers: { accept: o.accept ?? ACCEPT },
      followRedirects: true,
      ...withSignal(o.signal),
    });
    if (response.status === 404) return discardAndReturn(response, undefined);
    if (response.status !== 200) throw await unexpected(response, `GET manifest ${describeReference(context, target)}`);
    const bytes = await readBody(response, MAX_MANIFEST_BYTES, o.signal);
    const digest = verifiedDigest(bytes, isDigest(target) ? target : undefined, header(response, 'docker-content-digest'), describeReference(context, target));
    return { bytes, digest, mediaType: manifestMediaType(header(response, 'content-type'), bytes) };
  });
}

/** HEAD a manifest: digest, size and type without the body (GET when the registry omits the digest). */
export async function headManifest(context: RepositoryContext, ref: string, o: { signal?: AbortSignal } = {}): Promise<ManifestHead | undefined> {
  const target = manifestRef(ref);
  return retrying(context, o.signal, async () => {
    const response = await context.requester.send({
      method: 'HEAD',
      host: context.host,
      target: repositoryPath(context, `manifests/${target}`),
      scopes: pullScope(context.name),
      headers: { accept: ACCEPT },
      followRedirects: true,
      ...withSignal(o.signal),
    });
    discard(response);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw await unexpected(response, `HEAD manifest ${describeReference(context, target)}`);
    const digest = header(response, 'docker-content-digest');
    const size = Number(header(response, 'content-length'));
    const mediaType = bareMediaType(header(response, 'content-type') ?? '');
    if (digest !== undefined && isDigest(digest) && Number.isSafeInteger(size) && isManifestMediaType(mediaType)) return { digest, size, mediaType };
    const full = await getManifest(context, target, o);
    return full === undefined ? undefined : { digest: full.digest, size: full.bytes.byteLength, mediaType: full.mediaType };
  });
}

/** Where a tag must point for a conditional PUT: nowhere yet, or the manifest with this digest (its ETag). */
export type TagCondition = { readonly absent: true } | { readonly digest: Digest };

export interface PutManifestOptions {
  readonly signal?: AbortSignal;
  /**
   * Sent as `If-None-Match: *` or `If-Match: "<digest>"`; a registry that honours it answers 412 when the tag moved,
   * one that does not simply writes. A 412 is TAG_MOVED when the tag is indeed no longer where the condition says
   * (read back), else PRECONDITION_FAILED: a registry rule refused the PUT (an immutable tag, say).
   */
  readonly condition?: TagCondition;
}

function conditionHeaders(condition: TagCondition | undefined): Record<string, string> {
  if (condition === undefined) return {};
  return 'absent' in condition ? { 'if-none-match': '*' } : { 'if-match': `"${condition.digest}"` };
}

/** PUT manifest bytes verbatim under a tag or their digest. */
export async function putManifest(context: RepositoryContext, ref: string, bytes: Uint8Array, mediaType: string, o: PutManifestOptions = {}): Promise<PutManifestResult> {
  const target = manifestRef(ref);
  const digest = isDigest(target) ? digestOf(bytes, digestAlgorithm(target)) : digestOf(bytes);
  if (isDigest(target) && digest !== target) {
    throw new RegistryClientError('DIGEST_MISMATCH', `manifest bytes have digest ${digest}, not the ${target} they are pushed as`);
  }
  return retrying(context, o.signal, async () => {
    const response = await context.requester.send({
      method: 'PUT',
      host: context.host,
      target: repositoryPath(context, `manifests/${target}`),
      scopes: pushScope(context.name),
      headers: { 'content-type': mediaType, ...conditionHeaders(o.condition) },
      body: bytes,
      ...withSignal(o.signal),
    });
    if (response.status === 412 && o.condition !== undefined) throw await refusedCondition(context, target, o.condition, await unexpected(response, `PUT manifest ${describeReference(context, target)}`), o.signal);
    if (response.status !== 201 && response.status !== 200) throw await unexpected(response, `PUT manifest ${describeReference(context, target)}`);
    discard(response);
    const answered = header(response, 'docker-content-digest');
    if (answered !== undefined && isDigest(answered) && digestAlgorithm(answered) === digestAlgorithm(digest) && answered !== digest) {
      throw new RegistryClientError('DIGEST_MISMATCH', `${context.host} stored manifest ${describeReference(context, target)} as ${answered}, not ${digest}`);
    }
    return { digest, subjectIndexed: header(response, 'oci-subject') !== undefined };
  });
}

/** TAG_MOVED when the tag is no longer where `condition` says, else the 412 as it came (a registry rule refused). */
async function refusedCondition(context: RepositoryContext, tag: string, condition: TagCondition, refused: RegistryClientError, signal: AbortSignal | undefined): Promise<RegistryClientError> {
  const now = await headManifest(context, tag, withSignal(signal));
  const moved = 'absent' in condition ? now !== undefined : now?.digest !== condition.digest;
  return moved ? new RegistryClientError('TAG_MOVED', `${describeReference(context, tag)} moved since it was read`, { status: 412, cause: refused }) : refused;
}

/** DELETE a manifest by digest (or a tag, where the registry allows). NOT_FOUND when absent. */
export async function deleteManifest(context: RepositoryContext, ref: string, o: { signal?: AbortSignal } = {}): Promise<void> {
  const target = manifestRef(ref);
  return retrying(context, o.signal, async () => {
    const response = await context.requester.send({
      method: 'DELETE',
      host: context.host,
      target: repositoryPath(context, `manifests/${target}`),
      scopes: deleteScope(context.name),
      ...withSignal(o.signal),
    });
    if (response.status !== 202 && response.status !== 200 && response.status !== 204) throw await unexpected(response, `DELETE manifest ${describeReference(context, target)}`);
    discard(response);
  });
}

function manifestRef(ref: string): string {
  return ref.includes(':') ? parseDigest(ref) : parseTag(ref);
}

function verifiedDigest(bytes: Buffer, requested: Digest | undefined, answered: string | undefined, what: string): Digest {
  const claimed = requested ?? (answered !== undefined && isDigest(answered) ? answered : undefined);
  const computed = digestOf(bytes, claimed === undefined ? 'sha256' : digestAlgorithm(claimed));
  if (claimed !== undefined && computed !== claimed) {
    throw new RegistryClientError('DIGEST_MISMATCH', `manifest ${what}: the bytes received have digest ${computed}, not ${claimed}`);
  }
  if (requested !== undefined && answered !== undefined && isDigest(answered) && digestAlgorithm(answered) === digestAlgorithm(requested) && answered !== requested) {
    throw new RegistryClientError('DIGEST_MISMATCH', `manifest ${what}: the registry says ${answered}`);
  }
  return computed;
}

/** The Content-Type without parameters; the body's own `mediaType` when the header is missing or generic. */
function manifestMediaType(contentType: string | undefined, bytes: Buffer): string {
  const declared = bareMediaType(contentType ?? '');
  if (isManifestMediaType(declared)) return declared;
  try {
    const bodyType = parseJsonObject(bytes, 'manifest')['mediaType'];
    if (typeof bodyType === 'string') return bodyType;
  } catch {
    // not a JSON object: keep what the header said
  }
  return declared;
}

function discardAndReturn<T>(response: TransportResponse, value: T): T {
  discard(response);
  return value;
}
