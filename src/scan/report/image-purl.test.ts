import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageDigest, imagePurl, parseImageName, purlEncode } from './image-purl.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseImageName', () => {
  it('splits registry references and expands Docker Hub names', () => {
    assert.deepEqual(parseImageName('registry.example/team/api:1.4'), { repository: 'registry.example/team/api', tag: '1.4' });
    assert.deepEqual(parseImageName('localhost:5000/api'), { repository: 'localhost:5000/api' });
    assert.deepEqual(parseImageName('alpine:3.20'), { repository: 'index.docker.io/library/alpine', tag: '3.20' });
    assert.deepEqual(parseImageName(`bitnami/redis@${DIGEST}`), { repository: 'index.docker.io/bitnami/redis', digest: DIGEST });
  });

  it('does not treat paths as references', () => {
    for (const path of ['/tmp/image.tar', './layout', 'oci:/tmp/layout:latest', 'docker-archive:img.tar', 'image.tar']) assert.equal(parseImageName(path), undefined, path);
  });
});

describe('imagePurl', () => {
  it('needs a digest and sorts the qualifiers', () => {
    assert.equal(imagePurl({ name: 'alpine:3.20', layers: [] }), undefined);
    assert.equal(imagePurl({ name: 'alpine:3.20', digest: DIGEST, layers: [] }), `pkg:oci/alpine@${DIGEST}?repository_url=index.docker.io%2Flibrary%2Falpine&tag=3.20`);
    assert.equal(imagePurl({ name: `Reg.example/Team/API@${DIGEST}`, config: { architecture: 'arm64' }, layers: [] }), `pkg:oci/api@${DIGEST}?arch=arm64&repository_url=Reg.example%2FTeam%2FAPI`);
    assert.equal(imagePurl({ name: 'oci:/tmp/layout:v1', digest: DIGEST, layers: [] }), `pkg:oci/layout@${DIGEST}`);
    // A relative layout, with and without its ref, and an archive: named by the path, never by the transport.
    assert.equal(imagePurl({ name: 'oci:myservice:latest', digest: DIGEST, layers: [] }), `pkg:oci/myservice@${DIGEST}`);
    assert.equal(imagePurl({ name: 'oci:myservice', digest: DIGEST, layers: [] }), `pkg:oci/myservice@${DIGEST}`);
    assert.equal(imagePurl({ name: 'docker-archive:build/api.tar', digest: DIGEST, layers: [] }), `pkg:oci/api@${DIGEST}`);
    assert.equal(imageDigest({ name: `a@${DIGEST}`, layers: [] }), DIGEST);
  });

  it('percent-encodes as purl-spec says', () => {
    assert.equal(purlEncode('1:2.4+b1 (x)'), '1:2.4%2Bb1%20%28x%29');
  });
});
