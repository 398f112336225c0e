import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Package } from '../model.ts';
import { linkByName, withDependencies, type Requirements } from './dependencies.ts';

const pkg = (name: string, version = '1'): Package => ({ type: 'deb', name, version, licenses: [], purl: `pkg:deb/debian/${name}@${version}`, location: 'var/lib/dpkg/status', foundBy: 'dpkg' });
const entry = (name: string, requires: readonly (readonly string[])[], provides?: readonly string[]): Requirements => ({ found: pkg(name), requires, ...(provides === undefined ? {} : { provides }) });
const edges = (packages: readonly Package[]) => Object.fromEntries(packages.map((p) => [p.name, p.dependsOn]));

it('links the first installed alternative, by name or by what a package provides, never a package to itself', () => {
  const linked = linkByName([
    entry('app', [['libc6'], ['debconf', 'debconf-2.0'], ['mail-transport-agent'], ['absent'], ['app']]),
    entry('libc6', []),
    entry('cdebconf', [], ['debconf-2.0']),
    entry('exim4', [], ['mail-transport-agent']),
    entry('postfix', [], ['mail-transport-agent']),
  ]);
  assert.deepEqual(edges(linked), {
    // debconf is not installed: its alternative debconf-2.0 is, provided by cdebconf; of two providers the first found.
    app: ['pkg:deb/debian/cdebconf@1', 'pkg:deb/debian/exim4@1', 'pkg:deb/debian/libc6@1'],
    // Known leaves: they depend on nothing (CycloneDX's `dependsOn: []`, not an unknown).
    libc6: [],
    cdebconf: [],
    exim4: [],
    postfix: [],
  });
  // A real package of the name comes before a virtual one.
  const real = linkByName([entry('app', [['awk']]), entry('mawk', [], ['awk']), entry('awk', [])]);
  assert.deepEqual(real[0]?.dependsOn, ['pkg:deb/debian/awk@1']);
});

it('stops adding edges once the budget of a linking run is spent', () => {
  const entries = [entry('a', [['x'], ['y']]), entry('b', [['x'], ['y']]), entry('c', [['x']]), entry('x', []), entry('y', [])];
  const budget = { left: 3 };
  // b's two edges do not fit: unknown (undefined), not none; the leaves still fit.
  assert.deepEqual(edges(linkByName(entries, budget)), { a: ['pkg:deb/debian/x@1', 'pkg:deb/debian/y@1'], b: undefined, c: ['pkg:deb/debian/x@1'], x: [], y: [] });
  assert.equal(budget.left, 0);
  assert.equal(withDependencies(pkg('d'), ['pkg:deb/debian/x@1'], budget).dependsOn, undefined);
});
