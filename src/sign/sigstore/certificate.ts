/**
 * Fulcio signing certificates: the chain to a certificate authority of the trusted root, checked "as of" the trusted
 * signing time (a short-lived leaf is long expired when verified later), and the identity the certificate states.
 *
 * The certificate's SCTs (embedded CT log promises) are checked in `sct.ts`, against the issuer this chain check finds.
 */
import { ASN1Obj, X509Certificate } from '@sigstore/core';
import { SignError } from '../sign-error.ts';
import { describePeriod, validAt, type CertificateAuthority, type TrustedRoot } from './trusted-root.ts';

/** The Fulcio OIDs: OIDC issuer (v2, DER UTF8String; v1, raw bytes) and the OtherName SAN for usernames. */
export const FulcioOid = {
  issuerV2: '1.3.6.1.4.1.57264.1.8',
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  otherNameSan: '1.3.6.1.4.1.57264.1.7',
} as const;

const EXT_KEY_USAGE = '2.5.29.37';
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

function parseLeaf(leaf: Buffer): X509Certificate {
  try {
    const cert = X509Certificate.parse(Buffer.from(leaf));
    void cert.notBefore;
    void cert.notAfter;
    return cert;
  } catch (error) {
    throw new SignError('SIGNATURE_MALFORMED', 'the signing certificate is not an X.509 certificate', { cause: error });
  }
}

/** Whether `child` is signed by `parent` (the issuer name matches and the signature verifies with its key). */
export function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.issuer.equals(parent.subject) && child.verify(parent);
  } catch {
    return false;
  }
}

/** Whether the leaf chains through every certificate of the CA's chain, each issuing the one before it. */
function chainsTo(leaf: X509Certificate, ca: CertificateAuthority): boolean {
  let child = leaf;
  for (const parent of ca.chain) {
    if (!issuedBy(child, parent)) return false;
    child = parent;
  }
  return true;
}

/** The EKU OIDs of a certificate, or `undefined` when it has no EKU extension (any usage, as Go's x509 reads it). */
function extendedKeyUsages(cert: X509Certificate): string[] | undefined {
  const ext = cert.extension(EXT_KEY_USAGE);
  if (ext === undefined) return undefined;
  return ASN1Obj.parseBuffer(Buffer.from(ext.value)).subs.map((oid) => oid.toOID());
}

function checkCodeSigning(leaf: X509Certificate): void {
  let usages: string[] | undefined;
  try {
    usages = extendedKeyUsages(leaf);
  } catch (error) {
    throw new SignError('CERTIFICATE_CHAIN_INVALID', 'the signing certificate has an unreadable extended key usage', { cause: error });
  }
  if (usages !== undefined && !usages.includes(CODE_SIGNING)) {
    throw new SignError('CERTIFICATE_CHAIN_INVALID', 'the signing certificate is not for code signing (no codeSigning extended key usage)');
  }
}

function checkCaCertificatesAt(ca: CertificateAuthority, at: Date): void {
  for (const cert of ca.chain) {
    if (!cert.validForDate(at)) {
      throw new SignError(
        'CERTIFICATE_CHAIN_INVALID',
        `CA certificate of ${ca.uri ?? 'the trusted root'} valid ${cert.notBefore.toISOString()}–${cert.notAfter.toISOString()} was not valid at ${at.toISOString()}`,
      );
    }
  }
}

function leafValidAt(cert: X509Certificate, at: Date): void {
  if (!cert.validForDate(at)) {
    throw new SignError(
      'CERTIFICATE_NOT_VALID_AT_SIGNING_TIME',
      `the certificate is valid ${cert.notBefore.toISOString()}–${cert.notAfter.toISOString()}, not at the signing time ${at.toISOString()}`,
    );
  }
}

