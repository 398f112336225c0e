import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentHash, contentUuid, nameUuid } from './content-hash.ts';

describe('contentHash', () => {
  it('ignores key order and undefined fields', () => {
    assert.equal(contentHash({ a: 1, b: [1, { c: 'x', d: undefined }] }), contentHash({ b: [1, { c: 'x' }], a: 1 }));
    assert.notEqual(contentHash({ a: 1 }), contentHash({ a: 2 }));
    assert.match(contentHash(null), /^[0-9a-f]{64}$/);
  });
});

describe('nameUuid', () => {
  it('is RFC 9562 version 5 in the URL namespace', () => {
    assert.equal(nameUuid('http://www.example.com/'), 'fcde3c85-2270-590f-9e7c-ee003d65e0e2');
    assert.match(contentUuid('x', { a: 1 }), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
