/**
 * Signed certificate timestamps (RFC 6962 §3.2) embedded in a Fulcio certificate: promises by certificate-transparency
 * logs to publish it, signed over the precertificate — the leaf's TBS without the SCT extension, bound to the issuer's
 * key. Checked against the trusted root's `ctlogs`, as cosign and sigstore-js do by default.
 */
import { ByteStream, EXTENSION_OID_SCT, X509SCTExtension, type X509Certificate } from '@sigstore/core';
import { SignError } from '../sign-error.ts';
import { sha256 } from './crypto-util.ts';
import { describePeriod, validAt, type TransparencyLog } from './trusted-root.ts';

type Sct = X509SCTExtension['signedCertificateTimestamps'][number];

/** The SCTs of a certificate and the precertificate TBS they sign (`undefined` SCTs: no SCT extension). */
interface SplitCertificate {
  readonly scts: readonly Sct[] | undefined;
  readonly precertTbs: Buffer;
}

/** Takes the SCT extension out of a copy of the leaf: what is left of its TBS is what the CT log signed. */
function splitScts(leaf: X509Certificate): SplitCertificate {
  const copy = leaf.clone();
  const index = copy.extensions.findIndex((ext) => ext.subs[0]?.toOID() === EXTENSION_OID_SCT);
  if (index === -1) return { scts: undefined, precertTbs: copy.tbsCertificate.toDER() };
  const [ext] = copy.extensions.splice(index, 1);
  let scts: Sct[];
  try {
    scts = ext === undefined ? [] : new X509SCTExtension(ext).signedCertificateTimestamps;
  } catch (error) {
    throw new SignError('CERTIFICATE_SCT_INVALID', `the certificate's SCT extension (${EXTENSION_OID_SCT}) does not parse`, { cause: error });
  }
  return { scts, precertTbs: copy.tbsCertificate.toDER() };
}

/** RFC 6962 `PreCert`: SHA-256 of the issuer's SPKI, then the TBS as `opaque<1..2^24-1>`. */
function preCertificate(issuer: X509Certificate, tbs: Buffer): Buffer {
  const stream = new ByteStream();
  stream.appendView(sha256(issuer.publicKey));
  stream.appendUint24(tbs.byteLength);
  stream.appendView(tbs);
  return stream.buffer;
}

function sctVerifies(sct: Sct, preCert: Buffer, log: TransparencyLog): boolean {
  try {
    return sct.verify(preCert, log.publicKey);
  } catch {
    return false;
  }
}

const hex = (logId: Buffer): string => logId.toString('hex');

/** Why an SCT was not counted: its log is not in the trusted root, or not trusted at the SCT's time. */
function untrustedReason(sct: Sct, ctlogs: readonly TransparencyLog[]): string {
  const named = ctlogs.filter((log) => log.logId.equals(sct.logID));
  if (named.length === 0) return `log ${hex(sct.logID)} is not a CT log of the trusted root`;
  return `log ${hex(sct.logID)} is trusted only ${named.map((log) => describePeriod(log.validFor)).join(', ')}, not at ${sct.datetime.toISOString()}`;
}

/** The CT logs of the root with the SCT's log ID, trusted at the SCT's time. */
function logsOf(sct: Sct, ctlogs: readonly TransparencyLog[]): TransparencyLog[] {
  return ctlogs.filter((log) => log.logId.equals(sct.logID) && validAt(log.validFor, sct.datetime));
}

/**
 * Checks one SCT: `undefined` when no CT log of the root trusted at the SCT's time has its log ID (it cannot be checked,
 * and does not count), its log ID when it verifies; CERTIFICATE_SCT_INVALID when a trusted log's key does not verify it.
 */
function checkSct(sct: Sct, preCert: Buffer, ctlogs: readonly TransparencyLog[]): string | undefined {
  const logs = logsOf(sct, ctlogs);
  if (logs.length === 0) return undefined;
  if (logs.some((log) => sctVerifies(sct, preCert, log))) return hex(sct.logID);
  const names = logs.map((log) => log.baseUrl).join(', ');
  throw new SignError('CERTIFICATE_SCT_INVALID', `the certificate's SCT from CT log ${names} (log ID ${hex(sct.logID)}, ${sct.datetime.toISOString()}) does not verify over the certificate with that log's key`);
}

/**
 * Verifies the SCTs embedded in `leaf` (issued by `issuer`) against the trusted root's CT logs: every SCT of a log the
 * root trusts at the SCT's time must verify (CERTIFICATE_SCT_INVALID), and SCTs of at least `threshold` distinct trusted
 * logs must be there (CERTIFICATE_SCT_MISSING). SCTs of other logs are ignored, as cosign and sigstore-go do.
 */
export function verifyEmbeddedScts(leaf: X509Certificate, issuer: X509Certificate, ctlogs: readonly TransparencyLog[], threshold = 1): void {
  const { scts, precertTbs } = splitScts(leaf);
  if (scts === undefined || scts.length === 0) {
    throw new SignError('CERTIFICATE_SCT_MISSING', `the signing certificate has no embedded SCT (${EXTENSION_OID_SCT}): no certificate-transparency log vouches for it`);
  }
  const preCert = preCertificate(issuer, precertTbs);
  const verifiedLogs = new Set(scts.map((sct) => checkSct(sct, preCert, ctlogs)).filter((logId) => logId !== undefined));
  if (verifiedLogs.size >= threshold) return;
  const untrusted = scts.filter((sct) => logsOf(sct, ctlogs).length === 0).map((sct) => untrustedReason(sct, ctlogs));
  const found = verifiedLogs.size === 0 ? 'none' : `only ${verifiedLogs.size}`;
  throw new SignError(
    'CERTIFICATE_SCT_MISSING',
    `the signing certificate has SCTs from ${found} of the trusted root's CT logs (${threshold} required)${untrusted.length === 0 ? '' : `: ${untrusted.join('; ')}`}`,
  );
}
