/**
 * Test support: the real sigstore fixtures under `src/sign/testdata/sigstore/` (see the README there) and small
 * tampering helpers, for the tests of `src/sign/sigstore/`.
 */
import { readFileSync } from 'node:fs';
import type { TlogEntry } from '../sign/model.ts';
import { parseBundle, type ParsedBundle } from '../sign/sigstore/bundle.ts';
import { parseTrustedRoot, type TrustedRoot } from '../sign/sigstore/trusted-root.ts';

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
