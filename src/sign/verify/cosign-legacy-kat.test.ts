import assert from 'node:assert/strict';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { digestOf, type Digest } from '../../core/oci/digest.ts';
import { loadPublicKey, type VerificationKey } from '../keys.ts';
import type { FoundSignature } from '../model.ts';
import { parseSimpleSigning } from '../payload/simple-signing.ts';
import { appendLegacyLayer, LegacyAnnotation, readLegacy, type LegacyLayer } from '../scheme/legacy.ts';
import { parseTrustedRoot, type TrustedRoot } from '../sigstore/trusted-root.ts';
import { verifySignature, type SignatureOutcome, type VerificationPolicy } from './verify-signature.ts';
import { memorySignatureStore } from '../../testing/memory-signature-store.ts';

/**
 * Known-answer tests: legacy-scheme (`.sig` tag, simple-signing layer) signatures made by the real cosign, taken from
 * containers/image's test fixtures (see `src/sign/testdata/README.md`), verify in Slipway — key-signed without a log
 * entry, key-signed with a public-good Rekor SET, and keyless (public-good Fulcio certificate + Rekor SET).
 */

const DIR = new URL('../testdata/cosign-legacy/', import.meta.url);
const read = (path: string): Buffer => readFileSync(new URL(path, DIR));
const text = (path: string): string => read(path).toString('utf8');

/** containers/image's `dir:` form of one `.sig` layer: `\0sigstore-json\n` + `{mimeType, payload: b64(layer blob), annotations}`. */
function fixtureLayer(path: string): LegacyLayer {
  const bytes = read(path);
  const prefix = Buffer.from('\0sigstore-json\n', 'latin1');
  assert.ok(bytes.subarray(0, prefix.byteLength).equals(prefix), `${path} is a containers/image sigstore signature`);
  const json = JSON.parse(bytes.subarray(prefix.byteLength).toString('utf8')) as { mimeType: string; payload: string; annotations: Record<string, string> };
  return { bytes: Buffer.from(json.payload, 'base64'), mediaType: json.mimeType, annotations: json.annotations };
}

interface Fixture {
  /** The digest of the fixture's image manifest, which the payload names. */
  readonly digest: Digest;
  readonly dockerReference: string;
  readonly layer: LegacyLayer;
  readonly found: FoundSignature;
}

/** Stores the fixture's layer (exact payload and annotations) under the image's `.sig` tag and reads it back with `readLegacy`. */
async function load(dir: string): Promise<Fixture> {
  const digest = digestOf(read(`${dir}/manifest.json`));
  const layer = fixtureLayer(`${dir}/signature-1`);
  const claims = parseSimpleSigning(layer.bytes);
  assert.equal(claims.manifestDigest, digest, `${dir}: the payload names the fixture's image manifest`);
  const store = memorySignatureStore(claims.dockerReference);
  await appendLegacyLayer(store, digest, 'sig', layer);
  const { found, unreadable } = await readLegacy(store, digest, 'sig');
  assert.deepEqual(unreadable, []);
  assert.equal(found.length, 1);
  const [signature] = found;
  assert.ok(signature !== undefined);
  assert.equal(signature.content.kind, 'message');
  if (signature.content.kind === 'message') assert.ok(signature.content.payload.equals(layer.bytes), 'the payload is read back byte for byte');
  return { digest, dockerReference: claims.dockerReference, layer, found: signature };
}

const key = (file: string): VerificationKey => loadPublicKey(text(file));

function keyPolicy(keys: readonly VerificationKey[], dockerReference: string, extra: Partial<VerificationPolicy> = {}): VerificationPolicy {
  return { keys, identities: [], requireTlog: false, dockerReference: { reference: dockerReference }, ...extra };
}

function assertVerified(outcome: SignatureOutcome): asserts outcome is Extract<SignatureOutcome, { verified: true }> {
  assert.equal(outcome.verified, true, outcome.verified ? '' : `${outcome.code}: ${outcome.message}`);
}