/** Of the CAs that issued the leaf, one the root trusted at `at`. */
function caTrustedAt(issuers: readonly CertificateAuthority[], at: Date): CertificateAuthority {
  const ca = issuers.find((candidate) => validAt(candidate.validFor, at));
  if (ca !== undefined) return ca;
  const periods = issuers.map((candidate) => describePeriod(candidate.validFor)).join(', ');
  throw new SignError('CERTIFICATE_CHAIN_INVALID', `the certificate chains to a CA the trusted root trusts only ${periods}, not at ${at.toISOString()}`);
}

/** A signing certificate that chains to the trusted root, and the CA certificate that issued it. */
export interface VerifiedChain {
  readonly leaf: X509Certificate;
  readonly issuer: X509Certificate;
}

/**
 * Verifies a signing certificate (DER) against the trusted root as of `at` (the trusted signing time): a CA of the
 * root issued it (leaf → intermediates → anchor signatures and names), the leaf was valid at `at`, the root trusted
 * that CA at `at` and its certificates were valid then, and the leaf is for code signing.
 * CERTIFICATE_CHAIN_INVALID when no CA chains (or none trusted at `at`), CERTIFICATE_NOT_VALID_AT_SIGNING_TIME when
 * `at` is outside the leaf's validity.
 */
export function verifyCertificateChain(leaf: Buffer, root: TrustedRoot, at: Date): VerifiedChain {
  const cert = parseLeaf(leaf);
  const issuers = root.certificateAuthorities.filter((ca) => chainsTo(cert, ca));
  if (issuers.length === 0) throw new SignError('CERTIFICATE_CHAIN_INVALID', 'the certificate does not chain to any certificate authority of the trusted root');
  leafValidAt(cert, at);
  const ca = caTrustedAt(issuers, at);
  checkCaCertificatesAt(ca, at);
  checkCodeSigning(cert);
  const [issuer] = ca.chain;
  // parseTrustedRoot refuses an empty chain (which chainsTo would accept); refuse one in a root built in code too.
  if (issuer === undefined) throw new SignError('CERTIFICATE_CHAIN_INVALID', 'the certificate authority has an empty chain');
  return { leaf: cert, issuer };
}

/** The signer a certificate names: its SAN and the OIDC issuer Fulcio recorded. */
export interface CertificateIdentity {
  /** The SAN: email, URI, or Fulcio's OtherName username. */
  readonly subject: string;
  /** OID 1.3.6.1.4.1.57264.1.8 (DER UTF8String), else 1.3.6.1.4.1.57264.1.1 (raw); `undefined` when neither. */
  readonly issuer: string | undefined;
}

function subjectOf(cert: X509Certificate): string {
  const san = cert.extSubjectAltName;
  const subject = san?.rfc822Name ?? san?.uri ?? san?.otherName(FulcioOid.otherNameSan);
  if (subject === undefined || subject === '') {
    throw new SignError('IDENTITY_MISMATCH', 'the signing certificate names no email, URI or username subject alternative name');
  }
  return subject;
}

function issuerOf(cert: X509Certificate): string | undefined {
  const v2 = cert.extension(FulcioOid.issuerV2);
  if (v2 !== undefined) {
    const value = ASN1Obj.parseBuffer(Buffer.from(v2.value));
    if (value.tag.number !== 0x0c) throw new SignError('SIGNATURE_MALFORMED', 'the certificate\'s OIDC issuer (1.3.6.1.4.1.57264.1.8) is not a UTF8String');
    return value.value.toString('utf8');
  }
  return cert.extension(FulcioOid.issuerV1)?.value.toString('utf8');
}

/** The identity a signing certificate (DER) states; SIGNATURE_MALFORMED when it does not parse. */
export function certificateIdentity(leaf: Buffer): CertificateIdentity {
  const cert = parseLeaf(leaf);
  try {
    return { subject: subjectOf(cert), issuer: issuerOf(cert) };
  } catch (error) {
    if (error instanceof SignError) throw error;
    throw new SignError('SIGNATURE_MALFORMED', 'the signing certificate\'s identity extensions do not parse', { cause: error });
  }
}
