import type { Package } from '../model.ts';

/** A package as its cataloger found it, with what its database says it requires and provides. */
export interface Requirements {
  readonly found: Package;
  /** Each requirement as its alternatives, in order of preference (dpkg's `a | b`); one name for most. */
  readonly requires: readonly (readonly string[])[];
  /** Other names it answers to (dpkg `Provides`, apk `p:`). */
  readonly provides?: readonly string[];
}

/**
 * Dependency edges one package database may add to a scan. Real ones have a few per package
 * (bookworm's 88 packages: ~250; a 5 000-package node_modules: ~20 000); a hostile database,
 * each of thousands of packages depending on all the others, would have tens of millions, and
 * the SBOM gigabytes. Past the budget, packages are reported without their dependencies.
 */
export const MAX_DEPENDENCY_EDGES = 1_000_000;

/** What is left of the edge budget of one linking run. */
export interface EdgeBudget {
  left: number;
}

/**
 * The packages with `dependsOn` filled in from what they require, linked by name among the
 * packages found beside them (one package database): for each requirement, the first alternative
 * that is installed, or that an installed package provides (a real package's name before a
 * virtual one of the same name). A requirement nothing installed satisfies is left out (optional,
 * or met by something no cataloger reads); a package never depends on itself.
 */
export function linkByName(entries: readonly Requirements[], budget: EdgeBudget = { left: MAX_DEPENDENCY_EDGES }): Package[] {
  const byName = new Map<string, Package>();
  for (const { found } of entries) if (!byName.has(found.name)) byName.set(found.name, found);
  const byProvided = new Map<string, Package>();
  for (const { found, provides } of entries) for (const name of provides ?? []) if (!byProvided.has(name)) byProvided.set(name, found);
  return entries.map(({ found, requires }) => {
    const purls = new Set<string>();
    for (const alternatives of requires) {
      const met = alternatives.map((name) => byName.get(name) ?? byProvided.get(name)).find((p) => p !== undefined);
      if (met !== undefined && met !== found && met.purl !== found.purl) purls.add(met.purl);
    }
    return withDependencies(found, purls, budget);
  });
}

/**
 * `found` with `dependsOn`, sorted: empty when it depends on nothing found beside it (known: a
 * leaf). Once the budget is spent, `found` as it is: its dependencies unknown.
 */
export function withDependencies(found: Package, purls: Iterable<string>, budget: EdgeBudget): Package {
  const dependsOn = [...new Set(purls)].sort();
  if (dependsOn.length > budget.left) return found;
  budget.left -= dependsOn.length;
  return { ...found, dependsOn };
}
