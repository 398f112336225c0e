import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDigest } from './digest.ts';
import { OciError } from './oci-error.ts';
import { familiarName, formatReference, parseReference, registryApiHost, type ImageReference } from './reference.ts';

const D = parseDigest('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

describe('parseReference', () => {
  const valid: readonly [string, ImageReference, string][] = [
    ['nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }, 'nginx:latest'],
    ['nginx:1.27', { registry: 'docker.io', repository: 'library/nginx', tag: '1.27' }, 'nginx:1.27'],
    ['user/app', { registry: 'docker.io', repository: 'user/app', tag: 'latest' }, 'user/app:latest'],
    ['docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }, 'nginx:latest'],
    ['index.docker.io/library/nginx:1', { registry: 'docker.io', repository: 'library/nginx', tag: '1' }, 'nginx:1'],
    ['docker.io/library/a/b:1', { registry: 'docker.io', repository: 'library/a/b', tag: '1' }, 'library/a/b:1'],
    ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest' }, 'localhost/app:latest'],
    ['localhost:5000/a/b:v1', { registry: 'localhost:5000', repository: 'a/b', tag: 'v1' }, 'localhost:5000/a/b:v1'],
    ['127.0.0.1:5000/dev/app:1.4.2-a1b2c3d', { registry: '127.0.0.1:5000', repository: 'dev/app', tag: '1.4.2-a1b2c3d' }, '127.0.0.1:5000/dev/app:1.4.2-a1b2c3d'],
    ['reg.example/app@' + D, { registry: 'reg.example', repository: 'app', digest: D }, `reg.example/app@${D}`],
    ['reg.example/app:v1@' + D, { registry: 'reg.example', repository: 'app', tag: 'v1', digest: D }, `reg.example/app:v1@${D}`],
    ['nginx@' + D, { registry: 'docker.io', repository: 'library/nginx', digest: D }, `nginx@${D}`],
    ['Foo/app', { registry: 'Foo', repository: 'app', tag: 'latest' }, 'Foo/app:latest'],
    ['[::1]:5000/app:x', { registry: '[::1]:5000', repository: 'app', tag: 'x' }, '[::1]:5000/app:x'],
    ['reg.example/a__b/c.d-e---f:V_1.x', { registry: 'reg.example', repository: 'a__b/c.d-e---f', tag: 'V_1.x' }, 'reg.example/a__b/c.d-e---f:V_1.x'],
  ];
  for (const [input, expected, familiar] of valid) {
    it(`parses ${input}`, () => {
      const ref = parseReference(input);
      assert.deepEqual(ref, expected);
      assert.equal(familiarName(ref), familiar);
      assert.deepEqual(parseReference(formatReference(ref)), ref, 'formatReference round-trips');
    });
  }

  const invalid: readonly [string, string][] = [
    ['', 'REFERENCE_INVALID'],
    [' nginx', 'REFERENCE_INVALID'],
    ['NGINX', 'NAME_INVALID'],
    ['reg.example/App', 'NAME_INVALID'],
    ['reg.example/a//b', 'NAME_INVALID'],
    ['reg.example/a_/b', 'NAME_INVALID'],
    ['reg.example/-a', 'NAME_INVALID'],
    ['reg.example/', 'REFERENCE_INVALID'],
    ['reg.example/app:', 'TAG_INVALID'],
    ['reg.example/app:-x', 'TAG_INVALID'],
    ['reg.example/app:.x', 'TAG_INVALID'],
    [`reg.example/app:${'a'.repeat(129)}`, 'TAG_INVALID'],
    ['reg.example/app@sha256:abc', 'REFERENCE_INVALID'],
    ['reg.example/app@md5:' + 'a'.repeat(32), 'REFERENCE_INVALID'],
    ['bad_host.example/app', 'REFERENCE_INVALID'],
    [`reg.example/${'a'.repeat(250)}`, 'NAME_INVALID'],
  ];
  for (const [input, code] of invalid) {
    it(`rejects ${JSON.stringify(input.slice(0, 40))} with ${code}`, () => {
      assert.throws(() => parseReference(input), (e: unknown) => e instanceof OciError && e.code === code);
    });
  }

  it('maps Docker Hub to its API host and leaves others alone', () => {
    assert.equal(registryApiHost(parseReference('nginx').registry), 'registry-1.docker.io');
    assert.equal(registryApiHost('reg.example:5000'), 'reg.example:5000');
  });

  it('formats fully qualified references', () => {
    assert.equal(formatReference(parseReference('nginx')), 'docker.io/library/nginx:latest');
  });
});
