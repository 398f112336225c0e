/**
 * Reads a Rekor v1 `LogEntry` answer (`{"<uuid>": {body, integratedTime, logID, logIndex,
 * verification: {signedEntryTimestamp, inclusionProof}}}`) into a {@link TlogEntry}, as sigstore-js
 * `witness/tlog/index.ts` converts it: kind and version come from the body, `logID` and the proof
 * hashes are hex, the body and SET base64.
 */
import type { InclusionProof, TlogEntry } from '../model.ts';
import { malformedAnswer } from './sigstore-http.ts';

type Json = Record<string, unknown>;

/** Converts the single entry of a Rekor `LogEntry` map; `what` names the request in errors. */
export function toTlogEntry(answer: unknown, what: string): TlogEntry {
  const fail = (detail: string): Error => malformedAnswer('Rekor', what, detail);
  if (!isObject(answer)) throw fail('not a JSON object');
  const values = Object.values(answer);
  if (values.length !== 1 || !isObject(values[0])) throw fail(`expected one entry, got ${values.length}`);
  const entry = values[0];
  const body = base64Field(entry, 'body', fail);
  const { kind, version } = kindVersion(body, fail);
  const verification = isObject(entry['verification']) ? entry['verification'] : {};
  const set = verification['signedEntryTimestamp'];
  const proof = verification['inclusionProof'];
  return {
    logIndex: integerField(entry, 'logIndex', fail),
    logId: hexField(entry, 'logID', fail),
    kind,
    version,
    integratedTime: integerField(entry, 'integratedTime', fail),
    canonicalizedBody: body,
    ...(typeof set === 'string' && set !== '' ? { signedEntryTimestamp: Buffer.from(set, 'base64') } : {}),
    ...(isObject(proof) ? { inclusionProof: inclusionProof(proof, fail) } : {}),
  };
}

function inclusionProof(proof: Json, fail: (detail: string) => Error): InclusionProof {
  const hashes = proof['hashes'] ?? [];
  if (!Array.isArray(hashes) || !hashes.every((hash) => typeof hash === 'string' && isHex(hash))) throw fail('inclusionProof.hashes is not a list of hex hashes');
  const checkpoint = proof['checkpoint'];
  if (typeof checkpoint !== 'string' || checkpoint === '') throw fail('inclusionProof has no checkpoint');
  return {
    logIndex: integerField(proof, 'logIndex', fail),
    rootHash: hexField(proof, 'rootHash', fail),
    treeSize: integerField(proof, 'treeSize', fail),
    hashes: hashes.map((hash: string) => Buffer.from(hash, 'hex')),
    checkpoint,
  };
}

/** `kind` and `apiVersion` of the canonical body. */
function kindVersion(body: Buffer, fail: (detail: string) => Error): { kind: string; version: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw fail('the entry body is not JSON');
  }
  if (!isObject(parsed) || typeof parsed['kind'] !== 'string' || typeof parsed['apiVersion'] !== 'string') {
    throw fail('the entry body has no kind and apiVersion');
  }
  return { kind: parsed['kind'], version: parsed['apiVersion'] };
}

/** JSON numbers (Rekor v1) or decimal strings (protobuf JSON int64). */
function integerField(object: Json, name: string, fail: (detail: string) => Error): number {
  const value = object[name];
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) throw fail(`${name} is not a non-negative integer`);
  return number;
}

function hexField(object: Json, name: string, fail: (detail: string) => Error): Buffer {
  const value = object[name];
  if (typeof value !== 'string' || value === '' || !isHex(value)) throw fail(`${name} is not hex`);
  return Buffer.from(value, 'hex');
}

function base64Field(object: Json, name: string, fail: (detail: string) => Error): Buffer {
  const value = object[name];
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]+=*$/.test(value)) throw fail(`${name} is not base64`);
  return Buffer.from(value, 'base64');
}

function isHex(value: string): boolean {
  return value.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(value);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
