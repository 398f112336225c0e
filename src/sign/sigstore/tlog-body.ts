/**
 * Checking that a Rekor entry is about this signature: its body (Rekor v1: hashedrekord 0.0.1, dsse 0.0.1, intoto
 * 0.0.1/0.0.2; Rekor v2: hashedrekord 0.0.2, also over a DSSE envelope's PAE, and dsse 0.0.2) names the same artifact
 * digest or DSSE payload hash, the same signature bytes and the same key or certificate. A proof of inclusion is worth
 * nothing for an entry about something else.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { TlogEntry } from '../model.ts';
import { preAuthEncoding } from '../payload/dsse.ts';
import { decodePem, type PemBlock } from '../pem.ts';
import { SignError } from '../sign-error.ts';
import { sha256, spkiDer, spkiKey } from './crypto-util.ts';
import { decodeBase64, objectList, optionalObject, reader, requiredObject, requiredString, type ProtoReader } from './proto-json.ts';

/** What the entry must be about: a message signature (hashedrekord) or a DSSE envelope's signatures. */
export type TlogBodyExpectation =
  | {
      readonly kind: 'message';
      /** SHA-256 of the signed payload. */
      readonly digest: Buffer;
      readonly signature: Buffer;
      /** PEM (or DER) of the signer's certificate or public key. */
      readonly verifier: Buffer;
    }
  | {
      readonly kind: 'dsse';
      readonly payloadType: string;
      /** The decoded DSSE payload. */
      readonly payload: Buffer;
      readonly signatures: readonly { readonly sig: Buffer; readonly verifier: Buffer }[];
    };

/** A signer's key or certificate reduced to DER, so PEM spelling (line length, trailing newline) does not matter. */
export interface VerifierDer {
  readonly kind: 'certificate' | 'key';
  readonly der: Buffer;
}

function mismatch(message: string): SignError {
  return new SignError('TLOG_BODY_MISMATCH', `log entry body: ${message}`);
}

function derVerifier(der: Buffer): VerifierDer | undefined {
  const key = spkiKey(der);
  if (key !== undefined) return { kind: 'key', der: spkiDer(key) };
  try {
    return { kind: 'certificate', der: new X509Certificate(der).raw };
  } catch {
    return undefined;
  }
}

/** A PEM certificate or public key (exactly one block), or its DER, as DER; `undefined` when it is none of those. */
export function verifierDer(bytes: Buffer): VerifierDer | undefined {
  const text = bytes.toString('latin1');
  const blocks = text.split('-----BEGIN ').length - 1;
  if (blocks === 0) return derVerifier(bytes);
  if (blocks !== 1) return undefined;
  let block: PemBlock;
  try {
    block = decodePem(text, ['CERTIFICATE', 'PUBLIC KEY']);
  } catch {
    return undefined;
  }
  const found = derVerifier(block.der);
  return found?.kind === (block.label === 'CERTIFICATE' ? 'certificate' : 'key') ? found : undefined;
}

/** Whether two verifiers are the same certificate, or the same public key. */
export function sameVerifier(a: Buffer, b: Buffer): boolean {
  const x = verifierDer(a);
  const y = verifierDer(b);
  return x !== undefined && y !== undefined && x.kind === y.kind && x.der.equals(y.der);
}

function bytesField(r: ProtoReader, name: string): Buffer {
  return decodeBase64(requiredString(r, name)) ?? mismatchField(r, name, 'is not base64');
}

function mismatchField(r: ProtoReader, name: string, why: string): never {
  throw mismatch(`${r.path === '' ? '' : `${r.path}.`}${name} ${why}`);
}

/** Compares a `{algorithm, value (hex)}` hash of the body with the SHA-256 the verifier computed. */
function checkSha256(hash: ProtoReader, expected: Buffer, what: string): void {
  const algorithm = requiredString(hash, 'algorithm');
  if (algorithm !== 'sha256') throw mismatch(`${what} is a ${algorithm} hash; the verifier has a sha256 one`);
  const value = requiredString(hash, 'value');
  if (!/^[0-9a-fA-F]{64}$/.test(value) || !Buffer.from(value, 'hex').equals(expected)) {
    throw mismatch(`${what} ${value} is not ${expected.toString('hex')}`);
  }
}

function checkVerifier(logged: Buffer, expected: Buffer, what: string): void {
  if (!sameVerifier(logged, expected)) throw mismatch(`${what} is another key or certificate than the signer's`);
}

