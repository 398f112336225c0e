import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { it } from 'node:test';
import { DigestStream, EMPTY_SHA256, assertDigest, digestHex, digestOf, isDigest, parseDigest } from './digest.ts';
import { OciError } from './oci-error.ts';

const hex64 = 'a'.repeat(64);

it('parses sha256 and sha512 digests strictly', () => {
  assert.equal(parseDigest(`sha256:${hex64}`), `sha256:${hex64}`);
  assert.equal(parseDigest(`sha512:${'0'.repeat(128)}`), `sha512:${'0'.repeat(128)}`);
  for (const bad of [`sha256:${'A'.repeat(64)}`, `sha256:${hex64}0`, `sha256:${'a'.repeat(63)}`, `sha512:${hex64}`, `md5:${'a'.repeat(32)}`, hex64, 'sha256:', ':abc', `SHA256:${hex64}`, `sha256:${'g'.repeat(64)}`]) {
    assert.throws(() => parseDigest(bad), (e: unknown) => e instanceof OciError && e.code === 'DIGEST_INVALID', bad);
    assert.equal(isDigest(bad), false, bad);
  }
});

it('computes digests of bytes and streams alike', async () => {
  assert.equal(digestOf(''), EMPTY_SHA256);
  const data = Buffer.from('the exact bytes');
  const expected = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  assert.equal(digestOf(data), expected);
  assert.equal(digestHex(digestOf(data)), expected.slice(7));
  const stream = new DigestStream();
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  await pipeline(Readable.from([data.subarray(0, 5), data.subarray(5)]), stream, sink);
  assert.equal(stream.digest(), expected);
  assert.equal(stream.size, data.byteLength);
  assert.equal(digestOf(data, 'sha512'), `sha512:${createHash('sha512').update(data).digest('hex')}`);
});

it('reports a mismatch with both digests', () => {
  assert.throws(() => assertDigest(digestOf('a'), digestOf('b')), (e: unknown) => e instanceof OciError && e.code === 'DIGEST_MISMATCH');
  assertDigest(digestOf('a'), digestOf('a'));
});
