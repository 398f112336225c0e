/**
 * The OSV records of an import source: one `.json`/`.yaml`/`.yml` file, a `.zip` as osv.dev
 * publishes per ecosystem, or a directory walked recursively (hidden entries and symlinks left
 * out; other file types ignored). A record that cannot be read or is invalid is yielded as a
 * skip with its reason; only an unreadable source as a whole throws.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import type { OsvRecord } from './osv-record.ts';
import { parseOsvText } from './osv-record.ts';
import { VulnDbError } from './vulndb-error.ts';
import { readZipEntries } from './zip-entries.ts';
import { fileErrorReason } from '../../core/format/file-error.ts';

export type SourceItem = { readonly file: string; readonly record: OsvRecord } | { readonly file: string; readonly reason: string };

/** Largest record file or zip entry read. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
const RECORD_FORMATS: Readonly<Record<string, 'json' | 'yaml'>> = { '.json': 'json', '.yaml': 'yaml', '.yml': 'yaml' };

export async function* readOsvSource(source: string, options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<SourceItem> {
  const info = await stat(source).catch((error: unknown) => {
    throw new VulnDbError('SOURCE_UNREADABLE', `cannot read ${source}: ${fileErrorReason(error)}`, { cause: error });
  });
  if (info.isDirectory()) {
    for await (const path of walk(source, options.signal)) yield* readFileItems(path, relative(source, path), options.signal, false);
    return;
  }
  if (!isZip(source) && formatOf(source) === undefined) {
    throw new VulnDbError('SOURCE_UNREADABLE', `${source} is neither a directory nor a .json, .yaml, .yml or .zip file`);
  }
  yield* readFileItems(source, source, options.signal, true);
}

/** Regular files under `dir`, depth first in name order. */
async function* walk(dir: string, signal: AbortSignal | undefined): AsyncGenerator<string> {
  signal?.throwIfAborted();
  const entries = (await readdir(dir, { withFileTypes: true })).toSorted((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path, signal);
    else if (entry.isFile() && (isZip(path) || formatOf(path) !== undefined)) yield path;
  }
}

async function* readFileItems(path: string, label: string, signal: AbortSignal | undefined, topLevel: boolean): AsyncGenerator<SourceItem> {
  signal?.throwIfAborted();
  if (isZip(path)) {
    yield* readZipItems(path, label, signal, topLevel);
    return;
  }
  try {
    const { size } = await stat(path);
    if (size > MAX_RECORD_BYTES) {
      yield { file: label, reason: `larger than ${MAX_RECORD_BYTES} bytes` };
      return;
    }
    const text = await readFile(path, { encoding: 'utf8', ...(signal === undefined ? {} : { signal }) });
    yield parseItem(label, text, formatOf(path) ?? 'json');
  } catch (error) {
    signal?.throwIfAborted();
    if (topLevel) throw new VulnDbError('SOURCE_UNREADABLE', `cannot read ${path}: ${fileErrorReason(error)}`, { cause: error });
    yield { file: label, reason: messageOf(error) };
  }
}

async function* readZipItems(path: string, label: string, signal: AbortSignal | undefined, topLevel: boolean): AsyncGenerator<SourceItem> {
  try {
    for await (const entry of readZipEntries(path, { maxEntrySize: MAX_RECORD_BYTES, ...(signal === undefined ? {} : { signal }) })) {
      const format = formatOf(entry.name);
      if (format === undefined) continue;
      const file = `${label}!/${entry.name}`;
      let data: Buffer;
      try {
        data = await entry.read(signal === undefined ? {} : { signal });
      } catch (error) {
        signal?.throwIfAborted();
        yield { file, reason: messageOf(error) };
        continue;
      }
      yield await parseItem(file, data.toString('utf8'), format);
    }
  } catch (error) {
    signal?.throwIfAborted();
    if (topLevel || !(error instanceof VulnDbError)) throw error;
    yield { file: label, reason: messageOf(error) };
  }
}

async function parseItem(file: string, text: string, format: 'json' | 'yaml'): Promise<SourceItem> {
  try {
    return { file, record: await parseOsvText(text, format) };
  } catch (error) {
    return { file, reason: messageOf(error) };
  }
}

function isZip(path: string): boolean {
  return extname(path).toLowerCase() === '.zip';
}

function formatOf(path: string): 'json' | 'yaml' | undefined {
  return RECORD_FORMATS[extname(path).toLowerCase()];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
