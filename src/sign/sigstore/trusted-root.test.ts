import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SignError } from '../sign-error.ts';
import { fixtureJson, fixtureRecord, FIXTURES } from '../../testing/sigstore-fixtures.ts';
import { snakeCase } from './proto-json.ts';
import { loadTrustedRoot, parseTrustedRoot, validAt, type TrustedRoot } from './trusted-root.ts';

const REKOR_LOG_ID = 'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d';
const BYTES_FIELDS = new Set(['rawBytes', 'keyId']);

/** The same document in protobuf JSON's other spellings: snake_case names, URL-safe unpadded base64. */
function protoVariant(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => protoVariant(item));
  if (typeof value === 'string' && BYTES_FIELDS.has(key)) return Buffer.from(value, 'base64').toString('base64url');
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [snakeCase(k), protoVariant(v, k)]));
}

function expectInvalid(json: unknown, message: RegExp): void {
  assert.throws(() => parseTrustedRoot(json), (error: unknown) => {
    assert.ok(error instanceof SignError);
    assert.equal(error.code, 'TRUSTED_ROOT_INVALID');
    assert.match(error.message, message);
    return true;
  });
}

function tlog0(root: Record<string, unknown>): Record<string, unknown> {
  return (root['tlogs'] as Record<string, unknown>[])[0] ?? {};
}

function ca(root: Record<string, unknown>, i: number): Record<string, unknown> {
  return (root['certificateAuthorities'] as Record<string, unknown>[])[i] ?? {};
}

function summary(root: TrustedRoot): unknown {
  return {
    tlogs: root.tlogs.map((t) => [t.logId.toString('hex'), t.baseUrl, t.validFor.start.toISOString(), t.validFor.end?.toISOString()]),
    cas: root.certificateAuthorities.map((c) => [c.uri, c.chain.map((cert) => cert.root.toDER().toString('hex')), c.validFor.start.toISOString(), c.validFor.end?.toISOString()]),
    ctlogs: root.ctlogs.map((t) => [t.logId.toString('hex'), t.baseUrl]),
    tsas: root.timestampAuthorities.map((c) => c.chain.length),
  };
}

