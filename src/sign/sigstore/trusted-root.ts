/**
 * The sigstore trusted root (`trusted_root.json`): the transparency logs, certificate authorities, CT logs and
 * timestamp authorities a verifier trusts, each with the period it is trusted for. Parsed once into plain data with
 * keys and certificates decoded, so the checks never see JSON.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { X509Certificate } from '@sigstore/core';
import { SignError } from '../sign-error.ts';
import { pkcs1Key, spkiKey } from './crypto-util.ts';
import {
  fail,
  objectList,
  optionalObject,
  optionalString,
  optionalTimestamp,
  reader,
  requiredBytes,
  requiredObject,
  requiredString,
  type ProtoReader,
} from './proto-json.ts';

/** The media types of trusted roots this verifier reads. */
export const TRUSTED_ROOT_MEDIA_TYPES: readonly string[] = [
  'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  'application/vnd.dev.sigstore.trustedroot.v0.1+json',
  'application/vnd.dev.sigstore.trustedroot.v0.2+json',
];

/** When a key or CA is trusted: inclusive at both ends, no `end` = still trusted. */
export interface ValidityPeriod {
  readonly start: Date;
  readonly end?: Date;
}

/** A transparency log (Rekor) or certificate-transparency log, identified by `logId`. */
export interface TransparencyLog {
  readonly baseUrl: string;
  /** SHA-256 of the log key's SPKI DER (the `logID` entries and SETs name). */
  readonly logId: Buffer;
  readonly publicKey: KeyObject;
  /** As the root names it, e.g. `PKIX_ECDSA_P256_SHA_256`. */
  readonly keyDetails: string;
  readonly hashAlgorithm: string;
  readonly validFor: ValidityPeriod;
  /** Trusted root v0.2: the key ID its checkpoints are signed under, when it differs from `logId`. */
  readonly checkpointKeyId?: Buffer;
  readonly operator?: string;
}

/** A certificate authority (Fulcio) or timestamp authority: a chain leaf-most first, trust anchor last. */
export interface CertificateAuthority {
  readonly uri?: string;
  readonly chain: readonly X509Certificate[];
  readonly validFor: ValidityPeriod;
  readonly operator?: string;
}

/** A parsed trusted root. */
export interface TrustedRoot {
  readonly mediaType: string;
  readonly tlogs: readonly TransparencyLog[];
  readonly certificateAuthorities: readonly CertificateAuthority[];
  readonly ctlogs: readonly TransparencyLog[];
  readonly timestampAuthorities: readonly CertificateAuthority[];
}

/** Whether `at` falls within `period` (both ends inclusive). */
export function validAt(period: ValidityPeriod, at: Date): boolean {
  return period.start.getTime() <= at.getTime() && (period.end === undefined || at.getTime() <= period.end.getTime());
}

/** `[start, end]` of a period, for messages. */
export function describePeriod(period: ValidityPeriod): string {
  return `[${period.start.toISOString()}, ${period.end?.toISOString() ?? 'open'}]`;
}

/** A missing `validFor` (or `start`) means "since ever", as sigstore-go and sigstore-js read it. */
function validityPeriod(r: ProtoReader | undefined): ValidityPeriod {
  if (r === undefined) return { start: new Date(0) };
  const start = optionalTimestamp(r, 'start') ?? new Date(0);
  const end = optionalTimestamp(r, 'end');
  if (end === undefined) return { start };
  if (end.getTime() < start.getTime()) fail(r, 'end', 'is before start');
  return { start, end };
}

/** The log's key: SPKI DER, or PKCS#1 DER for the `PKCS1_RSA_*` key details (an older staging CT log has one). */
function logKey(keyReader: ProtoReader, keyDetails: string): KeyObject {
  const der = requiredBytes(keyReader, 'rawBytes');
  if (keyDetails.startsWith('PKCS1_RSA_')) return pkcs1Key(der) ?? fail(keyReader, 'rawBytes', 'is not a PKCS#1 RSA public key');
  return spkiKey(der) ?? fail(keyReader, 'rawBytes', 'is not an SPKI public key');
}

function transparencyLog(r: ProtoReader): TransparencyLog {
  const keyReader = requiredObject(r, 'publicKey');
  const keyDetails = optionalString(keyReader, 'keyDetails') ?? '';
  const checkpointKeyId = optionalObject(r, 'checkpointKeyId');
  const operator = optionalString(r, 'operator');
  return {
    baseUrl: requiredString(r, 'baseUrl'),
    logId: requiredBytes(requiredObject(r, 'logId'), 'keyId'),
    publicKey: logKey(keyReader, keyDetails),
    keyDetails,
    hashAlgorithm: optionalString(r, 'hashAlgorithm') ?? '',
    validFor: validityPeriod(optionalObject(keyReader, 'validFor')),
    ...(checkpointKeyId === undefined ? {} : { checkpointKeyId: requiredBytes(checkpointKeyId, 'keyId') }),
    ...(operator === undefined ? {} : { operator }),
  };
}

function certificate(r: ProtoReader): X509Certificate {
  const der = requiredBytes(r, 'rawBytes');
  try {
    const cert = X509Certificate.parse(Buffer.from(der));
    // Touch the fields verification reads, so a malformed certificate fails here and not in the middle of a check.
    void cert.notBefore;
    void cert.notAfter;
    void cert.publicKey;
    return cert;
  } catch (error) {
    throw new SignError('TRUSTED_ROOT_INVALID', `trusted root: ${r.path}.rawBytes is not an X.509 certificate`, { cause: error });
  }
}

function certificateAuthority(r: ProtoReader): CertificateAuthority {
  const chain = objectList(requiredObject(r, 'certChain'), 'certificates').map(certificate);
  if (chain.length === 0) fail(r, 'certChain.certificates', 'is empty');
  const uri = optionalString(r, 'uri');
  const operator = optionalString(r, 'operator');
  return {
    chain,
    validFor: validityPeriod(optionalObject(r, 'validFor')),
    ...(uri === undefined ? {} : { uri }),
    ...(operator === undefined ? {} : { operator }),
  };
}

/**
 * Parses a trusted root document (protobuf JSON: camelCase or snake_case names, standard or URL-safe base64).
 * Throws TRUSTED_ROOT_INVALID naming the offending field, or when the root has nothing to verify with.
 */
export function parseTrustedRoot(json: unknown): TrustedRoot {
  const r = reader(json, 'trusted root', 'TRUSTED_ROOT_INVALID');
  const mediaType = requiredString(r, 'mediaType');
  if (!TRUSTED_ROOT_MEDIA_TYPES.includes(mediaType)) fail(r, 'mediaType', `${mediaType} is not a supported media type`);
  const root: TrustedRoot = {
    mediaType,
    tlogs: objectList(r, 'tlogs').map(transparencyLog),
    certificateAuthorities: objectList(r, 'certificateAuthorities').map(certificateAuthority),
    ctlogs: objectList(r, 'ctlogs').map(transparencyLog),
    timestampAuthorities: objectList(r, 'timestampAuthorities').map(certificateAuthority),
  };
  if (root.tlogs.length === 0 && root.certificateAuthorities.length === 0 && root.timestampAuthorities.length === 0) {
    fail(r, '', 'has no transparency logs, certificate authorities or timestamp authorities');
  }
  return root;
}

/** Reads and parses a trusted root file; TRUSTED_ROOT_INVALID when it cannot be read or is not one. */
export async function loadTrustedRoot(path: string): Promise<TrustedRoot> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new SignError('TRUSTED_ROOT_INVALID', `cannot read trusted root ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseTrustedRoot(json);
}
