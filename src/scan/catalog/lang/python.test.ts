import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { catalogerConformance } from './cataloger-conformance.ts';
import { catalogFilesFromDir, memoryCatalogFiles } from './memory-catalog-files.ts';
import { catalogPython, normalizePythonName, parseCoreMetadata, python, requiredDistributions } from './python.ts';
import { sharedData } from '../../../testing/shared-data.ts';

const DATA = sharedData('pkgdb/python');
const context = { distro: undefined };

catalogerConformance(python, {
  files: [
    { path: 'usr/lib/python3.11/site-packages/PyYAML-6.0.3.dist-info/METADATA', content: readFileSync(`${DATA}/pypi-wheels-site-packages/pyyaml-6.0.3.dist-info/METADATA`) },
    { path: 'usr/lib/python3/dist-packages/idna-3.3.egg-info/PKG-INFO', content: readFileSync(`${DATA}/debian-bookworm-debs/usr/lib/python3/dist-packages/idna-3.3.egg-info/PKG-INFO`) },
  ],
});

it('normalises names as PEP 503 does', () => {
  assert.equal(normalizePythonName('Jinja2'), 'jinja2');
  assert.equal(normalizePythonName('PyYAML'), 'pyyaml');
  assert.equal(normalizePythonName('zope.interface'), 'zope-interface');
  assert.equal(normalizePythonName('Foo__Bar-._baz'), 'foo-bar-baz');
});

it('finds the wheel-installed dist-info packages named as their metadata spells them, with normalised purls, versions and licences', () => {
  const site = 'usr/local/lib/python3.11/site-packages';
  const packages = python.catalog(catalogFilesFromDir(`${DATA}/pypi-wheels-site-packages`, site, python), context);
  assert.deepEqual(
    packages.map((found) => [found.name, found.version, found.purl, found.licenses]),
    [
      ['cryptography', '48.0.0', 'pkg:pypi/cryptography@48.0.0', ['Apache-2.0 OR BSD-3-Clause']],
      ['Jinja2', '3.1.6', 'pkg:pypi/jinja2@3.1.6', ['BSD License']],
      ['pip', '23.2.1', 'pkg:pypi/pip@23.2.1', ['MIT']],
      ['PyYAML', '6.0.3', 'pkg:pypi/pyyaml@6.0.3', ['MIT']],
      ['requests', '2.34.2', 'pkg:pypi/requests@2.34.2', ['Apache-2.0']],
      ['setuptools', '65.5.0', 'pkg:pypi/setuptools@65.5.0', ['MIT License']],
      ['urllib3', '2.7.0', 'pkg:pypi/urllib3@2.7.0', ['MIT']],
    ],
  );
  assert.equal(packages[1]?.location, `${site}/jinja2-3.1.6.dist-info/METADATA`);
  // Requires-Dist linked within the site: urllib3 is installed here; idna, certifi and charset-normalizer are not.
  assert.deepEqual(packages.find((found) => found.name === 'requests')?.dependsOn, ['pkg:pypi/urllib3@2.7.0']);
  assert.ok(packages.every((found) => found.type === 'pypi' && found.foundBy === 'python'));
  const py27 = python.catalog(catalogFilesFromDir(`${DATA}/pypi-wheels-site-packages-py27`, 'usr/lib/python2.7/site-packages', python), context);
  assert.deepEqual(py27.map((found) => `${found.name}@${found.version} ${found.licenses.join()}`), ['pip@19.2.3 MIT', 'setuptools@41.2.0 MIT License']);
});

it('reads Requires-Dist as distribution names, leaving out what only an extra asks for', () => {
  const requests = readFileSync(`${DATA}/pypi-wheels-site-packages/requests-2.34.2.dist-info/METADATA`, 'utf8');
  assert.deepEqual(requiredDistributions(parseCoreMetadata(requests).requiresDist), ['charset-normalizer', 'idna', 'urllib3', 'certifi']);
  assert.deepEqual(requiredDistributions(["cffi>=2.0.0 ; platform_python_implementation != 'PyPy'", "bcrypt>=3.1.5 ; extra == 'ssh'", 'zope.interface[test] (>=5)']), ['cffi', 'zope-interface']);
});