describe('parseTrustedRoot', () => {
  it('reads the public-good root cosign tests with (trusted_root_pgi.json)', () => {
    const root = parseTrustedRoot(fixtureJson('cosign-trusted-root-pgi.json'));
    assert.equal(root.mediaType, 'application/vnd.dev.sigstore.trustedroot+json;version=0.1');
    assert.equal(root.tlogs.length, 1);
    const [rekor] = root.tlogs;
    assert.equal(rekor?.logId.toString('hex'), REKOR_LOG_ID);
    assert.equal(rekor?.baseUrl, 'https://rekor.sigstore.dev');
    assert.equal(rekor?.keyDetails, 'PKIX_ECDSA_P256_SHA_256');
    assert.equal(rekor?.publicKey.asymmetricKeyType, 'ec');
    assert.deepEqual(rekor?.validFor, { start: new Date('2021-01-12T11:53:27.000Z') });
    // Two Fulcio CAs: the 2021 root alone (closed period), and intermediate + root (open period).
    assert.deepEqual(root.certificateAuthorities.map((c) => [c.uri, c.chain.length, c.validFor.end?.toISOString()]), [
      ['https://fulcio.sigstore.dev', 1, '2022-12-31T23:59:59.999Z'],
      ['https://fulcio.sigstore.dev', 2, undefined],
    ]);
    const [intermediate, anchor] = root.certificateAuthorities[1]?.chain ?? [];
    assert.ok(intermediate !== undefined && anchor !== undefined);
    assert.ok(intermediate.verify(anchor), 'the chain is leaf-most first, anchor last');
    assert.deepEqual(root.ctlogs.map((t) => t.baseUrl), ['https://ctfe.sigstore.dev/test', 'https://ctfe.sigstore.dev/2022']);
    assert.equal(root.timestampAuthorities.length, 0);
  });

  it('keeps timestamp authorities (sigstore-go public-good root)', () => {
    const root = parseTrustedRoot(fixtureJson('sigstore-go-trusted-root-public-good.json'));
    assert.equal(root.timestampAuthorities.length, 1);
    assert.equal(root.timestampAuthorities[0]?.chain.length, 3);
    assert.equal(root.timestampAuthorities[0]?.uri, undefined);
    assert.deepEqual(root.timestampAuthorities[0]?.validFor, { start: new Date('2023-04-14T00:00:00.000Z') });
  });

  it('reads timestamps without fractional seconds (sigstore-go scaffolding root)', () => {
    const root = parseTrustedRoot(fixtureJson('sigstore-go-trusted-root-scaffolding.json'));
    assert.deepEqual(root.tlogs[0]?.validFor, { start: new Date('2024-07-12T18:35:53Z') });
  });

  it('reads Ed25519 Rekor v2 logs and a PKCS#1 RSA CT log key (the sigstage root of the conformance suite)', () => {
    const root = parseTrustedRoot(fixtureJson('conformance/rekor2-happy-path/trusted_root.json'));
    assert.deepEqual(root.tlogs.map((t) => [t.baseUrl, t.keyDetails, t.publicKey.asymmetricKeyType]), [
      ['https://rekor.sigstage.dev', 'PKIX_ECDSA_P256_SHA_256', 'ec'],
      ['https://log2025-alpha1.rekor.sigstage.dev', 'PKIX_ED25519', 'ed25519'],
    ]);
    assert.deepEqual(root.ctlogs.map((t) => [t.keyDetails, t.publicKey.asymmetricKeyType]), [
      ['PKCS1_RSA_PKCS1V5', 'rsa'],
      ['PKIX_ECDSA_P256_SHA_256', 'ec'],
      ['PKIX_ECDSA_P256_SHA_256', 'ec'],
    ]);
    assert.deepEqual(root.timestampAuthorities.map((t) => [t.uri, t.chain.length]), [['https://timestamp.sigstage.dev/api/v1/timestamp', 2]]);
    const spkiAsPkcs1 = fixtureRecord('conformance/rekor2-happy-path/trusted_root.json');
    const ctlog = (spkiAsPkcs1['ctlogs'] as { publicKey: Record<string, unknown> }[])[1];
    assert.ok(ctlog !== undefined);
    ctlog.publicKey['keyDetails'] = 'PKCS1_RSA_PKCS1V5';
    expectInvalid(spkiAsPkcs1, /ctlogs\[1\]\.publicKey\.rawBytes is not a PKCS#1 RSA public key/);
  });

  it('reads snake_case names and URL-safe base64 the same as camelCase and standard base64', () => {
    const json = fixtureJson('sigstore-go-trusted-root-public-good.json');
    assert.deepEqual(summary(parseTrustedRoot(protoVariant(json))), summary(parseTrustedRoot(json)));
  });

  it('accepts the v0.1 and v0.2 media types, with v0.2 fields', () => {
    for (const mediaType of ['application/vnd.dev.sigstore.trustedroot.v0.1+json', 'application/vnd.dev.sigstore.trustedroot.v0.2+json']) {
      const json = fixtureRecord('cosign-trusted-root-pgi.json');
      json['mediaType'] = mediaType;
      Object.assign(tlog0(json), { checkpointKeyId: { keyId: 'wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=' }, operator: 'sigstore.dev' });
      const root = parseTrustedRoot(json);
      assert.equal(root.mediaType, mediaType);
      assert.equal(root.tlogs[0]?.checkpointKeyId?.toString('hex'), REKOR_LOG_ID);
      assert.equal(root.tlogs[0]?.operator, 'sigstore.dev');
    }
  });

  it('refuses other media types and documents that are not objects', () => {
    const json = fixtureRecord('cosign-trusted-root-pgi.json');
    json['mediaType'] = 'application/vnd.dev.sigstore.bundle.v0.3+json';
    expectInvalid(json, /mediaType .* is not a supported media type/);
    expectInvalid([], /trusted root must be a JSON object/);
    expectInvalid(null, /trusted root must be a JSON object/);
  });

  it('names the invalid field', () => {
    const cases: readonly [(root: Record<string, unknown>) => void, RegExp][] = [
      [(r) => delete tlog0(r)['logId'], /tlogs\[0\]\.logId is missing/],
      [(r) => ((tlog0(r)['publicKey'] as Record<string, unknown>)['rawBytes'] = 'not base64!'), /tlogs\[0\]\.publicKey\.rawBytes is not base64/],
      [(r) => ((tlog0(r)['publicKey'] as Record<string, unknown>)['rawBytes'] = 'AAAA'), /tlogs\[0\]\.publicKey\.rawBytes is not an SPKI public key/],
      [(r) => ((tlog0(r)['publicKey'] as Record<string, unknown>)['validFor'] = { start: 'yesterday' }), /tlogs\[0\]\.publicKey\.validFor\.start is not an RFC 3339 timestamp/],
      [(r) => (ca(r, 0)['validFor'] = { start: '2022-01-01T00:00:00Z', end: '2021-01-01T00:00:00Z' }), /certificateAuthorities\[0\]\.validFor\.end is before start/],
      [(r) => (ca(r, 1)['certChain'] = { certificates: [{ rawBytes: 'MAMCAQE=' }] }), /certificateAuthorities\[1\]\.certChain\.certificates\[0\]\.rawBytes is not an X\.509 certificate/],
      [(r) => (ca(r, 1)['certChain'] = { certificates: [] }), /certificateAuthorities\[1\]\.certChain\.certificates is empty/],
      [(r) => (r['tlogs'] = {}), /tlogs must be an array/],
      [(r) => Object.assign(r, { tlogs: [], certificateAuthorities: [], timestampAuthorities: [] }), /has no transparency logs, certificate authorities or timestamp authorities/],
    ];
    for (const [tamper, message] of cases) {
      const json = fixtureRecord('cosign-trusted-root-pgi.json');
      tamper(json);
      expectInvalid(json, message);
    }
  });

  it('treats a missing validFor as trusted since ever, with no end', () => {
    const json = fixtureRecord('cosign-trusted-root-pgi.json');
    delete (tlog0(json)['publicKey'] as Record<string, unknown>)['validFor'];
    const log = parseTrustedRoot(json).tlogs[0];
    assert.ok(log !== undefined && validAt(log.validFor, new Date(0)) && validAt(log.validFor, new Date('2999-01-01T00:00:00Z')));
  });
});

describe('validAt', () => {
  it('is inclusive at both ends', () => {
    const period = { start: new Date('2022-01-01T00:00:00Z'), end: new Date('2022-12-31T23:59:59.999Z') };
    assert.ok(validAt(period, period.start));
    assert.ok(validAt(period, period.end));
    assert.ok(!validAt(period, new Date(period.start.getTime() - 1)));
    assert.ok(!validAt(period, new Date(period.end.getTime() + 1)));
  });
});

describe('loadTrustedRoot', () => {
  it('reads a trusted root file', async () => {
    const root = await loadTrustedRoot(new URL('cosign-trusted-root-pgi.json', FIXTURES).pathname);
    assert.equal(root.tlogs[0]?.logId.toString('hex'), REKOR_LOG_ID);
  });

  it('refuses a missing file and a file that is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-root-'));
    try {
      await writeFile(join(dir, 'root.json'), '{"mediaType":');
      for (const path of [join(dir, 'absent.json'), join(dir, 'root.json')]) {
        await assert.rejects(loadTrustedRoot(path), (error: unknown) => error instanceof SignError && error.code === 'TRUSTED_ROOT_INVALID' && error.message.includes(path));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