function assertRefused(outcome: SignatureOutcome, code: string): void {
  assert.equal(outcome.verified, false, `expected ${code}, but it verified`);
  if (!outcome.verified) assert.equal(outcome.code, code, outcome.message);
}

const b64 = (bytes: Buffer): string => bytes.toString('base64');

/** The fixture's Fulcio root certificate (public-good `sigstore`, 2021-10-07 – 2031-10-05), DER. */
const fulcioRootDer = (): Buffer => new X509Certificate(read('fulcio_v1.crt.pem')).raw;

/** The SPKI DER of the fixture's public-good Rekor key, and its log ID (SHA-256 of it). */
function rekorKey(): { der: Buffer; logId: Buffer } {
  const der = createPublicKey(text('rekor.pub')).export({ type: 'spki', format: 'der' });
  return { der, logId: createHash('sha256').update(der).digest() };
}

const PUBLIC_GOOD_ROOT = new URL('../testdata/sigstore/cosign-trusted-root-pgi.json', import.meta.url);

/**
 * The public-good CT logs as cosign's trusted root fixture lists them (containers/image's fixtures have no CT log key):
 * the keyless leaf's SCT is from the 2022 log.
 */
function publicGoodCtlogs(): unknown[] {
  return (JSON.parse(readFileSync(PUBLIC_GOOD_ROOT, 'utf8')) as { ctlogs: unknown[] }).ctlogs;
}

/**
 * A `trusted_root.json` assembled from the fixture's Rekor public key and Fulcio root certificate, and the public-good
 * CT logs (`ctlogs: false` leaves them out). `intermediates` (leaf-most first) go before the root in the CA chain, as
 * sigstore trusted roots list them.
 */
function assembledRoot(intermediates: readonly Buffer[], options: { ctlogs?: boolean } = {}): TrustedRoot {
  const rekor = rekorKey();
  const fulcioRoot = fulcioRootDer();
  return parseTrustedRoot({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: 'https://rekor.sigstore.dev',
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(rekor.der), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2021-01-12T11:53:27Z' } },
        logId: { keyId: b64(rekor.logId) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.dev', commonName: 'sigstore' },
        uri: 'https://fulcio.sigstore.dev',
        certChain: { certificates: [...intermediates, fulcioRoot].map((der) => ({ rawBytes: b64(der) })) },
        validFor: { start: '2021-10-07T13:56:59Z' },
      },
    ],
    ctlogs: options.ctlogs === false ? [] : publicGoodCtlogs(),
    timestampAuthorities: [],
  });
}

/** The public-good trusted root cosign ships in its test data (see `src/sign/testdata/README.md`). */
function publicGoodRoot(): TrustedRoot {
  return parseTrustedRoot(JSON.parse(readFileSync(PUBLIC_GOOD_ROOT, 'utf8')));
}

