/**
 * A Rekor v1 client (`POST /api/v1/log/entries`, rekor `openapi.yaml` `createLogEntry`): uploads
 * a `hashedrekord` or `dsse` 0.0.1 entry and returns it as a {@link TlogEntry} with its SET and
 * inclusion proof, for organisations running their own Sigstore. An entry the log already holds
 * (409) is fetched by the UUID its `Location` names, as sigstore-js does with `fetchOnConflict`.
 * Proposed entries follow sigstore-js `witness/tlog/entry.ts`.
 */
import { SignError } from '../sign-error.ts';
import type { TlogEntry } from '../model.ts';
import { callService, malformedAnswer, parseAnswer, serviceRefused, type ServiceAnswer } from './sigstore-http.ts';
import { toTlogEntry } from './rekor-entry.ts';

export interface HashedRekordUpload {
  /** Rekor's base URL (`https://rekor.example`). */
  readonly rekorUrl: string;
  /** SHA-256 of the signed artifact. */
  readonly digest: Buffer;
  /** The signature over the artifact (ECDSA: DER). */
  readonly signature: Buffer;
  /** PEM of the signing certificate or public key. */
  readonly verifier: Buffer;
  readonly signal?: AbortSignal;
}

export interface DsseUpload {
  readonly rekorUrl: string;
  /** The envelope JSON, exactly as it is stored (Rekor hashes these bytes into `envelopeHash`). */
  readonly envelope: string;
  /** PEMs of the certificates or public keys that verify the envelope's signatures. */
  readonly verifiers: readonly Buffer[];
  readonly signal?: AbortSignal;
}

/** Uploads a `hashedrekord` 0.0.1 entry (a signature over a digest). */
export async function uploadHashedRekord(upload: HashedRekordUpload): Promise<TlogEntry> {
  if (upload.digest.length !== 32) throw new RangeError(`a hashedrekord digest must be SHA-256 (32 bytes), got ${upload.digest.length}`);
  const proposed = {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: upload.digest.toString('hex') } },
      signature: { content: upload.signature.toString('base64'), publicKey: { content: upload.verifier.toString('base64') } },
    },
  };
  return createEntry(upload.rekorUrl, proposed, upload.signal);
}

/** Uploads a `dsse` 0.0.1 entry; Rekor checks every signature of the envelope against `verifiers`. */
export async function uploadDsse(upload: DsseUpload): Promise<TlogEntry> {
  if (upload.verifiers.length === 0) throw new RangeError('a dsse entry needs at least one verifier');
  const proposed = {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: { proposedContent: { envelope: upload.envelope, verifiers: upload.verifiers.map((pem) => pem.toString('base64')) } },
  };
  return createEntry(upload.rekorUrl, proposed, upload.signal);
}

async function createEntry(rekorUrl: string, proposed: { readonly kind: string }, signal: AbortSignal | undefined): Promise<TlogEntry> {
  const base = rekorUrl.replace(/\/+$/, '');
  const answer = await callService('Rekor', {
    method: 'POST',
    url: `${base}/api/v1/log/entries`,
    body: JSON.stringify(proposed),
    ...(signal === undefined ? {} : { signal }),
  });
  const entry = answer.status === 409 ? await existingEntry(base, answer, proposed.kind, signal) : createdEntry(answer, proposed.kind);
  if (entry.kind !== proposed.kind) {
    throw malformedAnswer('Rekor', `the ${proposed.kind} entry`, `the log returned a ${entry.kind} entry`);
  }
  return entry;
}

function createdEntry(answer: ServiceAnswer, kind: string): TlogEntry {
  if (answer.status !== 201 && answer.status !== 200) throw serviceRefused('Rekor', `the ${kind} entry`, answer);
  return toTlogEntry(parseAnswer('Rekor', `the ${kind} entry`, answer.body), `the ${kind} entry`);
}

/** 409: the log holds an equal entry; `Location` names it (`/api/v1/log/entries/<uuid>`). */
async function existingEntry(base: string, conflict: ServiceAnswer, kind: string, signal: AbortSignal | undefined): Promise<TlogEntry> {
  const uuid = conflict.headers.get('location')?.split('/').pop()?.trim() ?? '';
  if (!/^[0-9a-f]{64}([0-9a-f]{16})?$/i.test(uuid)) {
    throw new SignError('SIGSTORE_UNAVAILABLE', `Rekor already holds the ${kind} entry but named no entry to fetch (Location ${conflict.headers.get('location') ?? 'missing'})`);
  }
  const answer = await callService('Rekor', {
    method: 'GET',
    url: `${base}/api/v1/log/entries/${uuid}`,
    ...(signal === undefined ? {} : { signal }),
  });
  if (answer.status !== 200) throw serviceRefused('Rekor', `the existing ${kind} entry ${uuid}`, answer);
  return toTlogEntry(parseAnswer('Rekor', `the existing ${kind} entry`, answer.body), `the existing ${kind} entry`);
}
