/** Test helper: loads the shared version vectors (`../shared/data/versions/*.jsonl`) and asserts them in bulk. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Order } from './order.ts';
import { sharedDataUrl } from '../../testing/shared-data.ts';

/** The vectors live outside the repository, beside it (see testing/shared-data.ts). */
export const VECTORS_DIR = sharedDataUrl('versions/');

export interface Vector {
  /** The original JSON line, quoted in failure messages. */
  readonly line: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface ComparisonVector extends Vector {
  readonly a: string;
  readonly b: string;
  readonly expected: Order;
}

export function loadVectors(file: string): readonly Vector[] {
  const text = readFileSync(new URL(file, VECTORS_DIR), 'utf8');
  const vectors: Vector[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const parsed: unknown = JSON.parse(line);
    assert.ok(isRecord(parsed), `${file}: not an object: ${line}`);
    vectors.push({ line, fields: parsed });
  }
  assert.ok(vectors.length > 0, `${file}: no vectors`);
  return vectors;
}

export function loadComparisons(file: string): readonly ComparisonVector[] {
  return loadVectors(file).map((v) => {
    const { a, b, expected } = v.fields;
    assert.ok(typeof a === 'string' && typeof b === 'string', `${file}: a/b not strings: ${v.line}`);
    assert.ok(expected === -1 || expected === 0 || expected === 1, `${file}: bad expected: ${v.line}`);
    return { ...v, a, b, expected };
  });
}

export function stringField(v: Vector, name: string): string {
  const value = v.fields[name];
  assert.ok(typeof value === 'string', `${name} is not a string: ${v.line}`);
  return value;
}

export function booleanField(v: Vector, name: string): boolean {
  const value = v.fields[name];
  assert.ok(typeof value === 'boolean', `${name} is not a boolean: ${v.line}`);
  return value;
}

export function recordField(v: Vector, name: string): Readonly<Record<string, unknown>> {
  const value = v.fields[name] ?? {};
  assert.ok(isRecord(value), `${name} is not an object: ${v.line}`);
  return value;
}

/**
 * Runs `check` on every vector and fails once, listing every failing vector.
 * `check` returns a description of the mismatch, or undefined when the vector passes.
 */
export function assertEvery<V extends Vector>(vectors: readonly V[], check: (v: V) => string | undefined): void {
  const failures: string[] = [];
  for (const v of vectors) {
    let problem: string | undefined;
    try {
      problem = check(v);
    } catch (err) {
      problem = `threw ${String(err)}`;
    }
    if (problem !== undefined) failures.push(`${v.line}\n    → ${problem}`);
  }
  const shown = failures.slice(0, 40).join('\n  ');
  assert.equal(failures.length, 0, `${failures.length}/${vectors.length} vectors failed:\n  ${shown}`);
}

/** Checks a comparator against comparison vectors, both as given and reversed. */
export function assertComparisons(vectors: readonly ComparisonVector[], compare: (a: string, b: string) => Order): void {
  assertEvery(vectors, (v) => {
    const got = compare(v.a, v.b);
    const reversed = compare(v.b, v.a);
    if (got !== v.expected) return `compare(a, b) = ${got}`;
    if (reversed !== -v.expected) return `compare(b, a) = ${reversed} (not antisymmetric)`;
    return undefined;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