describe('real cosign legacy signatures (containers/image fixtures)', () => {
  describe('key-signed, no log entry (dir-img-cosign-valid)', () => {
    it('verifies with cosign.pub; the signer is that key', async () => {
      const f = await load('dir-img-cosign-valid');
      assert.deepEqual(Object.keys(f.layer.annotations), [LegacyAnnotation.signature]);
      assert.equal(f.dockerReference, '192.168.64.2:5000/cosign-signed-single-sample');
      assert.equal(f.found.material.kind, 'key');
      assert.deepEqual(f.found.tlogEntries, []);
      const cosignPub = key('cosign.pub');
      const outcome = verifySignature(f.found, f.digest, keyPolicy([cosignPub], f.dockerReference));
      assertVerified(outcome);
      assert.deepEqual(outcome.signer, { kind: 'key', keyId: cosignPub.keyId });
      assert.equal(outcome.integratedTime, undefined);
      // Among several trusted keys, the one that signed is found.
      const both = verifySignature(f.found, f.digest, keyPolicy([key('cosign2.pub'), cosignPub], f.dockerReference));
      assertVerified(both);
      assert.deepEqual(both.signer, { kind: 'key', keyId: cosignPub.keyId });
      // A server, which matches the repository on any host.
      assertVerified(verifySignature(f.found, f.digest, { ...keyPolicy([cosignPub], f.dockerReference), dockerReference: { repository: 'cosign-signed-single-sample' } }));
    });

    it('refuses another key with SIGNATURE_INVALID', async () => {
      const f = await load('dir-img-cosign-valid');
      assertRefused(verifySignature(f.found, f.digest, keyPolicy([key('cosign2.pub')], f.dockerReference)), 'SIGNATURE_INVALID');
    });

    it('refuses another digest with PAYLOAD_DIGEST_MISMATCH, another repository with DOCKER_REFERENCE_MISMATCH', async () => {
      const f = await load('dir-img-cosign-valid');
      const other = digestOf(read('dir-img-cosign-key-rekor-valid/manifest.json'));
      assert.notEqual(other, f.digest);
      assertRefused(verifySignature(f.found, other, keyPolicy([key('cosign.pub')], f.dockerReference)), 'PAYLOAD_DIGEST_MISMATCH');
      assertRefused(verifySignature(f.found, f.digest, keyPolicy([key('cosign.pub')], '192.168.64.2:5000/other')), 'DOCKER_REFERENCE_MISMATCH');
    });

    it('refuses the payload or signature altered by one byte with SIGNATURE_INVALID', async () => {
      const f = await load('dir-img-cosign-valid');
      assert.equal(f.found.content.kind, 'message');
      if (f.found.content.kind !== 'message') return;
      const content = f.found.content;
      const payload = Buffer.from(content.payload);
      payload[10] = (payload[10] ?? 0) ^ 1;
      const signature = Buffer.from(content.signature);
      signature[signature.byteLength - 1] = (signature.at(-1) ?? 0) ^ 1;
      const policy = keyPolicy([key('cosign.pub')], f.dockerReference);
      assertRefused(verifySignature({ ...f.found, content: { ...content, payload } }, f.digest, policy), 'SIGNATURE_INVALID');
      assertRefused(verifySignature({ ...f.found, content: { ...content, signature } }, f.digest, policy), 'SIGNATURE_INVALID');
    });
  });

  describe('key-signed with a Rekor SET (dir-img-cosign-key-rekor-valid)', () => {
    it('verifies with cosign2.pub without a trusted root (log waived)', async () => {
      const f = await load('dir-img-cosign-key-rekor-valid');
      assert.equal(f.found.material.kind, 'key');
      assert.equal(f.found.tlogEntries.length, 1);
      const outcome = verifySignature(f.found, f.digest, keyPolicy([key('cosign2.pub')], f.dockerReference));
      assertVerified(outcome);
      assert.deepEqual(outcome.signer, { kind: 'key', keyId: key('cosign2.pub').keyId });
    });

    it('verifies the SET and the hashedrekord body with requireTlog, against the assembled and the public-good root', async () => {
      const f = await load('dir-img-cosign-key-rekor-valid');
      const [entry] = f.found.tlogEntries;
      assert.ok(entry !== undefined);
      assert.equal(entry.kind, 'hashedrekord');
      assert.equal(entry.version, '0.0.1');
      assert.equal(entry.logIndex, 11608800);
      assert.ok(entry.logId.equals(rekorKey().logId), 'the entry names the fixture Rekor key');
      for (const trustedRoot of [assembledRoot([]), publicGoodRoot()]) {
        const outcome = verifySignature(f.found, f.digest, keyPolicy([key('cosign2.pub')], f.dockerReference, { requireTlog: true, trustedRoot }));
        assertVerified(outcome);
        assert.equal(outcome.integratedTime?.toISOString(), '2023-01-20T21:57:39.000Z');
      }
    });

    it('refuses cosign.pub with SIGNATURE_INVALID, another digest with PAYLOAD_DIGEST_MISMATCH, an altered SET with TLOG_PROOF_INVALID', async () => {
      const f = await load('dir-img-cosign-key-rekor-valid');
      const trustedRoot = assembledRoot([]);
      const strict = keyPolicy([key('cosign2.pub')], f.dockerReference, { requireTlog: true, trustedRoot });
      assertRefused(verifySignature(f.found, f.digest, keyPolicy([key('cosign.pub')], f.dockerReference, { requireTlog: true, trustedRoot })), 'SIGNATURE_INVALID');
      assertRefused(verifySignature(f.found, digestOf(read('dir-img-cosign-valid/manifest.json')), strict), 'PAYLOAD_DIGEST_MISMATCH');
      const [entry] = f.found.tlogEntries;
      assert.ok(entry?.signedEntryTimestamp !== undefined);
      const set = Buffer.from(entry.signedEntryTimestamp);
      set[set.byteLength - 1] = (set.at(-1) ?? 0) ^ 1;
      assertRefused(verifySignature({ ...f.found, tlogEntries: [{ ...entry, signedEntryTimestamp: set }] }, f.digest, strict), 'TLOG_PROOF_INVALID');
      // The SET signs the integrated time (and index and body) too.
      assertRefused(verifySignature({ ...f.found, tlogEntries: [{ ...entry, integratedTime: entry.integratedTime + 1 }] }, f.digest, strict), 'TLOG_PROOF_INVALID');
    });
  });

  describe('keyless: Fulcio certificate + Rekor SET (dir-img-cosign-fulcio-rekor-valid)', () => {
    const IDENTITY = { subject: 'mitr@redhat.com', issuer: 'https://github.com/login/oauth' };

    async function keyless(): Promise<{ f: Fixture; intermediates: Buffer[] }> {
      const f = await load('dir-img-cosign-fulcio-rekor-valid');
      assert.equal(f.found.material.kind, 'certificate');
      if (f.found.material.kind !== 'certificate') assert.fail('keyless');
      // The chain annotation is the Fulcio intermediate, then the fixture's Fulcio root.
      const chain = f.found.material.chain;
      const fulcioRoot = fulcioRootDer();
      assert.equal(chain.length, 2);
      assert.ok(chain[1]?.equals(fulcioRoot), 'the chain ends at the fixture Fulcio root');
      const intermediate = new X509Certificate(chain[0] ?? Buffer.alloc(0));
      assert.ok(intermediate.verify(new X509Certificate(fulcioRoot).publicKey), 'the intermediate is issued by the Fulcio root');
      return { f, intermediates: [intermediate.raw] };
    }

    const keylessPolicy = (f: Fixture, trustedRoot: TrustedRoot, extra: Partial<VerificationPolicy> = {}): VerificationPolicy => ({
      keys: [],
      identities: [IDENTITY],
      trustedRoot,
      requireTlog: true,
      dockerReference: { reference: f.dockerReference },
      ...extra,
    });

    it('verifies the certificate chain as of the SET integrated time, its SCT, the SET, the log body and the identity', async () => {
      const { f, intermediates } = await keyless();
      const [entry] = f.found.tlogEntries;
      assert.equal(entry?.kind, 'hashedrekord');
      assert.equal(entry.logIndex, 11605770);
      // The leaf (2023-01-20 20:51:31–21:01:31 UTC) has long expired: the log's time is the signing time.
      for (const trustedRoot of [assembledRoot(intermediates), publicGoodRoot()]) {
        const outcome = verifySignature(f.found, f.digest, keylessPolicy(f, trustedRoot));
        assertVerified(outcome);
        assert.deepEqual(outcome.signer, { kind: 'keyless', ...IDENTITY });
        assert.equal(outcome.integratedTime?.toISOString(), '2023-01-20T20:51:33.000Z');
      }
    });

    it('refuses another identity or issuer, another digest, an altered signature, a missing SET', async () => {
      const { f, intermediates } = await keyless();
      const trustedRoot = assembledRoot(intermediates);
      assertRefused(verifySignature(f.found, f.digest, keylessPolicy(f, trustedRoot, { identities: [{ ...IDENTITY, subject: 'someone@redhat.com' }] })), 'IDENTITY_MISMATCH');
      assertRefused(verifySignature(f.found, f.digest, keylessPolicy(f, trustedRoot, { identities: [{ ...IDENTITY, issuer: 'https://accounts.google.com' }] })), 'ISSUER_MISMATCH');
      assertRefused(verifySignature(f.found, digestOf(read('dir-img-cosign-valid/manifest.json')), keylessPolicy(f, trustedRoot)), 'PAYLOAD_DIGEST_MISMATCH');
      if (f.found.content.kind !== 'message') assert.fail('a simple-signing layer');
      const signature = Buffer.from(f.found.content.signature);
      signature[signature.byteLength - 1] = (signature.at(-1) ?? 0) ^ 1;
      assertRefused(verifySignature({ ...f.found, content: { ...f.found.content, signature } }, f.digest, keylessPolicy(f, trustedRoot)), 'SIGNATURE_INVALID');
      assertRefused(verifySignature({ ...f.found, tlogEntries: [] }, f.digest, keylessPolicy(f, trustedRoot)), 'TLOG_PROOF_MISSING');
      // The key-signed fixture's log entry is about another signature.
      const other = await load('dir-img-cosign-key-rekor-valid');
      assertRefused(verifySignature({ ...f.found, tlogEntries: other.found.tlogEntries }, f.digest, keylessPolicy(f, trustedRoot)), 'TLOG_BODY_MISMATCH');
    });

    it('checks the certificate\'s embedded SCT: without the CT log in the root it is refused with CERTIFICATE_SCT_MISSING, unless waived', async () => {
      const { f, intermediates } = await keyless();
      const noCtlog = assembledRoot(intermediates, { ctlogs: false });
      const refused = verifySignature(f.found, f.digest, keylessPolicy(f, noCtlog));
      assertRefused(refused, 'CERTIFICATE_SCT_MISSING');
      assert.match(refused.verified ? '' : refused.message, /log dd3d306ac6c7113263191e1c99673702a24a5eb8de3cadff878a72802f29ee8e is not a CT log of the trusted root/);
      assertRefused(verifySignature(f.found, f.digest, keylessPolicy(f, { ...publicGoodRoot(), ctlogs: [] })), 'CERTIFICATE_SCT_MISSING');
      // The log entry, chain and identity still checked: only the SCT is waived.
      const waived = verifySignature(f.found, f.digest, keylessPolicy(f, noCtlog, { requireSct: false }));
      assertVerified(waived);
      assert.deepEqual(waived.signer, { kind: 'keyless', ...IDENTITY });
      assertRefused(verifySignature(f.found, f.digest, keylessPolicy(f, noCtlog, { requireSct: false, identities: [{ ...IDENTITY, subject: 'someone@redhat.com' }] })), 'IDENTITY_MISMATCH');
    });

    /**
     * The CA chain comes from the trusted root alone, never from the layer's chain annotation — as cosign does when it
     * has a trusted root (sigstore-go `VerifyLeafCertificate`); only its legacy `--certificate-chain` path without
     * one takes intermediates from the annotation.
     */
    it('refuses a trusted root that lists only the Fulcio root, not the intermediate, with CERTIFICATE_CHAIN_INVALID', async () => {
      const { f } = await keyless();
      assertRefused(verifySignature(f.found, f.digest, keylessPolicy(f, assembledRoot([]))), 'CERTIFICATE_CHAIN_INVALID');
    });
  });
});
