import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compareStrings } from './compare-strings.ts';

it('orders by code unit, the same in every locale: capitals before small letters, accents after z', () => {
  const names = ['zlib', 'apt', 'Zope', 'été', 'libssl3', 'libc6', 'Apt', 'apt'];
  assert.deepEqual(names.toSorted(compareStrings), ['Apt', 'Zope', 'apt', 'apt', 'libc6', 'libssl3', 'zlib', 'été']);
  // A collator would put 'apt' before 'Zope' and 'été' before 'zlib'.
  assert.notDeepEqual(names.toSorted((a, b) => a.localeCompare(b, 'en')), names.toSorted(compareStrings));
  assert.equal(compareStrings('a', 'a'), 0);
});
