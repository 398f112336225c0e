/**
 * An in-memory Rekor v1 log with real crypto (node:crypto, P-256): canonical bodies as Rekor
 * stores them, sequential indexes, an RFC 6962 tree with real inclusion proofs, signed
 * checkpoints and SETs, duplicate detection (409 + `Location`) and lookup by UUID. The global
 * log index is the shard index plus `logIndexOffset`, as after a Rekor shard rotation, so a
 * verifier that mixes the two fails.
 *
 * (@sigstore/mock's `initializeTLog` logs the *proposed* entry as the body — a dsse body that
 * @sigstore/verify cannot match — and always proves a one-leaf tree; this log does neither.)
 */
import { createHash, generateKeyPairSync, randomInt, sign, type KeyObject } from 'node:crypto';
import { json } from '@sigstore/core';
import { canonicalBody, RekorRejection } from './fake-rekor-bodies.ts';
import { auditPath, leafHash, treeHash } from './merkle-tree.ts';

/** An HTTP answer of the fake log. */
export interface RekorAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface FakeRekorLog {
  /** The log key, SPKI DER. */
  readonly publicKey: Buffer;
  /** SHA-256 of the SPKI DER. */
  readonly logId: Buffer;
  /** `POST /api/v1/log/entries`. */
  create(requestBody: string): RekorAnswer;
  /** `GET /api/v1/log/entries/{entryUUID}` (64-hex UUID or 80-hex entry ID). */
  get(uuid: string): RekorAnswer;
}

export interface FakeRekorLogOptions {
  /** The log's base URL; its host names the checkpoint origin and signer, as Rekor's hostname does. */
  readonly url: string;
  /** Integration time; the real clock when absent. */
  readonly clock?: Date;
  /** Entries of earlier (inactive) shards: global index = shard index + offset. */
  readonly logIndexOffset?: number;
}

interface StoredEntry {
  readonly body: Buffer;
  readonly leaf: Buffer;
  readonly shardIndex: number;
  readonly integratedTime: number;
}

/** Creates an empty log with a fresh P-256 key. */
export function createFakeRekorLog(options: FakeRekorLogOptions): FakeRekorLog {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const logId = createHash('sha256').update(spki).digest();
  const host = new URL(options.url).host;
  const treeId = BigInt(randomInt(1, 2 ** 47)) * 2n ** 16n + BigInt(randomInt(2 ** 16));
  const offset = options.logIndexOffset ?? 0;
  const entries: StoredEntry[] = [];
  const now = (): Date => options.clock ?? new Date();
  const signer: LogSigner = { privateKey, logId, host, treeId, now };

  const entryId = (entry: StoredEntry): string => treeId.toString(16).padStart(16, '0') + entry.leaf.toString('hex');
  const answer = (status: number, entry: StoredEntry): RekorAnswer => ({
    status,
    body: JSON.stringify({ [entryId(entry)]: entryJson(entry, entries, offset, signer) }),
    headers: { location: `/api/v1/log/entries/${entryId(entry)}`, etag: entryId(entry) },
  });

  return {
    publicKey: spki,
    logId,
    create(requestBody) {
      let body: Buffer;
      try {
        body = canonicalBody(JSON.parse(requestBody) as unknown);
      } catch (error) {
        if (error instanceof RekorRejection || error instanceof SyntaxError) return failure(400, error.message);
        throw error;
      }
      const leaf = leafHash(body);
      const existing = entries.find((entry) => entry.leaf.equals(leaf));
      if (existing !== undefined) {
        return {
          status: 409,
          body: JSON.stringify({ code: 409, message: `an equivalent entry already exists in the transparency log with UUID ${existing.leaf.toString('hex')}` }),
          headers: { location: `/api/v1/log/entries/${entryId(existing)}` },
        };
      }
      const integratedTime = Math.floor(now().getTime() / 1000);
      const entry: StoredEntry = { body, leaf, shardIndex: entries.length, integratedTime };
      entries.push(entry);
      return answer(201, entry);
    },
    get(uuid) {
      const leafHex = uuid.length === 80 ? uuid.slice(16) : uuid;
      const entry = entries.find((candidate) => candidate.leaf.toString('hex') === leafHex.toLowerCase());
      return entry === undefined ? failure(404, `entry ${uuid} not found`) : answer(200, entry);
    },
  };
}

interface LogSigner {
  readonly privateKey: KeyObject;
  readonly logId: Buffer;
  readonly host: string;
  readonly treeId: bigint;
  readonly now: () => Date;
}

/** The `LogEntry` value: body, times, SET and a proof against the current tree. */
function entryJson(entry: StoredEntry, entries: readonly StoredEntry[], offset: number, signer: LogSigner): unknown {
  const logIndex = entry.shardIndex + offset;
  const body = entry.body.toString('base64');
  const logID = signer.logId.toString('hex');
  const set = sign('sha256', Buffer.from(json.canonicalize({ body, integratedTime: entry.integratedTime, logID, logIndex }), 'utf8'), signer.privateKey);
  const leaves = entries.map((stored) => stored.leaf);
  const rootHash = treeHash(leaves);
  return {
    body,
    integratedTime: entry.integratedTime,
    logID,
    logIndex,
    verification: {
      inclusionProof: {
        checkpoint: checkpoint(leaves.length, rootHash, signer),
        hashes: auditPath(entry.shardIndex, leaves).map((hash) => hash.toString('hex')),
        logIndex: entry.shardIndex,
        rootHash: rootHash.toString('hex'),
        treeSize: leaves.length,
      },
      signedEntryTimestamp: set.toString('base64'),
    },
  };
}

/** A Rekor v1 signed note: `<host> - <tree id>`, size, root, timestamp; signed with the log key. */
function checkpoint(treeSize: number, rootHash: Buffer, signer: LogSigner): string {
  const note = `${signer.host} - ${signer.treeId}\n${treeSize}\n${rootHash.toString('base64')}\nTimestamp: ${BigInt(signer.now().getTime()) * 1_000_000n}\n`;
  const signature = sign('sha256', Buffer.from(note, 'utf8'), signer.privateKey);
  const hintAndSignature = Buffer.concat([signer.logId.subarray(0, 4), signature]);
  return `${note}\n\u2014 ${signer.host} ${hintAndSignature.toString('base64')}\n`;
}

function failure(status: number, message: string): RekorAnswer {
  return { status, body: JSON.stringify({ code: status, message }) };
}
