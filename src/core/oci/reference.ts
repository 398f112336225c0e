import { parseDigest, type Digest } from './digest.ts';
import { OciError } from './oci-error.ts';

/**
 * A fully qualified image reference: `registry/repository[:tag][@digest]`. `registry` is the
 * registry's name as users write it (`docker.io`, `reg.example:5000`); `apiHost()` gives the host
 * the Distribution API is served from.
 */
export interface ImageReference {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
export const DEFAULT_TAG = 'latest';
/** Many clients cap `host[:port]/name` at 255 characters; so do we. */
export const MAX_NAME_LENGTH = 255;

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DOMAIN_LABEL = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = new RegExp(`^(?:${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?$`);
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([DOCKER_HUB, 'index.docker.io', DOCKER_HUB_API_HOST]);

/**
 * Parses `host[:port]/path[:tag][@digest]` with Docker's normalisation: a first path segment is a
 * registry host when it contains `.` or `:`, is `localhost`, or has upper-case letters; otherwise
 * the registry is Docker Hub and one-segment names get `library/`. Without tag and digest the tag
 * is `latest`.
 */
export function parseReference(input: string): ImageReference {
  if (input === '' || input.trim() !== input) throw new OciError('REFERENCE_INVALID', `invalid image reference ${JSON.stringify(input)}`);
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = referenceDigest(rest.slice(at + 1), input);
    rest = rest.slice(0, at);
  }
  const { registry, path } = splitRegistry(rest, input);
  let repository = path;
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon !== -1) {
    tag = parseTag(path.slice(colon + 1));
    repository = path.slice(0, colon);
  }
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  parseRepositoryName(repository);
  if (`${registry}/${repository}`.length > MAX_NAME_LENGTH) {
    throw new OciError('NAME_INVALID', `repository name ${JSON.stringify(`${registry}/${repository}`)} is longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { registry, repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** Validates a repository name (`library/nginx`, `platform-dev/app`) against the spec's grammar. */
export function parseRepositoryName(name: string): string {
  if (!NAME.test(name)) {
    throw new OciError(
      'NAME_INVALID',
      `invalid repository name ${JSON.stringify(name)}: use lowercase letters, digits and separators (. _ __ -) between path components`,
    );
  }
  return name;
}

export function parseTag(tag: string): string {
  if (!TAG.test(tag)) {
    throw new OciError('TAG_INVALID', `invalid tag ${JSON.stringify(tag)}: up to 128 of [A-Za-z0-9_.-], not starting with . or -`);
  }
  return tag;
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Validates a registry host (`reg.example`, `localhost:5000`, `[::1]:5000`). */
export function parseRegistryHost(host: string): string {
  if (!HOST.test(host)) throw new OciError('REFERENCE_INVALID', `invalid registry host ${JSON.stringify(host)}`);
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

/** The host serving the Distribution API for a registry name: Docker Hub's is `registry-1.docker.io`. */
export function registryApiHost(registry: string): string {
  return DOCKER_HUB_ALIASES.has(registry) ? DOCKER_HUB_API_HOST : registry;
}

/** The digest if there is one, else the tag: what a manifest request names. */
export function referenceTarget(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

/** `registry/repository[:tag][@digest]`, fully qualified. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${suffix(ref)}`;
}

/** The short form people type: `nginx:latest`, `user/app:1`, `reg.example/app:1`. */
export function familiarName(ref: ImageReference): string {
  let name = `${ref.registry}/${ref.repository}`;
  if (ref.registry === DOCKER_HUB) {
    name = ref.repository.startsWith('library/') && ref.repository.indexOf('/', 8) === -1 ? ref.repository.slice(8) : ref.repository;
  }
  return `${name}${suffix(ref)}`;
}

function suffix(ref: ImageReference): string {
  return `${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

function splitRegistry(rest: string, input: string): { registry: string; path: string } {
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  const isHost = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (!isHost) {
    if (rest === '') throw new OciError('REFERENCE_INVALID', `invalid image reference ${JSON.stringify(input)}: no repository name`);
    return { registry: DOCKER_HUB, path: rest };
  }
  const path = rest.slice(slash + 1);
  if (path === '') throw new OciError('REFERENCE_INVALID', `invalid image reference ${JSON.stringify(input)}: no repository name`);
  try {
    return { registry: parseRegistryHost(first), path };
  } catch (cause) {
    throw new OciError('REFERENCE_INVALID', `invalid image reference ${JSON.stringify(input)}: bad registry host ${JSON.stringify(first)}`, { cause });
  }
}

function referenceDigest(value: string, input: string): Digest {
  try {
    return parseDigest(value);
  } catch (cause) {
    throw new OciError('REFERENCE_INVALID', `invalid image reference ${JSON.stringify(input)}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
