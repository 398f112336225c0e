import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Reads until `done` holds, for what happens after an answer: jobs running, and audit entries and
 * events written once the request has been answered. Gives up after about ten seconds.
 */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what = 'the background work'): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await read();
    if (done(value)) return value;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}
