/**
 * RFC 3161 signed timestamps as a trusted signing time (a bundle's `timestampVerificationData.rfc3161Timestamps`,
 * cosign's `dev.sigstore.cosign/rfc3161timestamp` annotation). `@sigstore/core` reads the DER TimeStampResp and checks
 * the token's own consistency (content types, the signed attributes' digest of the TSTInfo, the signature over them);
 * here the message imprint is compared with the timestamped bytes, and the signer must be a timestamp authority of
 * the trusted root that was valid at the timestamp's genTime: the root trusted it then, its chain verifies and every
 * certificate of it was valid then, its leaf is a time stamping certificate, and a certificate the token embeds for
 * its signer is that very leaf (the checks of sigstore-go's TSA verification).
 */
import { createHash, createPublicKey } from 'node:crypto';
import { ASN1Obj, RFC3161Timestamp, X509Certificate } from '@sigstore/core';
import { SignError } from '../sign-error.ts';
import { issuedBy } from './certificate.ts';
import { describePeriod, validAt, type CertificateAuthority } from './trusted-root.ts';

/** A timestamp that verified: the time the authority vouches the bytes existed at, and who vouches. */
export interface VerifiedTimestamp {
  readonly time: Date;
  /** The TSA's URI as the trusted root names it. */
  readonly authority: string;
}

const EXT_KEY_USAGE = '2.5.29.37';
const TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';
/** PKIStatus granted (0) and grantedWithMods (1); anything else carries no token worth reading. */
const GRANTED: readonly bigint[] = [0n, 1n];

function invalid(message: string, cause?: unknown): SignError {
  return new SignError('TIMESTAMP_INVALID', `RFC 3161 timestamp: ${message}`, cause === undefined ? {} : { cause });
}

/** A parsed TimeStampResp and the certificates its SignedData embeds (often the TSA's own). */
interface ParsedTimestamp {
  readonly token: RFC3161Timestamp;
  readonly embedded: readonly X509Certificate[];
}

/** SignedData is version, digestAlgorithms, encapContentInfo, then `[0] certificates` when present. */
function embeddedCertificates(token: RFC3161Timestamp): X509Certificate[] {
  const signedData = token.root.subs[1]?.subs.find((sub) => sub.tag.isContextSpecific(0))?.subs[0];
  const certificates = signedData?.subs.slice(3).find((sub) => sub.tag.isContextSpecific(0));
  return (certificates?.subs ?? []).map((cert) => new X509Certificate(cert));
}

/** Parses the TimeStampResp and reads every field verification uses, so a malformed one fails here. */
function parse(der: Buffer): ParsedTimestamp {
  let parsed: ParsedTimestamp;
  let status: bigint;
  try {
    const token = RFC3161Timestamp.parse(Buffer.from(der));
    status = token.status;
    void token.signingTime;
    void token.signerIssuer;
    void token.signerSerialNumber;
    void token.tstInfo.messageImprintHashAlgorithm;
    void token.tstInfo.messageImprintHashedMessage;
    const embedded = embeddedCertificates(token);
    for (const cert of embedded) void [cert.serialNumber, cert.issuer];
    parsed = { token, embedded };
  } catch (error) {
    throw invalid('is not a readable DER TimeStampResp', error);
  }
  if (!GRANTED.includes(status)) throw invalid(`the timestamp authority did not grant it (PKIStatus ${status})`);
  return parsed;
}

function checkImprint(token: RFC3161Timestamp, data: Buffer, what: string): void {
  const algorithm = token.tstInfo.messageImprintHashAlgorithm;
  if (algorithm === undefined) throw invalid('its message imprint uses a hash algorithm other than SHA-256, SHA-384 or SHA-512');
  if (!createHash(algorithm).update(data).digest().equals(token.tstInfo.messageImprintHashedMessage)) {
    throw invalid(`its message imprint is not the ${algorithm} of ${what}`);
  }
}

function isSigner(cert: X509Certificate, token: RFC3161Timestamp): boolean {
  return cert.serialNumber.equals(token.signerSerialNumber) && cert.issuer.equals(token.signerIssuer);
}

/** The root's TSAs whose leaf certificate is the token's signer (by issuer and serial number). */
function signerAuthorities(token: RFC3161Timestamp, authorities: readonly CertificateAuthority[]): CertificateAuthority[] {
  return authorities.filter((ca) => ca.chain[0] !== undefined && isSigner(ca.chain[0], token));
}

/** The extended key usages and whether the extension is critical; `undefined` without the extension. */
function extendedKeyUsage(cert: X509Certificate): { usages: string[]; critical: boolean } | undefined {
  const ext = cert.extension(EXT_KEY_USAGE);
  if (ext === undefined) return undefined;
  try {
    return { usages: ASN1Obj.parseBuffer(Buffer.from(ext.value)).subs.map((oid) => oid.toOID()), critical: ext.critical };
  } catch {
    return { usages: [], critical: ext.critical };
  }
}

