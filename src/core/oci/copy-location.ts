import type { RegistryClient } from './client/registry-client.ts';
import { registrySource, registryTarget, type ImageSource, type ImageTarget } from './copy-endpoints.ts';
import { openImageLayout } from './image-layout.ts';
import type { Digest } from './digest.ts';
import { layoutSource, layoutTarget } from './layout-endpoints.ts';
import { OciError } from './oci-error.ts';
import { parseReference, referenceTarget, registryApiHost, type ImageReference } from './reference.ts';

/** Where a copy reads or writes, as the CLI names it. */
export type CopyLocation =
  | { readonly kind: 'registry'; readonly reference: ImageReference }
  | { readonly kind: 'layout'; readonly dir: string; readonly ref?: string };

/**
 * Parses `docker://host/repo:tag`, a bare `host/repo:tag` (Docker normalisation applies), or
 * `oci:<dir>[:ref]`, where, as in skopeo, everything after the first `:` following the
 * directory is the layout's ref name.
 */
export function parseCopyLocation(spec: string): CopyLocation {
  if (spec.startsWith('oci:')) {
    const rest = spec.slice(4);
    const colon = rest.indexOf(':');
    const dir = colon === -1 ? rest : rest.slice(0, colon);
    const ref = colon === -1 ? undefined : rest.slice(colon + 1);
    if (dir === '') throw new OciError('REFERENCE_INVALID', `${JSON.stringify(spec)}: name a directory, oci:<dir>[:ref]`);
    if (ref === '') throw new OciError('REFERENCE_INVALID', `${JSON.stringify(spec)}: empty ref name after ':'`);
    return { kind: 'layout', dir, ...(ref === undefined ? {} : { ref }) };
  }
  const match = /^([a-z][a-z0-9+.-]*):\/\//.exec(spec);
  if (match !== null && match[1] !== 'docker') {
    throw new OciError('REFERENCE_INVALID', `${JSON.stringify(spec)}: unsupported transport ${match[1]}://; use docker://host/repo:tag or oci:<dir>[:ref]`);
  }
  return { kind: 'registry', reference: parseReference(match === null ? spec : spec.slice('docker://'.length)) };
}

/** Everything `copyImage` needs for a copy between two locations. */
export interface CopyPlan {
  readonly source: ImageSource;
  readonly target: ImageTarget;
  readonly reference: string | undefined;
  readonly targetTag: string | undefined;
  /** A destination named by digest must receive exactly that digest. */
  readonly expectDigest: Digest | undefined;
}

/**
 * Opens both ends. The target tag is the destination's tag (`latest` when a registry destination
 * names none) or ref name; a layout destination without one takes the source's tag, if any.
 * A registry destination given by digest is written by digest.
 */
export async function planCopy(
  from: CopyLocation,
  to: CopyLocation,
  clients: { readonly source: RegistryClient; readonly target: RegistryClient },
): Promise<CopyPlan> {
  const reference = from.kind === 'registry' ? referenceTarget(from.reference) : from.ref;
  const sourceTag = from.kind === 'registry' ? (from.reference.digest === undefined ? from.reference.tag : undefined) : from.ref;
  const source =
    from.kind === 'registry'
      ? registrySource(clients.source.repository(registryApiHost(from.reference.registry), from.reference.repository))
      : layoutSource(await openImageLayout(from.dir, { create: false }));
  if (to.kind === 'layout') {
    const targetTag = to.ref ?? (sourceTag !== undefined && !isDigestLike(sourceTag) ? sourceTag : undefined);
    return { source, target: layoutTarget(await openImageLayout(to.dir, { create: true })), reference, targetTag, expectDigest: undefined };
  }
  const target = registryTarget(clients.target.repository(registryApiHost(to.reference.registry), to.reference.repository));
  const { digest, tag } = to.reference;
  return { source, target, reference, targetTag: digest === undefined ? tag : undefined, expectDigest: digest };
}

function isDigestLike(value: string): boolean {
  return value.includes(':');
}
