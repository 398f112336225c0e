import assert from 'node:assert/strict';
import { it } from 'node:test';
import { distroQualifier, osPackageUrl } from './os-package-url.ts';

it('builds OS package URLs as purl-spec examples spell them', () => {
  assert.equal(osPackageUrl('deb', 'debian', 'openssl', '3.0.11-1~deb12u2', { distro: 'debian-12', arch: 'amd64' }), 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12');
  assert.equal(osPackageUrl('deb', 'debian', 'attr', '1:2.4.47-2+b1', { arch: 'amd64', distro: undefined }), 'pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64');
  assert.equal(osPackageUrl('apk', 'alpine', 'curl', '8.5.0-r0', { arch: 'x86_64', distro: 'alpine-3.18.5' }), 'pkg:apk/alpine/curl@8.5.0-r0?arch=x86_64&distro=alpine-3.18.5');
  assert.equal(osPackageUrl('rpm', 'fedora', 'centerim', '4.22.10-1.el6', { epoch: '1', distro: 'fedora-25', arch: 'i686' }), 'pkg:rpm/fedora/centerim@4.22.10-1.el6?arch=i686&distro=fedora-25&epoch=1');
  assert.equal(osPackageUrl('rpm', undefined, 'x', '1-1', { arch: '' }), 'pkg:rpm/x@1-1');
  assert.equal(osPackageUrl('deb', 'debian', 'a', '1', { arch: 'x/y z' }), 'pkg:deb/debian/a@1?arch=x%2Fy%20z');
  assert.equal(distroQualifier({ id: 'debian', versionId: '12', prettyName: '' }), 'debian-12');
  assert.equal(distroQualifier({ id: 'debian', versionId: '', prettyName: '' }), undefined);
  assert.equal(distroQualifier(undefined), undefined);
});
