import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSpdxExpression, spdxLicenseId, toSpdxExpression } from './spdx-expression.ts';

describe('parseSpdxExpression', () => {
  it('canonicalises ids and operators', () => {
    assert.equal(parseSpdxExpression('mit'), 'MIT');
    assert.equal(parseSpdxExpression('mit or apache-2.0'), 'MIT OR Apache-2.0');
    assert.equal(parseSpdxExpression('(MIT OR Apache-2.0) AND BSD-3-Clause'), '(MIT OR Apache-2.0) AND BSD-3-Clause');
    assert.equal(parseSpdxExpression('GPL-2.0-or-later WITH Classpath-exception-2.0'), 'GPL-2.0-or-later WITH Classpath-exception-2.0');
    assert.equal(parseSpdxExpression('GPL-2.0+'), 'GPL-2.0+');
    assert.equal(parseSpdxExpression('GPL-2.0'), 'GPL-2.0');
  });

  it('rejects names that are not on the list and broken syntax', () => {
    for (const bad of ['', 'GPL-2+', 'public-domain', 'BSD', 'MIT OR', '(MIT', 'MIT)', 'MIT Apache-2.0', 'MIT WITH Foo', 'MIT And Apache-2.0', 'LicenseRef-x', 'AND']) {
      assert.equal(parseSpdxExpression(bad), undefined, bad);
    }
  });
});

describe('toSpdxExpression', () => {
  it('joins several licenses with AND and brackets disjunctions', () => {
    assert.equal(toSpdxExpression(['MIT']), 'MIT');
    assert.equal(toSpdxExpression(['MIT', 'mit']), 'MIT');
    assert.equal(toSpdxExpression(['Zlib', 'MIT OR Apache-2.0']), 'Zlib AND (MIT OR Apache-2.0)');
  });

  it('gives up when there is nothing or any name is not an SPDX id', () => {
    assert.equal(toSpdxExpression([]), undefined);
    assert.equal(toSpdxExpression(['  ']), undefined);
    assert.equal(toSpdxExpression(['MIT', 'GPL-2+']), undefined);
  });

  it('looks single ids up case-insensitively', () => {
    assert.equal(spdxLicenseId('apache-2.0'), 'Apache-2.0');
    assert.equal(spdxLicenseId('MIT OR Apache-2.0'), undefined);
  });
});