function expectKind<K extends TlogBodyExpectation['kind']>(
  expected: TlogBodyExpectation,
  kind: K,
  entryKind: string,
): Extract<TlogBodyExpectation, { kind: K }> {
  if (expected.kind !== kind) throw mismatch(`a ${entryKind} entry cannot be about a ${expected.kind === 'message' ? 'message signature' : 'DSSE envelope'}`);
  return expected as Extract<TlogBodyExpectation, { kind: K }>;
}

function checkHashedRekord(spec: ProtoReader, expected: TlogBodyExpectation): void {
  const message = expectKind(expected, 'message', 'hashedrekord');
  checkSha256(requiredObject(requiredObject(spec, 'data'), 'hash'), message.digest, 'the artifact hash');
  const signature = requiredObject(spec, 'signature');
  if (!bytesField(signature, 'content').equals(message.signature)) throw mismatch('the logged signature is another signature');
  checkVerifier(bytesField(requiredObject(signature, 'publicKey'), 'content'), message.verifier, 'the logged public key');
}

/** A logged signature and its verifier, whatever the entry kind's spelling. */
interface LoggedSignature {
  readonly sig: Buffer;
  readonly verifier: Buffer;
}

function checkSignatures(logged: readonly LoggedSignature[], expected: readonly LoggedSignature[]): void {
  if (logged.length !== expected.length) {
    throw mismatch(`the entry logs ${logged.length} signature(s); the envelope has ${expected.length}`);
  }
  for (const [i, want] of expected.entries()) {
    const match = logged.find((s) => s.sig.equals(want.sig));
    if (match === undefined) throw mismatch(`envelope signature ${i} is not logged`);
    checkVerifier(match.verifier, want.verifier, `the logged verifier of envelope signature ${i}`);
  }
}

function checkDsse(spec: ProtoReader, expected: TlogBodyExpectation): void {
  const dsse = expectKind(expected, 'dsse', 'dsse');
  checkSha256(requiredObject(spec, 'payloadHash'), sha256(dsse.payload), 'the payload hash');
  const logged = objectList(spec, 'signatures').map((s) => ({ sig: bytesField(s, 'signature'), verifier: bytesField(s, 'verifier') }));
  checkSignatures(logged, dsse.signatures);
}

function checkIntoto001(spec: ProtoReader, expected: TlogBodyExpectation): void {
  const dsse = expectKind(expected, 'dsse', 'intoto');
  checkSha256(requiredObject(requiredObject(spec, 'content'), 'payloadHash'), sha256(dsse.payload), 'the payload hash');
  // 0.0.1 logs the verifier only, not the signature.
  const [only] = dsse.signatures;
  if (dsse.signatures.length !== 1 || only === undefined) throw mismatch(`an intoto 0.0.1 entry logs one signer; the envelope has ${dsse.signatures.length}`);
  checkVerifier(bytesField(spec, 'publicKey'), only.verifier, 'the logged public key');
}

function checkIntoto002(spec: ProtoReader, expected: TlogBodyExpectation): void {
  const dsse = expectKind(expected, 'dsse', 'intoto');
  const content = requiredObject(spec, 'content');
  checkSha256(requiredObject(content, 'payloadHash'), sha256(dsse.payload), 'the payload hash');
  // 0.0.2 stores each signature base64-encoded twice.
  const logged = objectList(requiredObject(content, 'envelope'), 'signatures').map((s) => {
    const sig = decodeBase64(bytesField(s, 'sig').toString('latin1')) ?? mismatchField(s, 'sig', 'is not double base64');
    return { sig, verifier: bytesField(s, 'publicKey') };
  });
  checkSignatures(logged, dsse.signatures);
}

/** Rekor v2 spells hashes `{algorithm: HashAlgorithm enum name, digest: base64}`. */
const V2_HASHES: Readonly<Record<string, string>> = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' };

/** Compares a Rekor v2 `HashOutput` with the digest of `data` (any SHA-2 the entry names) or with a known SHA-256. */
function checkHashOutput(hash: ProtoReader, expected: { data: Buffer } | { sha256: Buffer }, what: string): void {
  const name = requiredString(hash, 'algorithm');
  const algorithm = V2_HASHES[name];
  if (algorithm === undefined || (!('data' in expected) && algorithm !== 'sha256')) throw mismatch(`${what} is a ${name} hash; the verifier has a SHA2_256 one`);
  const want = 'data' in expected ? createHash(algorithm).update(expected.data).digest() : expected.sha256;
  if (!bytesField(hash, 'digest').equals(want)) throw mismatch(`${what} is not ${want.toString('base64')}`);
}

