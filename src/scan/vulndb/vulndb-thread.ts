import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { DatabaseConfig } from '../../core/storage/metadata/database.ts';
import type { VulnDb } from './vulndb.ts';

/** A call the thread answers: one of VulnDb's methods, with its arguments (an AbortSignal stays on this side). */
export type VulnDbCall = { [M in keyof VulnDb]: { readonly method: M; readonly args: Parameters<VulnDb[M]> } }[keyof VulnDb];
export type VulnDbRequest = { readonly id: number } & (VulnDbCall | { readonly method: 'close'; readonly args: [] });
export type VulnDbReply = { readonly id: number; readonly value: unknown } | { readonly id: number; readonly error: ThreadError };
/** An error as it crosses the thread: what the CLI shows of it (its class name, code and message). */
export interface ThreadError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

/** A VulnDb answered by a worker thread; `close` closes the database and ends the thread. */
export interface VulnDbThread extends VulnDb {
  close(): Promise<void>;
}

/**
 * The vulnerability database opened and queried on a worker thread: the CLI's scan. Loading the
 * query builder and the database driver, opening and migrating the database and matching the
 * packages take a good part of a short `slipway scan`; on a thread of their own they happen while
 * the image's layers stream through the walk on the main thread, not before it. It answers as
 * `createVulnDb` does; errors keep their name, code and message.
 *
 * The thread keeps the process alive only while a call waits for its answer, so a caller that
 * fails before `close` cannot hang the CLI.
 */
export function openVulnDbThread(config: DatabaseConfig): VulnDbThread {
  // In a checkout the sources run as TypeScript; built, as dist/'s JavaScript.
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  // No execArgv: the thread needs none of the process's own (--import hooks and the like run once).
  const worker = new Worker(new URL(`./vulndb-worker${extension}`, import.meta.url), { workerData: config, execArgv: [] });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let ended: Error | undefined;
  const exited = once(worker, 'exit').then(
    () => undefined,
    () => undefined,
  );
  const settle = (id: number) => {
    const waiting = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return waiting;
  };
  const endAll = (error: Error) => {
    ended ??= error;
    for (const id of pending.keys()) settle(id)?.reject(ended);
  };
  worker.on('message', (reply: VulnDbReply) => {
    const waiting = settle(reply.id);
    if ('error' in reply) waiting?.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name, ...(reply.error.code === undefined ? {} : { code: reply.error.code }) }));
    else waiting?.resolve(reply.value);
  });
  worker.on('error', endAll);
  worker.on('exit', (code) => endAll(new Error(`the vulnerability database thread ended (exit code ${code})`)));
  // After the listeners: a 'message' listener refs the worker's port again.
  worker.unref();

  const call = <T>(request: VulnDbCall | { method: 'close'; args: [] }, signal?: AbortSignal): Promise<T> => {
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    if (ended !== undefined) return Promise.reject(ended);
    const id = (nextId += 1);
    const answer = new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.ref();
      // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a worker thread, not a window
      worker.postMessage({ id, ...request } satisfies VulnDbRequest);
    });
    if (signal === undefined) return answer;
    // The thread finishes the query anyway; the caller stops waiting for it.
    return new Promise<T>((resolve, reject) => {
      const abort = () => reject(signal.reason);
      signal.addEventListener('abort', abort, { once: true });
      answer.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
    });
  };

  return {
    status: (options = {}) => call({ method: 'status', args: [] }, options.signal),
    match: (pkg, distro, options = {}) => call({ method: 'match', args: [pkg, distro] }, options.signal),
    matchAll: (packages, distro, options = {}) => call({ method: 'matchAll', args: [packages, distro] }, options.signal),
    async close() {
      if (ended === undefined) await call({ method: 'close', args: [] }).catch(() => undefined);
      await worker.terminate();
      await exited;
    },
  };
}
