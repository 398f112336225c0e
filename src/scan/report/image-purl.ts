/** The scanned image as a purl (`pkg:oci/…`) and its reference split into parts. */
import type { ScanArtifact } from './scan-result.ts';

export interface ImageName {
  /** `registry.example/team/api`; Docker Hub short names expand to `index.docker.io/library/…`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** purl percent-encoding: everything but `A-Za-z0-9.-_~` and `:` (which is never encoded). */
export function purlEncode(text: string): string {
  return encodeURIComponent(text)
    .replace(/%3A/gi, ':')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function isPath(name: string): boolean {
  return /^[/.\\~]/.test(name) || name.includes('\\') || /^(oci|oci-archive|docker-archive|dir):/.test(name) || /\.(tar|tgz|tar\.gz)$/.test(name);
}

function expandDockerHub(repository: string): string {
  const [first = ''] = repository.split('/');
  const hasRegistry = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return repository;
  return repository.includes('/') ? `index.docker.io/${repository}` : `index.docker.io/library/${repository}`;
}

/** Splits `host/repo:tag@sha256:…`; `undefined` for paths and transport-prefixed names (`oci:dir`). */
export function parseImageName(name: string): ImageName | undefined {
  if (name === '' || isPath(name)) return undefined;
  const at = name.indexOf('@');
  const digest = at >= 0 ? name.slice(at + 1) : undefined;
  const rest = at >= 0 ? name.slice(0, at) : name;
  const colon = rest.lastIndexOf(':');
  const tagged = colon > rest.lastIndexOf('/');
  const repository = expandDockerHub(tagged ? rest.slice(0, colon) : rest);
  return { repository, ...(tagged ? { tag: rest.slice(colon + 1) } : {}), ...(digest === undefined ? {} : { digest }) };
}

/** The image's manifest digest: the artifact's own, else one written in its name. */
export function imageDigest(artifact: ScanArtifact): string | undefined {
  return artifact.digest ?? parseImageName(artifact.name)?.digest;
}

/**
 * `pkg:oci/<last repository segment>@<digest>?arch=…&repository_url=…&tag=…` (qualifiers sorted),
 * or `undefined` when the digest is unknown: an OCI purl names exact bytes.
 */
export function imagePurl(artifact: ScanArtifact): string | undefined {
  const digest = imageDigest(artifact);
  if (digest === undefined) return undefined;
  const parsed = parseImageName(artifact.name);
  // A path names the image by its last segment, without the transport (`oci:`) or the layout's ref.
  const segments = (parsed?.repository ?? artifact.name.replace(/^(oci|oci-archive|docker-archive|dir):/, '')).split(/[/\\]/);
  const last = (segments.at(-1) ?? '').replace(/:.*$/, '').replace(/\.(tar|tgz|tar\.gz)$/, '').toLowerCase() || 'image';
  const qualifiers: [string, string | undefined][] = [
    ['arch', artifact.config?.architecture],
    ['repository_url', parsed?.repository],
    ['tag', parsed?.tag],
  ];
  const query = qualifiers
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => `${key}=${purlEncode(value)}`)
    .join('&');
  return `pkg:oci/${purlEncode(last)}@${digest}${query === '' ? '' : `?${query}`}`;
}
