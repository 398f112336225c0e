import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestOf } from '../../core/oci/digest.ts';
import { memorySignatureStore } from '../../testing/memory-signature-store.ts';
import { SIMPLE_SIGNING_MEDIA_TYPE } from '../payload/simple-signing.ts';
import type { SignatureStore } from '../signature-store.ts';
import { appendLegacyLayer, LegacyAnnotation, legacyTag } from './legacy.ts';

const SUBJECT = digestOf(Buffer.from('an image manifest'));
const layer = (n: number) => ({ bytes: Buffer.from(`payload ${n}`), mediaType: SIMPLE_SIGNING_MEDIA_TYPE, annotations: { [LegacyAnnotation.signature]: `sig-${n}` } });

/** A store whose reads answer late, so that concurrent read-modify-PUTs interleave as they do over HTTP. */
function slowReads(store: SignatureStore): SignatureStore {
  return {
    ...store,
    async manifest(reference, options) {
      const found = await store.manifest(reference, options);
      await sleep(Math.random() * 5);
      return found;
    },
  };
}

const layersOf = async (store: SignatureStore) => {
  const found = await store.manifest(legacyTag(SUBJECT, 'sig'));
  return (JSON.parse(found?.bytes.toString() ?? '{"layers":[]}') as { layers: { annotations: Record<string, string> }[] }).layers.map((l) => l.annotations[LegacyAnnotation.signature]);
};

describe('legacy signature tags', () => {
  it('keeps every signature when several signers append to the same tag at once', async () => {
    const store = slowReads(memorySignatureStore('team/app'));
    await Promise.all([1, 2, 3, 4].map((n) => appendLegacyLayer(store, SUBJECT, 'sig', layer(n))));
    assert.deepEqual((await layersOf(store)).toSorted((a, b) => (a ?? '').localeCompare(b ?? '')), ['sig-1', 'sig-2', 'sig-3', 'sig-4']);
  });

  it('adds a layer once, and drops what `replaces` matches in the same write', async () => {
    const store = memorySignatureStore('team/app');
    const first = await appendLegacyLayer(store, SUBJECT, 'sig', layer(1));
    assert.equal(await appendLegacyLayer(store, SUBJECT, 'sig', layer(1)), first, 'the same layer again changes nothing');
    await appendLegacyLayer(store, SUBJECT, 'sig', layer(2));
    await appendLegacyLayer(store, SUBJECT, 'sig', layer(3), { replaces: (l) => l.annotations?.[LegacyAnnotation.signature] === 'sig-1' });
    assert.deepEqual(await layersOf(store), ['sig-2', 'sig-3']);
  });
});