/** RFC 3161 §2.3: the TSA's certificate is an end entity with one critical extended key usage, timeStamping. */
function usageProblem(ca: CertificateAuthority, name: string): string | undefined {
  const [leaf, ...rest] = ca.chain;
  const eku = leaf === undefined ? undefined : extendedKeyUsage(leaf);
  if (leaf === undefined || leaf.isCA || eku === undefined || !eku.critical || eku.usages.length !== 1 || eku.usages[0] !== TIME_STAMPING) {
    return `the certificate of ${name} is not a time stamping certificate (an end entity with the one critical extended key usage timeStamping)`;
  }
  const intermediate = rest.slice(0, -1).find((cert) => {
    const usages = extendedKeyUsage(cert)?.usages;
    return usages !== undefined && !usages.includes(TIME_STAMPING) && !usages.includes(ANY_EXTENDED_KEY_USAGE);
  });
  return intermediate === undefined ? undefined : `an intermediate certificate of ${name} does not allow time stamping`;
}

/** The chain verifies leaf to anchor, and every certificate of it was valid at `at`. */
function chainProblem(ca: CertificateAuthority, name: string, at: Date): string | undefined {
  for (const [i, cert] of ca.chain.entries()) {
    const parent = ca.chain[i + 1];
    if (parent !== undefined && !issuedBy(cert, parent)) return `the certificate chain of ${name} does not verify (certificate ${i} is not issued by certificate ${i + 1})`;
    if (!cert.validForDate(at)) {
      return `certificate ${i} of ${name} is valid ${cert.notBefore.toISOString()}–${cert.notAfter.toISOString()}, not at the timestamp's time ${at.toISOString()}`;
    }
  }
  return undefined;
}

/** A token that embeds certificates must embed the trusted signer certificate itself (as sigstore-go requires). */
function embeddedProblem(parsed: ParsedTimestamp, ca: CertificateAuthority, name: string): string | undefined {
  if (parsed.embedded.length === 0) return undefined;
  const signer = parsed.embedded.find((cert) => isSigner(cert, parsed.token));
  if (signer === undefined) return 'it embeds certificates, but not its signer\'s';
  const [leaf] = ca.chain;
  return leaf !== undefined && signer.equals(leaf) ? undefined : `the signer certificate it embeds is not the trusted certificate of ${name}`;
}

/** Why the token's signature does not verify with the TSA's key, or `undefined` when it does. */
function signatureProblem(token: RFC3161Timestamp, data: Buffer, ca: CertificateAuthority, name: string): string | undefined {
  const [leaf] = ca.chain;
  if (leaf === undefined) return `${name} has an empty chain`;
  try {
    token.verify(data, createPublicKey({ key: leaf.publicKey, format: 'der', type: 'spki' }));
    return undefined;
  } catch (error) {
    return `it does not verify with the key of ${name}: ${(error as Error).message}`;
  }
}

/** Why the TSA cannot vouch for the token at its genTime, or `undefined` when it can. */
function authorityProblem(parsed: ParsedTimestamp, data: Buffer, ca: CertificateAuthority): string | undefined {
  const name = ca.uri ?? 'the timestamp authority';
  const at = parsed.token.signingTime;
  if (!validAt(ca.validFor, at)) return `the trusted root trusts ${name} only ${describePeriod(ca.validFor)}, not at ${at.toISOString()}`;
  return (
    chainProblem(ca, name, at) ?? usageProblem(ca, name) ?? embeddedProblem(parsed, ca, name) ?? signatureProblem(parsed.token, data, ca, name)
  );
}

/**
 * Verifies a DER TimeStampResp over `data` (the signature bytes it must timestamp; `what` names them for messages)
 * against the trusted root's timestamp authorities, and returns its genTime, now a trusted signing time.
 * TIMESTAMP_INVALID when it does not parse or was not granted, its imprint is over other bytes, no TSA of the root
 * signed it, or the TSA that did was not valid at its genTime.
 */
export function verifyTimestamp(der: Buffer, data: Buffer, authorities: readonly CertificateAuthority[], what = 'the signature'): VerifiedTimestamp {
  try {
    return verifyParsed(parse(der), data, authorities, what);
  } catch (error) {
    // A token that parses can still hold a field of the wrong type somewhere @sigstore/core reads lazily.
    if (error instanceof SignError) throw error;
    throw invalid('is malformed', error);
  }
}

function verifyParsed(parsed: ParsedTimestamp, data: Buffer, authorities: readonly CertificateAuthority[], what: string): VerifiedTimestamp {
  checkImprint(parsed.token, data, what);
  const candidates = signerAuthorities(parsed.token, authorities);
  if (candidates.length === 0) {
    throw invalid(`signed by a timestamp authority (serial ${parsed.token.signerSerialNumber.toString('hex')}) that is not one of the trusted root's`);
  }
  const problems: string[] = [];
  for (const ca of candidates) {
    const problem = authorityProblem(parsed, data, ca);
    if (problem === undefined) return { time: parsed.token.signingTime, authority: ca.uri ?? 'timestamp authority' };
    problems.push(problem);
  }
  throw invalid(problems.join('; '));
}
