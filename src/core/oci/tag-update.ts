import { setTimeout as sleep } from 'node:timers/promises';

/** What one attempt of a read-modify-write of a tag returns when its conditional PUT found the tag moved. */
export const TAG_MOVED = Symbol('tag moved');

/**
 * Runs a read-modify-write of a tag (read it, change it, PUT it on condition that it did not move) again each time
 * another writer moved the tag in between, after a short random wait: at most `attempts` times (8 by default).
 * Resolves with the attempt's result, or `undefined` when the tag kept moving.
 */
export async function updateTag<T>(attempt: () => Promise<T | typeof TAG_MOVED>, options: { readonly attempts?: number; readonly signal?: AbortSignal } = {}): Promise<T | undefined> {
  const attempts = options.attempts ?? 8;
  for (let n = 1; n <= attempts; n++) {
    const result = await attempt();
    if (result !== TAG_MOVED) return result;
    if (n < attempts) await sleep(5 + Math.random() * 20 * n, undefined, options.signal === undefined ? {} : { signal: options.signal });
  }
  return undefined;
}
