import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { OciError } from './oci-error.ts';

/** A validated content digest, `<algorithm>:<encoded>`. Only sha256 and sha512 are accepted. */
export type Digest = string & { readonly __digest: unique symbol };
export type DigestAlgorithm = 'sha256' | 'sha512';

const ENCODED_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };
const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const LOWER_HEX = /^[0-9a-f]+$/;

export const EMPTY_SHA256 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' as Digest;

/** Parses a digest strictly: the spec's grammar, a registered algorithm, the exact lowercase hex length. */
export function parseDigest(value: string): Digest {
  if (!GRAMMAR.test(value)) {
    throw new OciError('DIGEST_INVALID', `invalid digest ${JSON.stringify(value)}: expected <algorithm>:<hex>`);
  }
  const colon = value.indexOf(':');
  const algorithm = value.slice(0, colon);
  const encoded = value.slice(colon + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new OciError('DIGEST_INVALID', `unsupported digest algorithm ${JSON.stringify(algorithm)}: use sha256 or sha512`);
  }
  if (encoded.length !== ENCODED_LENGTH[algorithm] || !LOWER_HEX.test(encoded)) {
    throw new OciError(
      'DIGEST_INVALID',
      `invalid ${algorithm} digest ${JSON.stringify(value)}: expected ${ENCODED_LENGTH[algorithm]} lowercase hex characters`,
    );
  }
  return value as Digest;
}

export function isDigest(value: string): value is Digest {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

export function digestAlgorithm(digest: Digest): DigestAlgorithm {
  return digest.slice(0, digest.indexOf(':')) as DigestAlgorithm;
}

export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** The digest of bytes already in memory (manifests, configs: small things). */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}` as Digest;
}

/** An incremental hasher that also counts bytes. */
export class Digester {
  readonly algorithm: DigestAlgorithm;
  #hash: Hash;
  #size = 0;

  constructor(algorithm: DigestAlgorithm = 'sha256') {
    this.algorithm = algorithm;
    this.#hash = createHash(algorithm);
  }

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#size += chunk.byteLength;
  }

  get size(): number {
    return this.#size;
  }

  digest(): Digest {
    return `${this.algorithm}:${this.#hash.digest('hex')}` as Digest;
  }
}

/**
 * A pass-through stream that hashes and counts what flows through it. Put it in a pipeline between
 * a source and a sink; read `digest()` and `size` once the pipeline has finished.
 */
export class DigestStream extends Transform {
  readonly #digester: Digester;
  #result: Digest | undefined;

  constructor(algorithm: DigestAlgorithm = 'sha256') {
    super({ highWaterMark: 1 << 20 });
    this.#digester = new Digester(algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#digester.update(chunk);
    callback(null, chunk);
  }

  get size(): number {
    return this.#digester.size;
  }

  digest(): Digest {
    this.#result ??= this.#digester.digest();
    return this.#result;
  }
}

/** Throws DIGEST_MISMATCH unless `actual` equals `expected`. */
export function assertDigest(expected: Digest, actual: Digest, what = 'content'): void {
  if (expected !== actual) {
    throw new OciError('DIGEST_MISMATCH', `${what} digest mismatch: expected ${expected}, got ${actual}`, {
      detail: { expected, actual },
    });
  }
}
