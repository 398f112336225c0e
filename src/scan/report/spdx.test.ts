import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { BASE_FILES, IMAGE_DIGEST, LIBSSL, LODASH, ZLIB, scanFixture } from './scan-result-fixture.ts';
import { spdxPackageId, toSpdx } from './spdx.ts';
import { sharedDataUrl } from '../../testing/shared-data.ts';

const DATA = sharedDataUrl('sbom/spdx-2.3/');
const schema = JSON.parse(readFileSync(new URL('spdx-schema.json', DATA), 'utf8')) as object;
const validate = new Ajv2019({ allErrors: true, strict: false }).compile(schema);

function assertValid(document: unknown): void {
  assert.ok(validate(document), JSON.stringify(validate.errors, null, 2));
}

describe('toSpdx', () => {
  it('the validator accepts the official example and rejects a broken document', () => {
    assertValid(JSON.parse(readFileSync(new URL('SPDXJSONExample-v2.3.spdx.json', DATA), 'utf8')));
    assert.equal(validate({ ...toSpdx(scanFixture()), packages: [{ SPDXID: 'SPDXRef-x' }] }), false);
  });

  it('validates against the SPDX 2.3 schema, with and without distro, digest and findings', () => {
    assertValid(toSpdx(scanFixture()));
    assertValid(toSpdx(scanFixture({ distro: null, findings: [], packages: [] })));
    assertValid(toSpdx(scanFixture({ artifact: { name: 'oci:/tmp/layout:latest', layers: [] } })));
  });

  it('writes the document fields SPDX requires and the creation info from createdAt', () => {
    const doc = toSpdx(scanFixture());
    assert.equal(doc.spdxVersion, 'SPDX-2.3');
    assert.equal(doc.dataLicense, 'CC0-1.0');
    assert.equal(doc.name, 'registry.example/team/api:1.4');
    assert.deepEqual(doc.creationInfo, { created: '2025-01-15T10:00:00Z', creators: ['Tool: slipway-0.1.0'] });
    assert.match(doc.documentNamespace, /^https:\/\/slipway\.dev\/spdxdocs\/registry\.example-team-api-1\.4-[0-9a-f]{64}$/);
    assert.ok(!doc.documentNamespace.includes('#'));
  });

  it('uses unique SPDXIDs from the allowed alphabet', () => {
    const doc = toSpdx(scanFixture());
    const ids = doc.packages.map((p) => p.SPDXID);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^SPDXRef-[A-Za-z0-9.-]+$/);
    assert.match(spdxPackageId(LIBSSL), /^SPDXRef-Package-deb-libssl3-[0-9a-f]{16}$/);
  });

  it('describes the image as a CONTAINER with its digest and OCI purl', () => {
    const root = toSpdx(scanFixture()).packages[0];
    assert.equal(root?.primaryPackagePurpose, 'CONTAINER');
    assert.equal(root?.versionInfo, IMAGE_DIGEST);
    assert.deepEqual(root?.checksums, [{ algorithm: 'SHA256', checksumValue: IMAGE_DIGEST.slice(7) }]);
    assert.equal(root?.externalRefs?.[0]?.referenceLocator, `pkg:oci/api@${IMAGE_DIGEST}?arch=amd64&repository_url=registry.example%2Fteam%2Fapi&tag=1.4`);
    const pathScan = toSpdx(scanFixture({ artifact: { name: 'oci:/tmp/layout', layers: [] } })).packages[0];
    assert.equal(pathScan?.externalRefs, undefined);
  });

  it('names licenses outside the list with LicenseRefs, one per name, distinct where names would collide', () => {
    const pkg = (name: string, licenses: readonly string[]) => ({ ...LODASH, name, purl: `pkg:npm/${name}@1.0.0`, licenses });
    const doc = toSpdx(scanFixture({ packages: [pkg('a', ['BSD', 'Public Domain']), pkg('b', ['public domain', 'BSD']), pkg('c', ['GPLv2+ or Expat'])], findings: [] }));
    const declared = new Map(doc.packages.map((p) => [p.name, p.licenseDeclared]));
    const refs = doc.hasExtractedLicensingInfos ?? [];
    assert.deepEqual(refs.map((l) => [l.licenseId.replace(/-[0-9a-f]{8}$/, '-<hash>'), l.name]), [
      ['LicenseRef-BSD', 'BSD'],
      ['LicenseRef-Public-Domain', 'Public Domain'],
      ['LicenseRef-public-domain-<hash>', 'public domain'],
    ]);
    assert.deepEqual([declared.get('a'), declared.get('b'), declared.get('c')], ['LicenseRef-BSD AND LicenseRef-Public-Domain', `${refs[2]?.licenseId} AND LicenseRef-BSD`, 'GPL-2.0-or-later OR MIT']);
  });

  it('writes every package with purl, licenses, source and layer', () => {
    const doc = toSpdx(scanFixture());
    const byName = new Map(doc.packages.map((p) => [p.name, p]));
    const ssl = byName.get('libssl3');
    assert.equal(ssl?.versionInfo, '3.0.11-1~deb12u2');
    assert.equal(ssl?.downloadLocation, 'NOASSERTION');
    assert.equal(ssl?.licenseConcluded, 'NOASSERTION');
    assert.equal(ssl?.licenseDeclared, 'Apache-2.0');
    assert.deepEqual(ssl?.externalRefs, [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: LIBSSL.purl }]);
    assert.equal(ssl?.sourceInfo, 'acquired package info from dpkg: /var/lib/dpkg/status; built package from: openssl 3.0.11-1~deb12u2');
    assert.match(ssl?.comment ?? '', /^layer diff id: sha256:(d1){32}; layer digest: sha256:(a1){32}$/);
    // Debian's `GPL-2+` is GPL-2.0-or-later; `public-domain` has no list id: a LicenseRef the document defines.
    assert.equal(byName.get('base-files')?.licenseDeclared, 'GPL-2.0-or-later AND LicenseRef-public-domain');
    assert.deepEqual(doc.hasExtractedLicensingInfos?.map((l) => [l.licenseId, l.extractedText]), [['LicenseRef-public-domain', 'public-domain']]);
    assert.equal(byName.get('@babel/core')?.licenseDeclared, 'MIT OR Apache-2.0');
    assert.equal(byName.get('golang.org/x/net')?.licenseDeclared, 'NOASSERTION');
    assert.equal(byName.get('debian')?.primaryPackagePurpose, 'OPERATING_SYSTEM');
    assert.deepEqual([byName.get('Node.js')?.primaryPackagePurpose, byName.get('Node.js')?.comment], ['APPLICATION', 'type: node-pkg']);
    // The image, the OS, two applications (installed npm packages, a Go binary), six packages.
    assert.equal(doc.packages.length, 10);
  });

  it('arranges the image as Trivy does: the image CONTAINS the OS, which CONTAINS its packages, and each application, which CONTAINS its own', () => {
    const doc = toSpdx(scanFixture());
    assert.deepEqual(doc.documentDescribes, ['SPDXRef-Image']);
    assert.deepEqual(doc.relationships[0], { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' });
    const nameOf = new Map(doc.packages.map((p) => [p.SPDXID, p.name]));
    const contains = (d: typeof doc) => d.relationships.filter((r) => r.relationshipType === 'CONTAINS').map((r) => `${nameOf.get(r.spdxElementId)} > ${nameOf.get(r.relatedSpdxElement)}`);
    const image = 'registry.example/team/api:1.4';
    assert.deepEqual(contains(doc), [
      `${image} > debian`,
      'debian > base-files',
      'debian > libssl3',
      'debian > zlib1g',
      `${image} > Node.js`,
      'Node.js > lodash',
      'Node.js > @babel/core',
      `${image} > usr/local/bin/server`,
      'usr/local/bin/server > golang.org/x/net',
    ]);
    const contained = doc.relationships.filter((r) => r.relationshipType === 'CONTAINS').map((r) => r.relatedSpdxElement);
    assert.deepEqual([...contained].sort(), doc.packages.slice(1).map((p) => p.SPDXID).sort(), 'every package but the image, once');
    // Without a distribution the image holds the OS packages itself.
    const bare = toSpdx(scanFixture({ distro: null }));
    assertValid(bare);
    assert.ok(bare.relationships.some((r) => r.spdxElementId === 'SPDXRef-Image' && r.relatedSpdxElement === spdxPackageId(LIBSSL) && r.relationshipType === 'CONTAINS'));
  });

  it('relates each package to those it depends on (DEPENDS_ON), only among the packages it lists', () => {
    const withDependencies = scanFixture({ packages: [{ ...LIBSSL, dependsOn: [ZLIB.purl, 'pkg:deb/debian/not-installed@1?arch=amd64'] }, ZLIB, BASE_FILES], findings: [] });
    const doc = toSpdx(withDependencies);
    assertValid(doc);
    const dependsOn = doc.relationships.filter((r) => r.relationshipType === 'DEPENDS_ON');
    assert.deepEqual(dependsOn, [{ spdxElementId: spdxPackageId(LIBSSL), relationshipType: 'DEPENDS_ON', relatedSpdxElement: spdxPackageId(ZLIB) }]);
  });

  it('is deterministic, and a different scan gets a different namespace', () => {
    assert.equal(JSON.stringify(toSpdx(scanFixture())), JSON.stringify(toSpdx(scanFixture())));
    assert.notEqual(toSpdx(scanFixture()).documentNamespace, toSpdx(scanFixture({ createdAt: 0 })).documentNamespace);
  });

  it('lists a package twice only when it was found in two places', () => {
    const twice = scanFixture({ packages: [LIBSSL, LIBSSL, { ...LIBSSL, location: 'other/status' }], findings: [] });
    assert.equal(toSpdx(twice).packages.filter((p) => p.name === 'libssl3').length, 2);
  });
});
