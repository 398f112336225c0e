import type { Readable } from 'node:stream';

/** Thrown by readLimited when the stream carries more than the limit. */
export class StreamLimitError extends Error {
  readonly code = 'TOO_LARGE';
  readonly limit: number;

  constructor(limit: number) {
    super(`content exceeds the limit of ${limit} bytes`);
    this.name = 'StreamLimitError';
    this.limit = limit;
  }
}

/**
 * Collects a small stream (a manifest, a token request) into memory, refusing more than `limit`
 * bytes as soon as they arrive. Large content is never read this way. The stream is left to its
 * owner (an HTTP server still has to answer on the same connection), not destroyed.
 */
export async function readLimited(stream: Readable, limit: number, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    options.signal?.throwIfAborted();
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    total += buffer.byteLength;
    if (total > limit) throw new StreamLimitError(limit);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, total);
}
