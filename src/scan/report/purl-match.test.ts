import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePurl, purlMatches } from './purl-match.ts';

describe('parsePurl', () => {
  it('parses every part and decodes it', () => {
    const purl = parsePurl('pkg:npm/%40babel/core@7.24.0?b=2&a=1#lib/x');
    assert.equal(purl?.type, 'npm');
    assert.equal(purl?.namespace, '@babel');
    assert.equal(purl?.name, 'core');
    assert.equal(purl?.version, '7.24.0');
    assert.deepEqual([...(purl?.qualifiers ?? [])], [['b', '2'], ['a', '1']]);
    assert.equal(purl?.subpath, 'lib/x');
    assert.equal(parsePurl('pkg:deb/debian/attr@1:2.4.47-2%2Bb1')?.version, '1:2.4.47-2+b1');
    assert.equal(parsePurl('pkg:npm/@babel/core')?.version, undefined);
  });

  it('rejects what is not a purl', () => {
    for (const bad of ['', 'npm/lodash', 'pkg:', 'pkg:npm', 'pkg:npm/%E0%A4%A', 'sha256:abc']) assert.equal(parsePurl(bad), undefined, bad);
  });
});

describe('purlMatches', () => {
  const scanned = 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12';
  it('matches versionless and qualifier-subset VEX purls', () => {
    assert.ok(purlMatches('pkg:deb/debian/libssl3', scanned));
    assert.ok(purlMatches('pkg:deb/debian/libssl3@3.0.11-1~deb12u2', scanned));
    assert.ok(purlMatches('pkg:deb/debian/LibSSL3?arch=amd64', scanned));
    assert.ok(purlMatches('pkg:pypi/Django_Allauth', 'pkg:pypi/django-allauth@0.61.0'));
  });

  it('refuses other versions, qualifiers, names and types', () => {
    assert.ok(!purlMatches('pkg:deb/debian/libssl3@3.0.15-1~deb12u1', scanned));
    assert.ok(!purlMatches('pkg:deb/debian/libssl3?arch=arm64', scanned));
    assert.ok(!purlMatches('pkg:deb/debian/libssl3?epoch=1', scanned));
    assert.ok(!purlMatches('pkg:deb/ubuntu/libssl3', scanned));
    assert.ok(!purlMatches('pkg:rpm/debian/libssl3', scanned));
    assert.ok(!purlMatches('pkg:npm/Lodash', 'pkg:npm/lodash@4.17.20'));
    assert.ok(!purlMatches('not a purl', scanned));
  });
});
