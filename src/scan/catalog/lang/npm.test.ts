import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { compareStrings } from '../../../core/format/compare-strings.ts';
import type { CatalogFile, Package } from '../../model.ts';
import { catalogerConformance } from './cataloger-conformance.ts';
import { catalogFilesFromDir, memoryCatalogFiles } from './memory-catalog-files.ts';
import { catalogNpm, linkInstalled, npm, parseInstalledManifest } from './npm.ts';
import { sharedData } from '../../../testing/shared-data.ts';

const APP = sharedData('pkgdb/npm/legacy-web-app');
const context = { distro: undefined };

function versionsOf(packages: readonly Package[], name: string): string[] {
  return packages.filter((found) => found.name === name).map((found) => found.version).sort();
}

catalogerConformance(npm, {
  files: [
    { path: 'app/node_modules/@babel/core/package.json', content: JSON.stringify({ name: '@babel/core', version: '7.22.5', license: 'MIT' }) },
    { path: 'srv/package-lock.json', content: readFileSync(`${APP}/package-lock.json`) },
  ],
});

it('finds the installed packages of legacy-web-app, nested copies included, not again from the lock', () => {
  const files = catalogFilesFromDir(APP, 'srv/app', npm);
  const packages = npm.catalog(files, context);
  assert.equal(packages.length, 70);
  assert.deepEqual(versionsOf(packages, 'lodash'), ['4.17.20']);
  assert.deepEqual(versionsOf(packages, 'minimist'), ['0.0.8', '1.2.5']);
  const lodash = packages.find((found) => found.name === 'lodash');
  assert.deepEqual(lodash, {
    type: 'npm',
    name: 'lodash',
    version: '4.17.20',
    licenses: ['MIT'],
    purl: 'pkg:npm/lodash@4.17.20',
    location: 'srv/app/node_modules/lodash/package.json',
    layerDiffId: files.get('srv/app/node_modules/lodash/package.json')?.layerDiffId,
    layerDigest: files.get('srv/app/node_modules/lodash/package.json')?.layerDigest,
    foundBy: 'npm',
    dependsOn: [],
  });
  const nested = packages.find((found) => found.name === 'minimist' && found.version === '0.0.8');
  assert.equal(nested?.location, 'srv/app/node_modules/mkdirp/node_modules/minimist/package.json');
  // Every package is in both the lock and node_modules: node_modules wins, the root project is absent.
  assert.ok(packages.every((found) => found.location.includes('/node_modules/')));
  assert.equal(versionsOf(packages, 'legacy-web-app').length, 0);
  assert.deepEqual(versionsOf(packages, 'express'), ['4.17.1']);
  assert.deepEqual(versionsOf(packages, 'qs'), ['6.5.2', '6.7.0', '6.7.0']);
});

it('reads the lockfile v3 alone, without its root project', () => {
  const packages = npm.catalog(memoryCatalogFiles([{ path: 'srv/app/package-lock.json', content: readFileSync(`${APP}/package-lock.json`) }]), context);
  // 70 install paths, 69 distinct packages: qs@6.7.0 is nested under both body-parser and express.
  assert.equal(packages.length, 69);
  assert.deepEqual(versionsOf(packages, 'qs'), ['6.5.2', '6.7.0']);
  assert.deepEqual(versionsOf(packages, 'minimist'), ['0.0.8', '1.2.5']);
  assert.deepEqual(versionsOf(packages, 'lodash'), ['4.17.20']);
  assert.ok(packages.every((found) => found.location === 'srv/app/package-lock.json'));
  assert.equal(versionsOf(packages, 'legacy-web-app').length, 0);
  assert.deepEqual(packages.find((found) => found.name === 'qs')?.licenses, ['BSD-3-Clause']);
});

