/**
 * The conformance suite every cataloger runs from its own test file: shape of the plugin object,
 * nothing from nothing, well-formed packages tied to the files that prove them, determinism, and
 * no exception (and no package) from garbage or truncated evidence.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Cataloger, Package } from '../../model.ts';
import { memoryCatalogFiles, TEST_LAYER, type MemoryFile } from './memory-catalog-files.ts';

export interface ConformanceFixture {
  /** Files the cataloger wants (or extracts from) that yield at least one package. */
  readonly files: readonly MemoryFile[];
}

const context = { distro: undefined };

export function catalogerConformance(cataloger: Cataloger, fixture: ConformanceFixture): void {
  describe(`cataloger conformance: ${cataloger.name}`, () => {
    it('is a plain versioned plugin object', () => {
      assert.match(cataloger.name, /^[a-z][a-z0-9-]*$/);
      assert.ok(Number.isInteger(cataloger.version) && cataloger.version >= 1);
      assert.deepEqual(cataloger.catalog(memoryCatalogFiles([]), context), []);
    });

    it('wants its fixture and finds well-formed packages in it', () => {
      for (const file of fixture.files) {
        const info = { mode: file.mode ?? 0o644, size: Buffer.byteLength(file.content) };
        assert.ok(cataloger.wants(file.path, info) || cataloger.extract?.(file.path, info) !== undefined, file.path);
      }
      const packages = cataloger.catalog(memoryCatalogFiles(fixture.files), context);
      assert.ok(packages.length > 0);
      for (const found of packages) assertWellFormed(cataloger, found, fixture.files);
      assert.deepEqual(cataloger.catalog(memoryCatalogFiles(fixture.files), context), packages);
    });

    it('ignores files it does not want', () => {
      const unwanted = [{ path: 'etc/hostname', content: 'host\n' }, { path: 'usr/share/doc/readme.txt', content: 'text' }];
      assert.deepEqual(cataloger.catalog(memoryCatalogFiles(unwanted), context), []);
    });

    it('survives garbage and truncated evidence', () => {
      for (const file of fixture.files) {
        const content = Buffer.from(file.content);
        for (const bad of [Buffer.alloc(0), randomBytes(4096), Buffer.from('{"name": [1, 2'), Buffer.alloc(2048, 0xff)]) {
          assert.deepEqual(cataloger.catalog(memoryCatalogFiles([{ ...file, content: bad }]), context), [], file.path);
        }
        for (const cut of [1, 7, Math.floor(content.length / 3), Math.floor(content.length / 2), content.length - 1]) {
          assert.doesNotThrow(() => cataloger.catalog(memoryCatalogFiles([{ ...file, content: content.subarray(0, cut) }]), context));
        }
      }
    });
  });
}

function assertWellFormed(cataloger: Cataloger, found: Package, files: readonly MemoryFile[]): void {
  assert.equal(found.foundBy, cataloger.name);
  assert.ok(found.name !== '' && found.version !== '', JSON.stringify(found));
  assert.match(found.purl, /^pkg:[a-z]+\/[^@]+@[^@/?#]+$/, found.purl);
  assert.ok(Array.isArray(found.licenses));
  assert.ok(!found.location.startsWith('/'));
  assert.ok(files.some((file) => found.location === file.path || found.location.startsWith(`${file.path}:`)), found.location);
  assert.equal(found.layerDiffId, TEST_LAYER.layerDiffId);
  assert.equal(found.layerDigest, TEST_LAYER.layerDigest);
}
