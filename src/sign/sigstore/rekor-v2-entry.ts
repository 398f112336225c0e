/**
 * Rekor v2 (rekor-tiles) log entries: `hashedrekord` and `dsse` of kind version 0.0.2. A tile-based log issues no
 * signed entry timestamp and records no integrated time; an entry is proven by its inclusion proof against a
 * checkpoint (a C2SP signed note whose origin is the log's host name), and its signing time must come from an
 * RFC 3161 timestamp. What the entry is about is checked by `checkTlogBody`, as for Rekor v1.
 */
import type { TlogEntry } from '../model.ts';
import { SignError } from '../sign-error.ts';
import { trustedLog, verifyCheckpoint, verifyMerklePath } from './tlog.ts';
import type { TransparencyLog, TrustedRoot } from './trusted-root.ts';

/** Entry kinds only Rekor v2 writes (`intoto` 0.0.2 is a Rekor v1 kind). */
const REKOR_V2_KINDS: readonly string[] = ['hashedrekord', 'dsse'];

/** Whether the entry is a Rekor v2 one (`hashedrekord` or `dsse` 0.0.2). */
export function isRekorV2Entry(entry: TlogEntry): boolean {
  return entry.version === '0.0.2' && REKOR_V2_KINDS.includes(entry.kind);
}

function invalid(message: string): SignError {
  return new SignError('TLOG_PROOF_INVALID', message);
}

/** The checkpoint origin (and signer name) of a Rekor v2 log: the host name of its base URL. */
function logOrigin(log: TransparencyLog): string {
  try {
    return new URL(log.baseUrl).hostname;
  } catch {
    throw invalid(`log ${log.logId.toString('hex')} has no base URL to take its checkpoint origin from (${JSON.stringify(log.baseUrl)})`);
  }
}

/** The log of the entry, trusted by the root at every one of the signature's verified timestamps. */
function logTrustedAt(entry: TlogEntry, root: TrustedRoot, times: readonly Date[]): TransparencyLog {
  const [log] = times.map((time) => trustedLog(root, entry.logId, time, "the timestamp authority's time"));
  if (log === undefined) {
    throw new SignError(
      'TIMESTAMP_MISSING',
      `log entry ${entry.logIndex} is a Rekor v2 entry (${entry.kind} ${entry.version}) without integrated time, and the signature has no verified RFC 3161 timestamp to take the signing time from`,
    );
  }
  return log;
}

/**
 * Verifies a Rekor v2 entry against the trusted root, given the signing times of the signature's verified RFC 3161
 * timestamps: there is at least one (TIMESTAMP_MISSING otherwise), the log is one of the root's and trusted at each,
 * the entry has an inclusion proof (TLOG_PROOF_MISSING) and no signed entry timestamp, the proof is at the entry's
 * index and leads to its root hash, and the checkpoint names that root and tree size, has the log's host name as
 * origin and is signed by the log under that name (TLOG_PROOF_INVALID). Other signatures on the checkpoint (witness
 * cosignatures) are ignored.
 */
export function verifyRekorV2Entry(entry: TlogEntry, root: TrustedRoot, signedTimes: readonly Date[]): void {
  const proof = entry.inclusionProof;
  if (proof === undefined) {
    throw new SignError('TLOG_PROOF_MISSING', `log entry ${entry.logIndex} is a Rekor v2 entry without inclusion proof (Rekor v2 issues no signed entry timestamp)`);
  }
  if (entry.signedEntryTimestamp !== undefined) throw invalid(`log entry ${entry.logIndex} is a Rekor v2 entry with a signed entry timestamp, which Rekor v2 does not issue`);
  const log = logTrustedAt(entry, root, signedTimes);
  if (proof.logIndex !== entry.logIndex) throw invalid(`inclusion proof of Rekor v2 entry ${entry.logIndex} is for index ${proof.logIndex}`);
  verifyMerklePath(entry, proof);
  verifyCheckpoint(proof, log, logOrigin(log));
}
