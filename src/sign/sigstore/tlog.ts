/**
 * Verifying a Rekor (v1) transparency-log entry offline against the trusted root: the signed entry timestamp (the
 * log's promise to include the entry) and/or the inclusion proof with its signed checkpoint. What the entry is about
 * (which signature, key, payload) is checked separately by `checkTlogBody`. The proof and checkpoint checks serve Rekor
 * v2 entries too (`rekor-v2-entry.ts`).
 */
import { json } from '@sigstore/core';
import type { InclusionProof, TlogEntry } from '../model.ts';
import { SignError } from '../sign-error.ts';
import { parseCheckpoint, parseSignedNote, type SignedNote } from './checkpoint.ts';
import { verifySignature } from './crypto-util.ts';
import { leafHash, rootFromInclusionProof } from './merkle.ts';
import { describePeriod, validAt, type TransparencyLog, type TrustedRoot } from './trusted-root.ts';

export { checkTlogBody, type TlogBodyExpectation } from './tlog-body.ts';

function invalid(message: string): SignError {
  return new SignError('TLOG_PROOF_INVALID', message);
}

/** The trusted log that wrote the entry: same log ID, and trusted at `at` (the entry's integrated time, by default). */
export function trustedLog(root: TrustedRoot, logId: Buffer, at: Date, when = 'the integrated time'): TransparencyLog {
  const logs = root.tlogs.filter((log) => log.logId.equals(logId));
  if (logs.length === 0) throw invalid(`log ${logId.toString('hex')} is not a transparency log of the trusted root`);
  const log = logs.find((candidate) => validAt(candidate.validFor, at));
  if (log === undefined) {
    const periods = logs.map((candidate) => describePeriod(candidate.validFor)).join(', ');
    throw invalid(`log ${logId.toString('hex')} was not trusted at ${when} ${at.toISOString()} (trusted ${periods})`);
  }
  return log;
}

/** The bytes a SET signs: the JCS of {body, integratedTime, logID (hex), logIndex (global)}. */
export function setMessage(entry: TlogEntry): Buffer {
  return Buffer.from(
    json.canonicalize({
      body: entry.canonicalizedBody.toString('base64'),
      integratedTime: entry.integratedTime,
      logID: entry.logId.toString('hex'),
      logIndex: entry.logIndex,
    }),
    'utf8',
  );
}

function verifySet(entry: TlogEntry, set: Buffer, log: TransparencyLog): void {
  if (!verifySignature(log.publicKey, setMessage(entry), set)) {
    throw invalid(`the signed entry timestamp of entry ${entry.logIndex} does not verify with the key of log ${log.logId.toString('hex')}`);
  }
}

/** The inclusion proof leads from the entry's leaf hash to the proof's root hash. */
export function verifyMerklePath(entry: TlogEntry, proof: InclusionProof): void {
  const result = rootFromInclusionProof(BigInt(proof.logIndex), BigInt(proof.treeSize), leafHash(entry.canonicalizedBody), proof.hashes);
  if (!result.ok) throw invalid(`inclusion proof of entry ${entry.logIndex}: ${result.reason}`);
  if (!result.root.equals(proof.rootHash)) {
    throw invalid(
      `inclusion proof of entry ${entry.logIndex}: the path leads to root ${result.root.toString('hex')}, not to the proof's root hash ${proof.rootHash.toString('hex')}`,
    );
  }
}

/** The key hints a log's checkpoint signatures carry: the first 4 bytes of its log ID (or of its checkpoint key ID). */
function keyHints(log: TransparencyLog): Buffer[] {
  const hints = [log.logId.subarray(0, 4)];
  if (log.checkpointKeyId !== undefined) hints.push(log.checkpointKeyId.subarray(0, 4));
  return hints;
}

function verifyNoteSignature(note: SignedNote, log: TransparencyLog, origin: string | undefined): void {
  const hints = keyHints(log);
  const mine = note.signatures.filter((s) => hints.some((hint) => hint.equals(s.keyHint)) && (origin === undefined || s.name === origin));
  if (mine.length === 0) {
    const by = origin === undefined ? '' : ` and the name ${origin}`;
    throw invalid(`checkpoint: no signature carries the key hint ${hints[0]?.toString('hex')}${by} of log ${log.logId.toString('hex')}`);
  }
  const text = Buffer.from(note.text, 'utf8');
  if (!mine.some((s) => verifySignature(log.publicKey, text, s.signature))) {
    throw invalid(`checkpoint: the signature by ${mine[0]?.name} does not verify with the key of log ${log.logId.toString('hex')}`);
  }
}

/**
 * The checkpoint is signed by the log and names the proof's tree size and root hash. With `origin` (Rekor v2, a
 * C2SP checkpoint), its origin line and the name of the log's signature must both be that origin.
 */
export function verifyCheckpoint(proof: InclusionProof, log: TransparencyLog, origin?: string): void {
  const note = parseSignedNote(proof.checkpoint);
  if (!note.ok) throw invalid(`checkpoint: ${note.reason}`);
  verifyNoteSignature(note.value, log, origin);
  const checkpoint = parseCheckpoint(note.value.text);
  if (!checkpoint.ok) throw invalid(`checkpoint: ${checkpoint.reason}`);
  if (origin !== undefined && checkpoint.value.origin !== origin) throw invalid(`checkpoint: origin ${checkpoint.value.origin} is not the log's ${origin}`);
  if (checkpoint.value.treeSize !== BigInt(proof.treeSize)) {
    throw invalid(`checkpoint: tree size ${checkpoint.value.treeSize} is not the proof's tree size ${proof.treeSize}`);
  }
  if (!checkpoint.value.rootHash.equals(proof.rootHash)) {
    throw invalid(
      `checkpoint: root hash ${checkpoint.value.rootHash.toString('hex')} is not the proof's root hash ${proof.rootHash.toString('hex')}`,
    );
  }
}

/**
 * Verifies a Rekor entry against the trusted root: the log is one of the root's and was trusted at the integrated
 * time; the SET, if present, verifies; the inclusion proof, if present, leads to its root hash and the checkpoint
 * signed by the log names that root and tree size. Returns the integrated time, now a trusted signing time, and the log.
 * Throws TLOG_PROOF_MISSING when the entry carries neither SET nor proof, TLOG_PROOF_INVALID for any failure.
 * Rekor v2 entries (no SET, integrated time 0) are verified by `verifyRekorV2Entry` and refused here.
 */
export function verifyTlogEntry(entry: TlogEntry, root: TrustedRoot): { integratedTime: Date; log: TransparencyLog } {
  const set = entry.signedEntryTimestamp;
  const proof = entry.inclusionProof;
  if (set === undefined && proof === undefined) {
    throw new SignError('TLOG_PROOF_MISSING', `log entry ${entry.logIndex} has neither a signed entry timestamp nor an inclusion proof`);
  }
  if (entry.integratedTime <= 0) throw invalid(`log entry ${entry.logIndex} has no integrated time (a Rekor v2 entry takes its time from a timestamp authority)`);
  const integratedTime = new Date(entry.integratedTime * 1000);
  const log = trustedLog(root, entry.logId, integratedTime);
  if (set !== undefined) verifySet(entry, set, log);
  if (proof !== undefined) {
    verifyMerklePath(entry, proof);
    verifyCheckpoint(proof, log);
  }
  return { integratedTime, log };
}
