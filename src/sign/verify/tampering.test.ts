import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { digestOf, type Digest } from '../../core/oci/digest.ts';
import { MediaType } from '../../core/oci/media-types.ts';
import { startFakeSigstore, type FakeSigstore } from '../../testing/fake-sigstore.ts';
import { discover } from '../discover.ts';
import type { FoundSignature, TlogEntry } from '../model.ts';
import { signImage } from '../sign-image.ts';
import { keylessSigner } from '../signer.ts';
import { parseTrustedRoot } from '../sigstore/trusted-root.ts';
import { verifySignature, type VerificationPolicy } from './verify-signature.ts';
import { memorySignatureStore } from '../../testing/memory-signature-store.ts';

const ISSUER = 'https://oidc.ci.example';
const IDENTITY = 'release-bot@ci.example';

const flip = (bytes: Buffer, i: number) => {
  const copy = Buffer.from(bytes);
  copy[i] = (copy[i] ?? 0) ^ 0x01;
  return copy;
};

/**
 * Tampering with any byte of what verification rests on — the signed payload, the signature,
 * the certificate, the log entry body, its signed timestamp, the inclusion proof and the
 * checkpoint — makes verification fail, with the reason of the check that caught it.
 */
describe('tampering with a keyless signature', () => {
  let sigstore: FakeSigstore;
  let policy: VerificationPolicy;
  let digest: Digest;
  let legacy: FoundSignature;
  let bundle: FoundSignature;

  before(async () => {
    sigstore = await startFakeSigstore();
    policy = {
      keys: [],
      identities: [{ subject: IDENTITY, issuer: ISSUER }],
      trustedRoot: parseTrustedRoot(sigstore.trustedRoot),
      requireTlog: true,
      dockerReference: { reference: 'registry.example/team/app' },
    };
    const store = memorySignatureStore('registry.example/team/app');
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: {}, layers: [] }));
    digest = digestOf(manifest);
    const signer = await keylessSigner({ fulcioUrl: sigstore.fulcioUrl, identityToken: sigstore.identityToken({ email: IDENTITY, issuer: ISSUER }) });
    await signImage(store, { mediaType: MediaType.ociManifest, digest, size: manifest.byteLength }, { signer, schemes: ['legacy', 'bundle'], rekorUrl: sigstore.rekorUrl });
    const { found } = await discover(store, digest, 'signature');
    const byScheme = (scheme: string) => found.find((f) => f.scheme === scheme);
    const [l, b] = [byScheme('legacy'), byScheme('bundle')];
    assert.ok(l !== undefined && b !== undefined);
    [legacy, bundle] = [l, b];
  });
  after(() => sigstore.close());

  it('verifies untouched, in both schemes', () => {
    for (const found of [legacy, bundle]) assert.equal(verifySignature(found, digest, policy).verified, true, found.scheme);
  });

  /** Every byte of a part flipped in turn: never verified, and always for one of the expected reasons. */
  function sweep(found: FoundSignature, part: string, bytes: Buffer, rebuild: (tampered: Buffer) => FoundSignature, reasons: readonly string[]): void {
    const seen = new Set<string>();
    for (let i = 0; i < bytes.byteLength; i++) {
      const outcome = verifySignature(rebuild(flip(bytes, i)), digest, policy);
      assert.equal(outcome.verified, false, `${found.scheme} ${part}: byte ${i} flipped still verifies`);
      if (!outcome.verified) seen.add(outcome.code);
    }
    for (const code of seen) assert.ok(reasons.includes(code), `${found.scheme} ${part}: unexpected reason ${code}`);
  }

  const withEntry = (found: FoundSignature, change: (entry: TlogEntry) => TlogEntry): FoundSignature => ({ ...found, tlogEntries: found.tlogEntries.map(change) });

  it('refuses a flipped byte of the payload or the signature with SIGNATURE_INVALID', () => {
    assert.equal(legacy.content.kind, 'message');
    assert.equal(bundle.content.kind, 'dsse');
    if (legacy.content.kind !== 'message' || bundle.content.kind !== 'dsse') return;
    const message = legacy.content;
    const envelope = bundle.content.envelope;
    const sig = envelope.signatures[0]?.sig ?? Buffer.alloc(0);
    sweep(legacy, 'payload', message.payload, (t) => ({ ...legacy, content: { ...message, payload: t } }), ['SIGNATURE_INVALID']);
    sweep(legacy, 'signature', message.signature, (t) => ({ ...legacy, content: { ...message, signature: t } }), ['SIGNATURE_INVALID']);
    sweep(bundle, 'payload', envelope.payload, (t) => ({ ...bundle, content: { kind: 'dsse', envelope: { ...envelope, payload: t } } }), ['SIGNATURE_INVALID']);
    sweep(bundle, 'signature', sig, (t) => ({ ...bundle, content: { kind: 'dsse', envelope: { ...envelope, signatures: [{ keyid: '', sig: t }] } } }), ['SIGNATURE_INVALID']);
  });

  it('refuses a flipped byte of the certificate', () => {
    for (const found of [legacy, bundle]) {
      if (found.material.kind !== 'certificate') assert.fail('keyless signatures carry a certificate');
      const material = found.material;
      sweep(found, 'certificate', material.certificate, (t) => ({ ...found, material: { ...material, certificate: t } }), [
        'SIGNATURE_INVALID',
        'CERTIFICATE_CHAIN_INVALID',
        'TLOG_BODY_MISMATCH',
        'CERTIFICATE_NOT_VALID_AT_SIGNING_TIME',
        'IDENTITY_MISMATCH',
        'ISSUER_MISMATCH',
      ]);
    }
  });

  it('refuses a flipped byte of the log entry body, its signed timestamp, its inclusion proof or its checkpoint with TLOG_PROOF_INVALID', () => {
    for (const found of [legacy, bundle]) {
      const entry = found.tlogEntries[0];
      assert.ok(entry !== undefined);
      sweep(found, 'log entry body', entry.canonicalizedBody, (t) => withEntry(found, (e) => ({ ...e, canonicalizedBody: t })), ['TLOG_PROOF_INVALID']);
      const set = entry.signedEntryTimestamp;
      assert.ok(set !== undefined);
      sweep(found, 'signed entry timestamp', set, (t) => withEntry(found, (e) => ({ ...e, signedEntryTimestamp: t })), ['TLOG_PROOF_INVALID']);
      const proof = entry.inclusionProof;
      if (found.scheme === 'bundle') {
        assert.ok(proof !== undefined, 'bundles carry the inclusion proof');
        sweep(found, 'root hash', proof.rootHash, (t) => withEntry(found, (e) => ({ ...e, inclusionProof: { ...proof, rootHash: t } })), ['TLOG_PROOF_INVALID']);
        const checkpoint = Buffer.from(proof.checkpoint);
        sweep(found, 'checkpoint', checkpoint, (t) => withEntry(found, (e) => ({ ...e, inclusionProof: { ...proof, checkpoint: t.toString('latin1') } })), ['TLOG_PROOF_INVALID']);
      }
    }
  });

  it('refuses a signature without any log proof when one is required, and a log entry of another signature', () => {
    const bare = { ...bundle, tlogEntries: [] };
    const outcome = verifySignature(bare, digest, policy);
    assert.equal(outcome.verified ? 'verified' : outcome.code, 'TLOG_PROOF_MISSING');
    const swapped = { ...legacy, tlogEntries: bundle.tlogEntries };
    const mismatch = verifySignature(swapped, digest, policy);
    assert.equal(mismatch.verified ? 'verified' : mismatch.code, 'TLOG_BODY_MISMATCH');
  });

  it('refuses a certificate without an SCT of a trusted CT log with CERTIFICATE_SCT_MISSING, unless explicitly waived', () => {
    const root = policy.trustedRoot;
    assert.ok(root !== undefined);
    const noCtlog: VerificationPolicy = { ...policy, trustedRoot: { ...root, ctlogs: [] } };
    for (const found of [legacy, bundle]) {
      const outcome = verifySignature(found, digest, noCtlog);
      assert.equal(outcome.verified ? 'verified' : outcome.code, 'CERTIFICATE_SCT_MISSING', found.scheme);
      assert.equal(verifySignature(found, digest, { ...noCtlog, requireSct: true }).verified, false, `${found.scheme}: requireSct true is the default`);
      assert.equal(verifySignature(found, digest, { ...noCtlog, requireSct: false }).verified, true, `${found.scheme}: requireSct false waives the SCT`);
    }
  });

  it('refuses a signature of another digest, and a legacy signature for another repository', () => {
    const other = digestOf('another image');
    const outcome = verifySignature(legacy, other, policy);
    assert.equal(outcome.verified ? 'verified' : outcome.code, 'PAYLOAD_DIGEST_MISMATCH');
    const moved = verifySignature(legacy, digest, { ...policy, dockerReference: { reference: 'registry.example/prod/app' } });
    assert.equal(moved.verified ? 'verified' : moved.code, 'DOCKER_REFERENCE_MISMATCH');
    assert.equal(verifySignature(legacy, digest, { ...policy, dockerReference: null }).verified, true, 'unless docker-reference is explicitly ignored');
    assert.equal(verifySignature(legacy, digest, { ...policy, dockerReference: { repository: 'team/app' } }).verified, true, 'a server matches the repository on any host');
  });
});
