/** Media types Slipway reads and writes. Unknown types are stored and copied untouched. */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociLayoutHeader: 'application/vnd.oci.layout.header.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** The four manifest media types a client accepts, in the order Slipway sends them. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.ociIndex,
  MediaType.ociManifest,
  MediaType.dockerManifestList,
  MediaType.dockerManifest,
];

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

export function isImageManifestMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

export function isManifestMediaType(mediaType: string): boolean {
  return isIndexMediaType(mediaType) || isImageManifestMediaType(mediaType);
}

export function isSchema1MediaType(mediaType: string): boolean {
  return mediaType === MediaType.dockerSchema1 || mediaType === MediaType.dockerSchema1Signed;
}

/**
 * A layer some container runtime would unpack into a root filesystem. Docker accepts any layer
 * type under `application/vnd.oci.image.` or `application/vnd.docker.` and finds the compression
 * in the bytes, and containerd any `application/vnd.oci.image.layer.*` (zstd, encrypted, …); so
 * this is an open rule by prefix, never a list of the types Slipway knows. A missing type counts too.
 */
export function isRunnableLayerMediaType(mediaType: string): boolean {
  const bare = bareMediaType(mediaType);
  return bare === '' || bare.startsWith('application/vnd.oci.image.') || bare.startsWith('application/vnd.docker.');
}

/** Strips parameters (`; charset=…`) and whitespace from a Content-Type value. */
export function bareMediaType(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}
