/**
 * Test support: the real sigstore fixtures under `src/sign/testdata/sigstore/` (see the README there) and small
 * tampering helpers, for the tests of `src/sign/sigstore/`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { loadPublicKey } from '../sign/keys.ts';
import type { FoundSignature, TlogEntry } from '../sign/model.ts';
import { parseBundle, type ParsedBundle } from '../sign/sigstore/bundle.ts';
import { parseTrustedRoot, type TrustedRoot } from '../sign/sigstore/trusted-root.ts';
import type { VerificationPolicy } from '../sign/verify/verify-signature.ts';

/** The fixture directory. */
export const FIXTURES = new URL('../sign/testdata/sigstore/', import.meta.url);

/** A fixture's text. */
export function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

/** A fixture's JSON value. */
export function fixtureJson(name: string): unknown {
  return JSON.parse(fixtureText(name));
}

/** A fixture's JSON value as a mutable record (for tests that tamper with it). */
export function fixtureRecord(name: string): Record<string, unknown> {
  return fixtureJson(name) as Record<string, unknown>;
}

/** The sigstore public-good trusted root as cosign's tests ship it (`trusted_root_pgi.json`). */
export function publicGoodRoot(): TrustedRoot {
  return parseTrustedRoot(fixtureJson('cosign-trusted-root-pgi.json'));
}

/** A parsed bundle fixture. */
export function bundleFixture(name: string): ParsedBundle {
  return parseBundle(fixtureJson(name));
}

/** The first log entry of a bundle fixture. */
export function firstEntry(name: string): TlogEntry {
  const entry = bundleFixture(name).tlogEntries[0];
  if (entry === undefined) throw new Error(`${name} has no tlog entry`);
  return entry;
}

/** The signing certificate (DER) of a bundle fixture. */
export function leafCertificate(name: string): Buffer {
  const material = bundleFixture(name).material;
  if (material.kind !== 'certificate') throw new Error(`${name} is not certificate-signed`);
  return material.certificate;
}

/** A copy of `bytes` with bit 0 of byte `index` flipped (negative = from the end). */
export function flipByte(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  const at = index < 0 ? copy.length + index : index;
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}

/** The entry with the SET and/or proof left out. */
export function without(entry: TlogEntry, ...fields: readonly ('signedEntryTimestamp' | 'inclusionProof')[]): TlogEntry {
  const copy: Record<string, unknown> = { ...entry };
  for (const field of fields) delete copy[field];
  return copy as unknown as TlogEntry;
}

/** The identity the sigstore-conformance bundles are signed by (its default `identity` and `issuer`). */
export const CONFORMANCE_IDENTITY = {
  subject: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
  issuer: 'https://token.actions.githubusercontent.com',
} as const;

/** A sigstore-conformance case under `conformance/<name>/`, ready for the verifier. */
export interface ConformanceCase {
  /** The bundle as found; a message signature carries the artifact as its payload. */
  readonly found: FoundSignature;
  readonly artifact: Buffer;
  /** `sha256:<hex>` of the artifact: what a DSSE statement's subject names. */
  readonly digest: string;
  readonly policy: VerificationPolicy;
}

function conformanceFile(name: string, file: string): URL | undefined {
  const url = new URL(`conformance/${name}/${file}`, FIXTURES);
  return existsSync(url) ? url : undefined;
}

/**
 * Loads a conformance case: its bundle, artifact (`a.txt` unless the case has its own), trusted root (the public-good
 * root of `sigstore-python-trusted-root-public-good.json` unless the case has its own) and key (`key.pub`, if any), with
 * the conformance identity trusted and a log entry required.
 */
export function conformanceCase(name: string): ConformanceCase {
  const bundle = parseBundle(fixtureJson(`conformance/${name}/bundle.sigstore.json`));
  const artifact = readFileSync(conformanceFile(name, 'artifact') ?? new URL('conformance/a.txt', FIXTURES));
  const root = readFileSync(conformanceFile(name, 'trusted_root.json') ?? new URL('sigstore-python-trusted-root-public-good.json', FIXTURES), 'utf8');
  const key = conformanceFile(name, 'key.pub');
  const content = bundle.content.kind === 'message' ? { ...bundle.content, payload: artifact } : bundle.content;
  return {
    found: { scheme: 'bundle', location: name, content, material: bundle.material, tlogEntries: bundle.tlogEntries, timestamps: bundle.timestamps },
    artifact,
    digest: `sha256:${createHash('sha256').update(artifact).digest('hex')}`,
    policy: {
      keys: key === undefined ? [] : [loadPublicKey(readFileSync(key, 'utf8'))],
      identities: [CONFORMANCE_IDENTITY],
      trustedRoot: parseTrustedRoot(JSON.parse(root)),
      requireTlog: true,
      dockerReference: null,
    },
  };
}
