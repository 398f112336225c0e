import type { FileHandle } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';

/**
 * The storage driver: a small, path-based interface (after distribution's storagedriver) that
 * every backend implements — the filesystem now, S3-compatible object storage for scale-out.
 * Content addressing, upload sessions, links, GC and quotas live above it (see blob-store.ts).
 *
 * Paths are `/`-separated, start with `/`, and consist of `[A-Za-z0-9._-]` segments (never `.` or
 * `..`). Drivers reject anything else with `PATH_INVALID`.
 *
 * Every driver runs the one conformance suite in blob-driver.conformance.ts.
 */
export interface BlobDriver {
  /** A short name for logs and metrics: `filesystem`, `s3`. */
  readonly name: string;

  /** Size and modification time of a file, or of a directory; undefined when nothing is there. */
  stat(path: string, options?: IoOptions): Promise<FileInfo | undefined>;

  /** A stream of the file's bytes from `offset` (default 0) for `length` bytes (default: to the end). */
  read(path: string, options?: ReadOptions): Promise<Readable>;

  /**
   * Writes the file's bytes (all, or `offset`/`length`) into `target`, honouring its back-pressure,
   * without ending it. The hot path of every pull: drivers that can do so without allocating a
   * buffer per chunk (the filesystem driver reuses two) should.
   */
  copyTo(path: string, target: Writable, options?: ReadOptions): Promise<void>;

  /**
   * The file opened to be read in place (the caller closes it), where content is a local file:
   * the filesystem driver has it, an object store does not. The scanner reads layers this way,
   * through buffers it reuses.
   */
  openFile?(path: string, options?: IoOptions): Promise<FileHandle>;

  /**
   * A writer for `path`. With `append`, bytes are added to what is already there (the file must
   * exist). Nothing written is guaranteed visible until `commit()` resolves; `cancel()` discards
   * what this writer wrote.
   */
  writer(path: string, options?: WriterOptions): Promise<DriverWriter>;

  /** The whole content of a small file (manifests, metadata). */
  getContent(path: string, options?: IoOptions): Promise<Buffer>;

  /** Replaces a small file atomically: readers see the old content or the new, never a mix. */
  putContent(path: string, content: Uint8Array, options?: IoOptions): Promise<void>;

  /** Moves a file atomically, replacing whatever is at `to`. Creates parent directories. */
  move(from: string, to: string, options?: IoOptions): Promise<void>;

  /** Deletes a file or a whole directory tree. Deleting what is not there is not an error. */
  delete(path: string, options?: IoOptions): Promise<void>;

  /** The direct children (full paths, sorted) of a directory; empty when it does not exist. */
  list(path: string, options?: IoOptions): Promise<string[]>;

  /** Every file below `path`, depth-first, in sorted order. */
  walk(path: string, options?: IoOptions): AsyncIterable<FileInfo>;

  /**
   * A URL a client may fetch the file from directly (a presigned object-store URL), or undefined
   * when the driver cannot redirect; the registry then streams the bytes itself.
   */
  redirectUrl(path: string, options?: RedirectOptions): Promise<string | undefined>;
}

export interface IoOptions {
  readonly signal?: AbortSignal;
}

export interface ReadOptions extends IoOptions {
  readonly offset?: number;
  readonly length?: number;
}

export interface WriterOptions extends IoOptions {
  readonly append?: boolean;
}

export interface RedirectOptions extends IoOptions {
  readonly method: 'GET' | 'HEAD';
  readonly expiresInSeconds?: number;
}

export interface FileInfo {
  readonly path: string;
  readonly size: number;
  readonly modifiedAt: Date;
  readonly isDirectory: boolean;
}

export interface DriverWriter {
  /** Write the bytes here (pipe into it); end it before `commit()`. */
  readonly stream: Writable;
  /** Bytes in the file so far, including what was there before an append. */
  readonly size: number;
  /** Makes everything written durable and visible at the path. */
  commit(): Promise<void>;
  /** Discards what this writer wrote; the file is left as it was before the writer opened. */
  cancel(): Promise<void>;
}