it('links each package to the copy Node would load: its own node_modules first, then up the tree (installed and locked alike)', () => {
  const installed = npm.catalog(catalogFilesFromDir(APP, 'srv/app', npm), context);
  const locked = npm.catalog(memoryCatalogFiles([{ path: 'srv/app/package-lock.json', content: readFileSync(`${APP}/package-lock.json`) }]), context);
  for (const packages of [installed, locked]) {
    const find = (name: string, version: string) => packages.find((found) => found.name === name && found.version === version);
    // mkdirp@0.5.1 gets its nested minimist@0.0.8, not the top-level 1.2.5; tar@6.1.0 its nested mkdirp@1.0.4.
    assert.deepEqual(find('mkdirp', '0.5.1')?.dependsOn, ['pkg:npm/minimist@0.0.8']);
    assert.ok(find('tar', '6.1.0')?.dependsOn?.includes('pkg:npm/mkdirp@1.0.4'));
    assert.ok(!find('tar', '6.1.0')?.dependsOn?.includes('pkg:npm/mkdirp@0.5.1'));
    assert.ok(find('express', '4.17.1')?.dependsOn?.includes('pkg:npm/body-parser@1.19.0'));
    assert.ok(packages.every((found) => (found.dependsOn ?? []).every((purl) => purl !== found.purl && packages.some((other) => other.purl === purl))));
  }
  const edges = (packages: readonly Package[]) => [...new Set(packages.flatMap((found) => (found.dependsOn ?? []).map((purl) => `${found.purl} -> ${purl}`)))].sort(compareStrings);
  assert.deepEqual(edges(installed), edges(locked));
});

it('bounds the work of linking a hostile tree: thousands of levels deep, each manifest naming hundreds of absent packages', { timeout: 60_000 }, () => {
  const depth = 2000;
  const absent = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`absent-${i}`, '*']));
  const files = Array.from({ length: depth }, (_, level) => ({
    path: `${'node_modules/deep/'.repeat(level + 1)}package.json`,
    content: JSON.stringify({ name: 'deep', version: `1.0.${level}`, dependencies: { ...absent, deep: '*' } }),
  }));
  // 2 000 packages x 201 names, each walked up ~2 000 levels of paths up to 36 000 characters
  // long: ~10^13 characters unbounded (hours); the budget stops it in a fraction of a second.
  const packages = npm.catalog(memoryCatalogFiles(files), context);
  assert.equal(packages.length, depth);
  assert.ok(packages.every((found) => found.dependsOn === undefined), 'unknown past the budget, not "depends on nothing"');
  const few = parseInstalledManifest(memoryCatalogFiles([{ path: 'node_modules/a/package.json', content: JSON.stringify({ name: 'a', version: '1.0.0', dependencies: { b: '1' } }) }]).list()[0] as CatalogFile);
  const b = parseInstalledManifest(memoryCatalogFiles([{ path: 'node_modules/b/package.json', content: JSON.stringify({ name: 'b', version: '1.0.0' }) }]).list()[0] as CatalogFile);
  assert.deepEqual(linkInstalled([...few.packages, ...b.packages]).map((found) => found.dependsOn), [['pkg:npm/b@1.0.0'], []]);
  assert.deepEqual(linkInstalled([...few.packages, ...b.packages], { left: 10 }).map((found) => found.dependsOn), [undefined, undefined], 'nothing once the budget is spent');
});

