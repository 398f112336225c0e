import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type MetadataDatabase } from '../core/storage/metadata/database.ts';
import { debianRootfs, debianRootfsLayer } from '../testing/debian-rootfs.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogers } from './catalogers.ts';
import type { ScanResult } from './report/scan-result.ts';
import { scanImage } from './scanner.ts';
import { importOsv } from './vulndb/osv-import.ts';
import { createVulnDb } from './vulndb/vulndb.ts';
import { sharedData, sharedDataUrl } from '../testing/shared-data.ts';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { toSpdx } from './report/spdx.ts';

const OSV_DEBIAN = sharedData('osv/Debian/');
const validateSpdx = new Ajv2019({ allErrors: true, strict: false }).compile(JSON.parse(await readFile(new URL('sbom/spdx-2.3/spdx-schema.json', sharedDataUrl('')), 'utf8')) as object);

/**
 * A real Debian bookworm rootfs (debootstrap minbase, built once into the test cache) scanned
 * with the real OSV data: the packages found are exactly those of its dpkg status, and the
 * advisories bookworm has not fixed are reported for every binary package of their sources.
 */
describe('scanning a real Debian bookworm rootfs', () => {
  let dir: string;
  let database: MetadataDatabase;
  let status: string;
  let result: ScanResult;

  before(async () => {
    const rootfs = await debianRootfs();
    const layer = await debianRootfsLayer();
    status = await readFile(join(rootfs, 'var/lib/dpkg/status'), 'utf8');
    dir = await mkdtemp(join(tmpdir(), 'slipway-debian-'));
    database = await openDatabase({ kind: 'sqlite', path: join(dir, 'slipway.db') });
    await importOsv(database, OSV_DEBIAN);
    result = await scanImage(
      {
        name: 'debian:bookworm-minbase',
        repoTags: [],
        repoDigests: [],
        layers: [{ digest: layer.digest, diffId: layer.diffId, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: layer.size, open: () => Promise.resolve(createReadStream(layer.file)) }],
      },
      { catalogers, vulndb: createVulnDb(database), version: 'test' },
    );
  });
  after(async () => {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds exactly the installed packages of its dpkg status, with their source packages', () => {
    const installed = new Map<string, { version: string; source: string }>();
    for (const block of status.trim().split(/\n\n+/)) {
      if (!/^Status: install ok installed$/m.test(block)) continue;
      const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(block)?.[1];
      const name = field('Package') ?? '';
      installed.set(name, { version: field('Version') ?? '', source: (field('Source') ?? name).split(' ')[0] ?? name });
    }
    assert.ok(installed.size > 80, `a minbase has about 90 packages, found ${installed.size}`);
    const debs = result.packages.filter((p) => p.type === 'deb');
    assert.deepEqual(debs.map((p) => `${p.name}@${p.version}`).toSorted(), [...installed].map(([n, p]) => `${n}@${p.version}`).toSorted());
    for (const p of debs) assert.equal(p.sourceName ?? p.name, installed.get(p.name)?.source, `${p.name}'s source`);
    assert.deepEqual([result.distro?.id, result.distro?.versionId], ['debian', '12']);
    assert.match(result.distro?.release ?? '', /^12\.\d+$/, 'the point release, from etc/debian_version');
    assert.deepEqual(result.packages.filter((p) => p.type !== 'deb'), [], 'a minbase holds no language packages');
    assert.equal(result.unexamined, undefined, 'every file that may hold packages was read: the image can be vouched for');
  });

  it('reports the advisories bookworm has not fixed, for every binary package of the source', () => {
    const found = (id: string) => result.findings.filter((f) => f.id === id).map((f) => f.package.name).toSorted();
    const binariesOf = (source: string) => result.packages.filter((p) => (p.sourceName ?? p.name) === source).map((p) => p.name).toSorted();
    for (const [id, source] of [
      ['CVE-2010-4756', 'glibc'],
      ['CVE-2005-2541', 'tar'],
      ['CVE-2016-2781', 'coreutils'],
      ['CVE-2011-3374', 'apt'],
    ] as const) {
      assert.deepEqual(found(id), binariesOf(source), `${id} for every package built from ${source}`);
    }
    for (const f of result.findings) assert.deepEqual(f.fixedVersions, [], `${f.id} has no fix in bookworm, so none is claimed`);
  });

  it('writes a valid SPDX 2.3 SBOM declaring the licenses its copyright files state, in SPDX terms', () => {
    const doc = toSpdx(result);
    assert.ok(validateSpdx(doc), JSON.stringify(validateSpdx.errors, null, 2));
    // Each license a package's files are under, DEP-5 short names read as list ids (bash's `GPL-3+`, apt's `Expat`).
    const terms = (name: string) => (doc.packages.find((p) => p.name === name)?.licenseDeclared ?? '').split(' AND ');
    assert.ok(terms('bash').includes('GPL-3.0-or-later'), terms('bash').join(' AND '));
    assert.deepEqual(terms('apt').toSorted(), ['BSD-3-Clause', 'GPL-2.0-only', 'GPL-2.0-or-later', 'MIT']);
    assert.ok(terms('zlib1g').includes('Zlib'), terms('zlib1g').join(' AND '));
    // Those without a list id are defined in the document, as their copyright file names them.
    const refs = new Map((doc.hasExtractedLicensingInfos ?? []).map((l) => [l.licenseId, l.extractedText]));
    for (const term of doc.packages.flatMap((p) => (p.licenseDeclared ?? '').split(/ AND | OR |[()]/)).filter((t) => t.startsWith('LicenseRef-'))) assert.ok(refs.has(term), term);
    const debs = result.packages.filter((p) => p.type === 'deb');
    const stated = debs.filter((p) => p.licenses.length > 0).length;
    const unknown = doc.packages.filter((p) => p.primaryPackagePurpose === 'LIBRARY' && p.licenseDeclared === 'NOASSERTION').length;
    assert.equal(unknown, debs.length - stated, 'every package whose copyright file names a license declares one');
  });
});
