import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { createCredentialStore } from '../core/oci/client/credentials.ts';
import { createRegistryClient, type RegistryClient, type RepositoryClient } from '../core/oci/client/registry-client.ts';
import type { Descriptor } from '../core/oci/descriptor.ts';
import { parseCopyLocation } from '../core/oci/copy-location.ts';
import { openImageLayout } from '../core/oci/image-layout.ts';
import { layoutSource } from '../core/oci/layout-endpoints.ts';
import { parseManifest } from '../core/oci/manifest.ts';
import { isIndexMediaType } from '../core/oci/media-types.ts';
import { parseReference, referenceTarget, registryApiHost, type ImageReference } from '../core/oci/reference.ts';
import type { TrustedIdentity } from '../core/policy/trust-policy.ts';
import { layoutSignatureStore, loadPublicKey, loadTrustedRoot, registrySignatureStore, SignError, type Scheme, type SignatureStore, type VerificationPolicy } from '../sign/index.ts';
import { UsageError } from './output.ts';

/** The image a signing verb works on: its repository as a signature store, the manifest, and (for an index) its children. */
export interface SigningTarget {
  readonly reference: ImageReference;
  readonly store: SignatureStore;
  readonly subject: Descriptor;
  readonly children: readonly Descriptor[];
  readonly client: RegistryClient;
}

/**
 * Resolves the image by HEAD, which Slipway answers for those who may push even where its pull gate holds the image
 * back (so a quarantined image can still be signed); the manifest itself is read only for an index's children.
 */
export async function openSigningTarget(image: string, flags: { readonly insecure?: boolean }, options: { readonly children?: boolean } = {}): Promise<SigningTarget> {
  const reference = parseReference(image);
  const client = createRegistryClient({ credentials: createCredentialStore(), insecure: flags.insecure === true });
  try {
    const repository = client.repository(registryApiHost(reference.registry), reference.repository);
    const head = await repository.headManifest(referenceTarget(reference));
    if (head === undefined) throw new SignError('IMAGE_UNKNOWN', `${image}: no such manifest`);
    const subject: Descriptor = { mediaType: head.mediaType, digest: head.digest, size: head.size };
    return { reference, store: registrySignatureStore(repository), subject, children: options.children === true ? await childrenOf(repository, subject) : [], client };
  } catch (error) {
    client.close();
    throw error;
  }
}

/** What `verify` and `verify-attestation` read: signatures and the subject's digest, from a registry or an OCI layout. */
export interface VerificationTarget {
  readonly store: SignatureStore;
  readonly subject: Descriptor;
  close(): void;
}

/**
 * A registry image, or an OCI layout (`oci:<dir>[:ref]`, or a path starting with `/` or `.`) as
 * `slipway copy` writes one, signatures included: an air-gapped copy is verified offline.
 */
export async function openVerificationTarget(image: string, flags: { readonly insecure?: boolean }): Promise<VerificationTarget> {
  const location = parseCopyLocation(image.startsWith('/') || image.startsWith('.') ? `oci:${image}` : image);
  if (location.kind === 'registry') {
    const target = await openSigningTarget(image, flags);
    return { store: target.store, subject: target.subject, close: () => target.client.close() };
  }
  const layout = await openImageLayout(location.dir, { create: false });
  // Without a ref, the layout's one image: not a signature, attestation or other referrer.
  const found = await layoutSource(layout).getManifest(location.ref);
  if (found === undefined) throw new SignError('IMAGE_UNKNOWN', `${image}: no such manifest in the layout`);
  const store = layoutSignatureStore(layout);
  return { store, subject: { mediaType: found.mediaType, digest: found.digest, size: found.bytes.byteLength }, close: () => undefined };
}

async function childrenOf(repository: RepositoryClient, subject: Descriptor): Promise<readonly Descriptor[]> {
  if (!isIndexMediaType(subject.mediaType)) return [];
  const manifest = await repository.getManifest(subject.digest);
  if (manifest === undefined) throw new SignError('IMAGE_UNKNOWN', `${subject.digest}: no such manifest`);
  const parsed = parseManifest(manifest.bytes, manifest.mediaType);
  return 'manifests' in parsed ? parsed.manifests : [];
}