it('reads lockfile v1 dependency trees and v2 packages maps, aliases and links included', () => {
  const v1 = {
    name: 'old',
    version: '1.0.0',
    lockfileVersion: 1,
    dependencies: {
      mkdirp: { version: '0.5.1', dependencies: { minimist: { version: '0.0.8' } } },
      minimist: { version: '1.2.0' },
      '@types/node': { version: '14.0.1', dev: true },
      renamed: { version: 'npm:left-pad@1.3.0' },
      broken: { requires: {} },
    },
  };
  const v2 = {
    lockfileVersion: 2,
    packages: {
      '': { name: 'root', version: '2.0.0' },
      'node_modules/a': { version: '1.0.0', license: 'ISC' },
      'node_modules/a/node_modules/@s/b': { version: '2.0.0', license: { type: 'MIT' } },
      'node_modules/alias': { name: 'real', version: '3.0.0' },
      'node_modules/local': { resolved: 'packages/local', link: true },
      'packages/local': { name: 'local', version: '0.0.1' },
    },
    dependencies: { ignored: { version: '9.9.9' } },
  };
  const packages = npm.catalog(memoryCatalogFiles([{ path: 'v1/package-lock.json', content: JSON.stringify(v1) }, { path: 'v2/package-lock.json', content: JSON.stringify(v2) }]), context);
  const summary = packages.map((found) => `${found.location} ${found.purl} ${found.licenses.join(',')}`);
  assert.deepEqual(summary, [
    'v1/package-lock.json pkg:npm/mkdirp@0.5.1 ',
    'v1/package-lock.json pkg:npm/minimist@0.0.8 ',
    'v1/package-lock.json pkg:npm/minimist@1.2.0 ',
    'v1/package-lock.json pkg:npm/%40types/node@14.0.1 ',
    'v1/package-lock.json pkg:npm/left-pad@1.3.0 ',
    'v2/package-lock.json pkg:npm/a@1.0.0 ISC',
    'v2/package-lock.json pkg:npm/%40s/b@2.0.0 MIT',
    'v2/package-lock.json pkg:npm/real@3.0.0 ',
  ]);
});

it('de-duplicates per project: a locked package not installed comes from the lock', () => {
  const lock = JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'p' }, 'node_modules/lodash': { version: '4.17.20' }, 'node_modules/minimist': { version: '1.2.5' } } });
  const packages = npm.catalog(
    memoryCatalogFiles([
      { path: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20' }) },
      { path: 'app/package-lock.json', content: lock },
      { path: 'other/package-lock.json', content: lock },
    ]),
    context,
  );
  assert.deepEqual(
    packages.map((found) => `${found.name}@${found.version} ${found.location}`),
    ['lodash@4.17.20 app/node_modules/lodash/package.json', 'minimist@1.2.5 app/package-lock.json', 'lodash@4.17.20 other/package-lock.json', 'minimist@1.2.5 other/package-lock.json'],
  );
});

it('reads scoped packages and every licence form; skips manifests without name and version', () => {
  const files = memoryCatalogFiles([
    { path: 'node_modules/@angular/animation/package.json', content: JSON.stringify({ name: '@angular/animation', version: '12.3.1', license: { type: 'MIT', url: 'x' } }) },
    { path: 'node_modules/old/package.json', content: JSON.stringify({ name: 'old', version: '0.1.0', licenses: [{ type: 'MIT' }, { type: 'Apache-2.0' }, 'GPL-2.0'] }) },
    { path: 'node_modules/nameless/package.json', content: JSON.stringify({ version: '1.0.0' }) },
    { path: 'node_modules/versionless/package.json', content: JSON.stringify({ name: 'versionless' }) },
    { path: 'node_modules/array/package.json', content: '[1, 2]' },
    { path: 'node_modules/bad/package.json', content: '{ not json' },
    { path: 'node_modules/typed/package.json', content: JSON.stringify({ name: 42, version: {} }) },
  ]);
  const packages = npm.catalog(files, context);
  assert.deepEqual(
    packages.map((found) => [found.purl, found.licenses]),
    [
      ['pkg:npm/%40angular/animation@12.3.1', ['MIT']],
      ['pkg:npm/old@0.1.0', ['MIT', 'Apache-2.0', 'GPL-2.0']],
    ],
  );
  assert.equal(catalogNpm(files).warnings.length, 5);
});

it('wants installed manifests and project locks only', () => {
  const info = { mode: 0o644, size: 100 };
  for (const path of ['node_modules/a/package.json', 'app/node_modules/@s/b/package.json', 'app/node_modules/a/node_modules/b/package.json', 'package-lock.json', 'srv/app/package-lock.json']) assert.ok(npm.wants(path, info), path);
  for (const path of ['package.json', 'node_modules/a/dist/package.json', 'node_modules/a/package-lock.json', 'node_modules/.package-lock.json', 'app/yarn.lock']) assert.ok(!npm.wants(path, info), path);
});
