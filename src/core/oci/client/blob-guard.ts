/**
 * Stream guards for blob bytes, apart from the HTTP requests (blob-requests.ts) so that reading an
 * OCI layout (`slipway scan oci:…`) does not load node:http and node:tls: ~15 ms of a CLI start.
 */
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Descriptor } from '../descriptor.ts';
import { RegistryClientError } from './client-error.ts';

/** Counts bytes, reports them, and fails when the stream is longer or shorter than `size`. */
export function sizeGuard(descriptor: Descriptor, onProgress?: (bytes: number) => void): Transform {
  let total = 0;
  return new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      total += chunk.byteLength;
      if (total > descriptor.size) return callback(sizeMismatch(descriptor, 'more'));
      onProgress?.(total);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      callback(total === descriptor.size ? null : sizeMismatch(descriptor, `only ${total}`));
    },
  });
}

function sizeMismatch(descriptor: Descriptor, got: string): RegistryClientError {
  return new RegistryClientError('SIZE_MISMATCH', `blob ${descriptor.digest}: the source has ${got} bytes, the descriptor says ${descriptor.size}`);
}

/** `source` piped into `transform`, errors of either ending both (unlike `pipe`). */
export function through(source: Readable, transform: Transform): Transform {
  return pipeline(source, transform, () => undefined);
}