export function parseSchemes(value: string): readonly Scheme[] {
  if (value === 'both') return ['legacy', 'bundle'];
  if (value === 'legacy' || value === 'bundle') return [value];
  throw new UsageError(`--scheme must be legacy, bundle or both, not ${JSON.stringify(value)}`);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export interface VerificationFlags {
  readonly key?: string[];
  readonly certificateIdentity?: string;
  readonly certificateIdentityRegexp?: string;
  readonly certificateOidcIssuer?: string;
  readonly certificateOidcIssuerRegexp?: string;
  readonly trustedRoot?: string;
  readonly insecureIgnoreTlog?: boolean;
  readonly insecureIgnoreSct?: boolean;
  readonly ignoreDockerReference?: boolean;
  readonly dockerReference?: string;
  readonly scheme: string;
  readonly insecure?: boolean;
  readonly output: string;
}

/** The trust options `verify` and `verify-attestation` share (cosign's names). */
export function verificationOptions(command: Command): Command {
  return command
    .option('--key <file>', 'a trusted public key (PEM; cosign.pub); repeat for several', collect)
    .option('--certificate-identity <subject>', 'keyless: the exact certificate identity (email, URI)')
    .option('--certificate-identity-regexp <re>', 'keyless: a regular expression the whole identity must match')
    .option('--certificate-oidc-issuer <url>', 'keyless: the exact OIDC issuer')
    .option('--certificate-oidc-issuer-regexp <re>', 'keyless: a regular expression the whole issuer must match')
    .option('--trusted-root <file>', "sigstore trusted_root.json (default $SIGSTORE_ROOT_FILE): the CAs and logs to trust, read offline")
    .option('--insecure-ignore-tlog', 'do not require a transparency-log proof')
    .option('--insecure-ignore-sct', "keyless: do not require the certificate's embedded SCT (for a Sigstore without a CT log)")
    .option('--docker-reference <repository>', 'the repository legacy signatures must name (default: the one verified)')
    .option('--ignore-docker-reference', 'accept legacy signatures whatever repository they name (after a copy or promotion)')
    .option('--scheme <scheme>', 'where to look: legacy, bundle or both', 'both')
    .option('--insecure', 'allow plain HTTP and unverified TLS')
    .option('--output <format>', 'text or json', 'text');
}

/** Builds the verification policy from the flags; a keyless identity needs both a subject and an issuer. */
export async function verificationPolicyFrom(flags: VerificationFlags, store: SignatureStore): Promise<VerificationPolicy> {
  const keys = await Promise.all((flags.key ?? []).map(async (file) => loadPublicKey(await readFile(file, 'utf8'))));
  const identities: TrustedIdentity[] = [];
  const subject = flags.certificateIdentity ?? flags.certificateIdentityRegexp;
  const issuer = flags.certificateOidcIssuer ?? flags.certificateOidcIssuerRegexp;
  if (subject !== undefined || issuer !== undefined) {
    if (subject === undefined || issuer === undefined) throw new UsageError('keyless verification needs --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]');
    identities.push({
      ...(flags.certificateIdentity === undefined ? { subjectRegExp: subject } : { subject }),
      ...(flags.certificateOidcIssuer === undefined ? { issuerRegExp: issuer } : { issuer }),
    });
  }
  if (keys.length === 0 && identities.length === 0) throw new UsageError('name what to trust: --key <cosign.pub>, or --certificate-identity and --certificate-oidc-issuer');
  const rootFile = flags.trustedRoot ?? process.env['SIGSTORE_ROOT_FILE'];
  const trustedRoot = rootFile === undefined ? undefined : await loadTrustedRoot(rootFile);
  if (identities.length > 0 && trustedRoot === undefined) throw new UsageError('keyless verification needs --trusted-root <trusted_root.json> (no network lookups are made)');
  return {
    keys,
    identities,
    ...(trustedRoot === undefined ? {} : { trustedRoot }),
    requireTlog: flags.insecureIgnoreTlog !== true,
    requireSct: flags.insecureIgnoreSct !== true,
    dockerReference: flags.ignoreDockerReference === true ? null : { reference: flags.dockerReference ?? store.repository },
  };
}
