import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeLicense, parseSpdxExpression, spdxLicenseId, toSpdxExpression } from './spdx-expression.ts';

describe('parseSpdxExpression', () => {
  it('canonicalises ids and operators', () => {
    assert.equal(parseSpdxExpression('mit'), 'MIT');
    assert.equal(parseSpdxExpression('mit or apache-2.0'), 'MIT OR Apache-2.0');
    assert.equal(parseSpdxExpression('(MIT OR Apache-2.0) AND BSD-3-Clause'), '(MIT OR Apache-2.0) AND BSD-3-Clause');
    assert.equal(parseSpdxExpression('GPL-2.0-or-later WITH Classpath-exception-2.0'), 'GPL-2.0-or-later WITH Classpath-exception-2.0');
    assert.equal(parseSpdxExpression('GPL-2.0+'), 'GPL-2.0-or-later', 'the GNU licenses in their current form');
    assert.equal(parseSpdxExpression('Apache-2.0+'), 'Apache-2.0+');
    assert.equal(parseSpdxExpression('GPL-2.0'), 'GPL-2.0');
  });

  it('rejects names that are not on the list and broken syntax', () => {
    for (const bad of ['', 'GPL', 'public-domain', 'BSD', 'MIT OR', '(MIT', 'MIT)', 'MIT Apache-2.0', 'MIT WITH Foo', 'MIT And Apache-2.0', 'LicenseRef-x', 'AND']) {
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

  it('gives up when there is nothing or any name means no license of the list', () => {
    assert.equal(toSpdxExpression([]), undefined);
    assert.equal(toSpdxExpression(['  ']), undefined);
    assert.equal(toSpdxExpression(['MIT', 'BSD']), undefined);
  });
});

describe('normalizeLicense', () => {
  it("reads package databases' names for list licenses", () => {
    const cases: [string, string | undefined][] = [
      // Debian's DEP-5 short names, in copyright files.
      ['GPL-2', 'GPL-2.0-only'],
      ['GPL-2+', 'GPL-2.0-or-later'],
      ['LGPL-2.1+', 'LGPL-2.1-or-later'],
      ['GFDL-1.3+', 'GFDL-1.3-or-later'],
      ['Expat', 'MIT'],
      ['BSD-3-clause', 'BSD-3-Clause'],
      ['GPL-2+ or Artistic', 'GPL-2.0-or-later OR Artistic-1.0'],
      // Fedora's legacy names, in older rpm databases.
      ['GPLv3+ and LGPLv2+', 'GPL-3.0-or-later AND LGPL-2.0-or-later'],
      ['ASL 2.0', 'Apache-2.0'],
      // Python's classifiers and free-text License fields.
      ['MIT License', 'MIT'],
      ['Apache 2.0', 'Apache-2.0'],
      ['GNU General Public License v2 or later (GPLv2+)', 'GPL-2.0-or-later'],
      ['Python Software Foundation License', 'PSF-2.0'],
      // Names of several licenses are not guessed at.
      ['BSD', undefined],
      ['GPL', undefined],
      ['public-domain', undefined],
      ['GPL-9+', undefined],
    ];
    for (const [name, expected] of cases) assert.equal(normalizeLicense(name), expected, name);
  });

  it('looks single ids up case-insensitively', () => {
    assert.equal(spdxLicenseId('apache-2.0'), 'Apache-2.0');
    assert.equal(spdxLicenseId('MIT OR Apache-2.0'), undefined);
  });
});