it('reads Debian dist-packages: egg-info directories, and one package per installation', () => {
  const packages = python.catalog(catalogFilesFromDir(`${DATA}/debian-bookworm-debs`, '', python), context);
  assert.deepEqual(packages.map((found) => `${found.name}@${found.version}`).sort(), [
    'Jinja2@3.1.2',
    'PyYAML@6.0',
    'certifi@2022.9.24',
    'cryptography@38.0.4',
    'idna@3.3',
    'pip@23.0.1',
    'requests@2.28.1',
    'setuptools@66.1.1',
    'urllib3@1.26.12',
  ]);
  // cryptography ships both a dist-info and an egg-info: the dist-info wins.
  assert.equal(packages.find((found) => found.name === 'cryptography')?.location, 'usr/lib/python3/dist-packages/cryptography-38.0.4.dist-info/METADATA');
  assert.deepEqual(packages.find((found) => found.name === 'requests')?.licenses, ['Apache 2.0']);
});

it('links requirements to distributions however either spells the name (PEP 503)', () => {
  const files = memoryCatalogFiles([
    { path: 'site-packages/flask-3.0.0.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: Flask\nVersion: 3.0.0\nRequires-Dist: jinja2>=3.1.2\nRequires-Dist: markupsafe\n' },
    { path: 'site-packages/Jinja2-3.1.2.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\nRequires-Dist: MarkupSafe>=2.0\n' },
    { path: 'site-packages/MarkupSafe-2.1.3.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: MarkupSafe\nVersion: 2.1.3\n' },
  ]);
  const byName = new Map(catalogPython(files).packages.map((found) => [found.name, found.dependsOn]));
  assert.deepEqual(Object.fromEntries(byName), { Flask: ['pkg:pypi/jinja2@3.1.2', 'pkg:pypi/markupsafe@2.1.3'], Jinja2: ['pkg:pypi/markupsafe@2.1.3'], MarkupSafe: [] });
});

it('reads an egg-info file and continuation lines; skips metadata without Name or Version', () => {
  const files = memoryCatalogFiles([
    { path: 'site-packages/Foo_Bar-1.0-py3.11.egg-info', content: 'Metadata-Version: 1.1\r\nName: Foo_Bar\r\nVersion: 1.0\r\nLicense: Copyright (c) someone\r\n        All rights reserved\r\nClassifier: License :: OSI Approved :: MIT License\r\n\r\nName: ignored\r\n' },
    { path: 'site-packages/zope.interface-6.0.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: zope.interface\nVersion: 6.0\nLicense: ZPL 2.1\n' },
    { path: 'site-packages/old.egg/EGG-INFO/PKG-INFO', content: 'Name: old\nVersion: 0.1\n' },
    { path: 'site-packages/nameless-1.0.dist-info/METADATA', content: 'Metadata-Version: 2.1\nVersion: 1.0\n' },
    { path: 'site-packages/versionless.egg-info/PKG-INFO', content: 'Name: versionless\n' },
    { path: 'site-packages/body-only.dist-info/METADATA', content: '\nName: x\nVersion: 1\n' },
  ]);
  const result = catalogPython(files);
  assert.deepEqual(
    result.packages.map((found) => [found.location, found.purl, found.licenses]),
    [
      ['site-packages/Foo_Bar-1.0-py3.11.egg-info', 'pkg:pypi/foo-bar@1.0', ['MIT License']],
      ['site-packages/old.egg/EGG-INFO/PKG-INFO', 'pkg:pypi/old@0.1', []],
      ['site-packages/zope.interface-6.0.dist-info/METADATA', 'pkg:pypi/zope-interface@6.0', ['ZPL 2.1']],
    ],
  );
  assert.equal(result.warnings.length, 3);
});

it('wants core metadata files only', () => {
  const info = { mode: 0o644, size: 100 };
  for (const path of ['a/b-1.0.dist-info/METADATA', 'a/b.egg-info/PKG-INFO', 'a/b-1.0-py3.11.egg-info', 'a/b.egg/EGG-INFO/PKG-INFO']) assert.ok(python.wants(path, info), path);
  for (const path of ['a/b-1.0.dist-info/RECORD', 'a/b.egg-info/requires.txt', 'a/METADATA', 'a/PKG-INFO', 'a/b.dist-info']) assert.ok(!python.wants(path, info), path);
});