/** A Rekor v2 `Verifier` (`publicKey` or `x509Certificate`, DER in `rawBytes`), as DER of the kind its field says. */
function verifierV2(r: ProtoReader): Buffer {
  const key = optionalObject(r, 'publicKey');
  const cert = optionalObject(r, 'x509Certificate');
  const field = key ?? cert;
  if (field === undefined || (key !== undefined && cert !== undefined)) throw mismatch(`${r.path} must hold either a publicKey or an x509Certificate`);
  const der = bytesField(field, 'rawBytes');
  if (verifierDer(der)?.kind !== (key === undefined ? 'certificate' : 'key')) throw mismatch(`${field.path}.rawBytes is not a DER ${key === undefined ? 'certificate' : 'public key'}`);
  return der;
}

/** The signed bytes' digest source, the one signature and its verifier a hashedrekord 0.0.2 entry must name. */
function hashedRekordSubject(expected: TlogBodyExpectation): { digest: { data: Buffer } | { sha256: Buffer }; sig: Buffer; verifier: Buffer } {
  if (expected.kind === 'message') return { digest: { sha256: expected.digest }, sig: expected.signature, verifier: expected.verifier };
  // Rekor v2 logs a DSSE envelope as a hashedrekord over its PAE, with its one signature.
  const [only] = expected.signatures;
  if (expected.signatures.length !== 1 || only === undefined) throw mismatch(`a hashedrekord 0.0.2 entry logs one signature; the envelope has ${expected.signatures.length}`);
  return { digest: { data: preAuthEncoding(expected.payloadType, expected.payload) }, sig: only.sig, verifier: only.verifier };
}

function checkHashedRekord002(spec: ProtoReader, expected: TlogBodyExpectation): void {
  const entry = requiredObject(spec, 'hashedRekordV002');
  const subject = hashedRekordSubject(expected);
  checkHashOutput(requiredObject(entry, 'data'), subject.digest, expected.kind === 'message' ? 'the artifact hash' : 'the hash of the envelope\'s PAE');
  const signature = requiredObject(entry, 'signature');
  if (!bytesField(signature, 'content').equals(subject.sig)) throw mismatch('the logged signature is another signature');
  checkVerifier(verifierV2(requiredObject(signature, 'verifier')), subject.verifier, 'the logged verifier');
}

function checkDsse002(spec: ProtoReader, expected: TlogBodyExpectation): void {
  const dsse = expectKind(expected, 'dsse', 'dsse');
  const entry = requiredObject(spec, 'dsseV002');
  checkHashOutput(requiredObject(entry, 'payloadHash'), { sha256: sha256(dsse.payload) }, 'the payload hash');
  const logged = objectList(entry, 'signatures').map((s) => ({ sig: bytesField(s, 'content'), verifier: verifierV2(requiredObject(s, 'verifier')) }));
  checkSignatures(logged, dsse.signatures);
}

const CHECKERS: Readonly<Record<string, (spec: ProtoReader, expected: TlogBodyExpectation) => void>> = {
  'hashedrekord/0.0.1': checkHashedRekord,
  'dsse/0.0.1': checkDsse,
  'intoto/0.0.1': checkIntoto001,
  'intoto/0.0.2': checkIntoto002,
  'hashedrekord/0.0.2': checkHashedRekord002,
  'dsse/0.0.2': checkDsse002,
};

function parseBody(entry: TlogEntry): ProtoReader {
  let json: unknown;
  try {
    json = JSON.parse(entry.canonicalizedBody.toString('utf8'));
  } catch {
    throw mismatch('is not JSON');
  }
  return reader(json, 'log entry body', 'TLOG_BODY_MISMATCH');
}

/**
 * Checks that the entry's body is about the expected signature: same kind and version as the entry says, the same
 * artifact digest (hashedrekord; for a DSSE envelope in Rekor v2, the digest of its PAE) or payload hash (dsse,
 * intoto), the same signature bytes and the same verifier (compared as DER, so PEM formatting does not matter).
 * Throws TLOG_BODY_MISMATCH otherwise.
 */
export function checkTlogBody(entry: TlogEntry, expected: TlogBodyExpectation): void {
  const body = parseBody(entry);
  const kind = requiredString(body, 'kind');
  const version = requiredString(body, 'apiVersion');
  if (kind !== entry.kind || version !== entry.version) {
    throw mismatch(`is a ${kind} ${version} entry; the log entry says ${entry.kind} ${entry.version}`);
  }
  const check = CHECKERS[`${kind}/${version}`];
  if (check === undefined) throw mismatch(`${kind} ${version} entries are not supported`);
  check(requiredObject(body, 'spec'), expected);
}
