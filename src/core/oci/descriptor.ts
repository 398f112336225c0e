import type { Digest } from './digest.ts';

export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly 'os.version'?: string;
  readonly 'os.features'?: readonly string[];
  readonly variant?: string;
  readonly features?: readonly string[];
}

/** An OCI content descriptor. `digest` is validated when the descriptor is parsed. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly data?: string;
  readonly artifactType?: string;
  readonly platform?: Platform;
}

export type Annotations = Readonly<Record<string, string>>;

/**
 * An index entry that is not an image for any platform: BuildKit's attestation manifests
 * (`vnd.docker.reference.type: attestation-manifest`, platform `unknown/unknown`), which hold
 * in-toto statements about their sibling. Nothing runs them; they are not scanned.
 */
export function isAttestationManifest(descriptor: Descriptor): boolean {
  return descriptor.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (descriptor.platform?.os === 'unknown' && descriptor.platform.architecture === 'unknown');
}
