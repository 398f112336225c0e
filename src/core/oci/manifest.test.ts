import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestOf } from './digest.ts';
import { MAX_MANIFEST_BYTES, effectiveArtifactType, manifestReferences, parseManifest } from './manifest.ts';
import { MediaType } from './media-types.ts';
import { OciError } from './oci-error.ts';

const d = (s: string) => ({ mediaType: 'application/octet-stream', digest: digestOf(s), size: s.length });
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));
const fails = (code: OciError['code'], pattern?: RegExp) => (e: unknown) => e instanceof OciError && e.code === code && (pattern === undefined || pattern.test(e.message));

describe('manifest parsing', () => {
  it('parses OCI and Docker manifests, indexes and lists', () => {
    const image = parseManifest(bytes({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: d('c'), layers: [d('l')], annotations: { a: 'b' } }));
    assert.equal(image.kind, 'image');
    assert.deepEqual(manifestReferences(image).map((r) => [r.kind, r.descriptor.digest]), [['blob', digestOf('c')], ['blob', digestOf('l')]]);
    const docker = parseManifest(bytes({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config: d('c'), layers: [] }), MediaType.dockerManifest);
    assert.equal(docker.mediaType, MediaType.dockerManifest);
    const list = parseManifest(
      bytes({ schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [{ ...d('m'), platform: { architecture: 'arm', os: 'linux', variant: 'v7' } }] }),
    );
    assert.equal(list.kind, 'index');
    assert.equal(list.kind === 'index' ? list.manifests[0]?.platform?.variant : '', 'v7');
    assert.deepEqual(manifestReferences(list).map((r) => r.kind), ['manifest']);
    const inferred = parseManifest(bytes({ schemaVersion: 2, manifests: [] }));
    assert.equal(inferred.mediaType, MediaType.ociIndex, 'an index without mediaType is recognised by its shape');
  });

  it('reports the artifact type a referrers listing shows', () => {
    const withType = parseManifest(bytes({ schemaVersion: 2, artifactType: 'application/x', config: d('c'), layers: [], subject: d('s') }));
    assert.equal(effectiveArtifactType(withType), 'application/x');
    assert.equal(withType.subject?.digest, digestOf('s'));
    assert.equal(effectiveArtifactType(parseManifest(bytes({ schemaVersion: 2, config: { ...d('c'), mediaType: 'application/y' }, layers: [] }))), 'application/y');
    assert.equal(effectiveArtifactType(parseManifest(bytes({ schemaVersion: 2, manifests: [] }))), undefined);
  });

  it('refuses Docker schema 1, by body and by content type', () => {
    assert.throws(() => parseManifest(bytes({ schemaVersion: 1, fsLayers: [] })), fails('MANIFEST_UNSUPPORTED', /schema 1/));
    assert.throws(() => parseManifest(bytes({ schemaVersion: 2 }), `${MediaType.dockerSchema1Signed}; charset=utf-8`), fails('MANIFEST_UNSUPPORTED'));
  });

  it('refuses malformed manifests with the field at fault', () => {
    const cases: [unknown, RegExp][] = [
      [{ schemaVersion: 3, config: d('c'), layers: [] }, /schemaVersion/],
      [{ schemaVersion: 2, mediaType: MediaType.ociManifest, layers: [] }, /config/],
      [{ schemaVersion: 2, config: d('c'), layers: 'x' }, /layers/],
      [{ schemaVersion: 2, config: { ...d('c'), digest: 'sha256:XYZ' }, layers: [] }, /config\.digest/],
      [{ schemaVersion: 2, config: { ...d('c'), size: -1 }, layers: [] }, /config\.size/],
      [{ schemaVersion: 2, config: d('c'), layers: [{ ...d('l'), annotations: { k: 1 } }] }, /annotations/],
      [{ schemaVersion: 2, config: { ...d('c'), data: Buffer.from('other').toString('base64') }, layers: [] }, /data/],
      [{ schemaVersion: 2, mediaType: MediaType.dockerManifest, config: d('c'), layers: [], subject: d('s') }, /subject/],
      [{ schemaVersion: 2, mediaType: MediaType.dockerManifest, artifactType: 'x', config: d('c'), layers: [] }, /artifactType/],
      [[1, 2], /JSON object/],
    ];
    for (const [value, pattern] of cases) assert.throws(() => parseManifest(bytes(value)), fails('MANIFEST_INVALID', pattern), String(pattern));
    assert.throws(() => parseManifest(Buffer.from('{not json')), fails('MANIFEST_INVALID', /not valid JSON/));
    assert.throws(() => parseManifest(Buffer.alloc(MAX_MANIFEST_BYTES + 1, 32)), fails('MANIFEST_INVALID', /limit/));
  });

  it('accepts matching embedded data and refuses a content type that disagrees', () => {
    const data = Buffer.from('{}');
    const manifest = parseManifest(bytes({ schemaVersion: 2, config: { mediaType: MediaType.ociEmpty, digest: digestOf(data), size: 2, data: data.toString('base64') }, layers: [] }));
    assert.equal(manifest.kind === 'image' ? manifest.config.data : '', 'e30=');
    assert.throws(
      () => parseManifest(bytes({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: d('c'), layers: [] }), MediaType.ociIndex),
      fails('MANIFEST_INVALID', /does not match/),
    );
  });

  it('skips foreign layers when listing what must be present', () => {
    const foreign = { mediaType: MediaType.dockerForeignLayerGzip, digest: digestOf('f'), size: 1, urls: ['https://example.com/f'] };
    const manifest = parseManifest(bytes({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config: d('c'), layers: [foreign, d('l')] }));
    assert.deepEqual(manifestReferences(manifest).map((r) => r.descriptor.digest), [digestOf('c'), digestOf('l')]);
  });
});
