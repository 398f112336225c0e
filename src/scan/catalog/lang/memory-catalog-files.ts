/**
 * Test support: `CatalogFiles` held in memory, built from literal files or from a directory of real
 * data laid out as it would be inside an image. Each file is kept whole, and with what every
 * cataloger's `extract` keeps of it, as the walker does.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { catalogers } from '../../catalogers.ts';
import type { CatalogFile, CatalogFiles, Cataloger } from '../../model.ts';

export interface MemoryFile {
  readonly path: string;
  readonly content: Buffer | string;
  /** Default 0o644. */
  readonly mode?: number;
}

export const TEST_LAYER = { layerDiffId: `sha256:${'d'.repeat(64)}`, layerDigest: `sha256:${'c'.repeat(64)}` } as const;

/** The files as kept files of one layer (`TEST_LAYER`), in path order. */
export function memoryCatalogFiles(files: readonly MemoryFile[]): CatalogFiles {
  const kept: CatalogFile[] = files
    .map((file) => {
      const content = Buffer.from(file.content);
      const mode = file.mode ?? 0o644;
      const extracts = new Map<string, Buffer>();
      for (const cataloger of catalogers) {
        const extractor = cataloger.extract?.(file.path, { mode, size: content.length });
        extractor?.push(content);
        const extract = extractor?.end(() => undefined, { left: Number.POSITIVE_INFINITY });
        if (extract !== undefined) extracts.set(cataloger.name, extract);
      }
      return { path: file.path, mode, size: content.length, content, ...(extracts.size > 0 ? { extracts } : {}), ...TEST_LAYER };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const byPath = new Map(kept.map((file) => [file.path, file]));
  return { get: (path) => byPath.get(path), list: () => kept };
}

/** Every regular file under `dir`, placed under `prefix` (no leading `/`), that `cataloger` wants or extracts from. */
export function catalogFilesFromDir(dir: string, prefix: string, cataloger: Cataloger): CatalogFiles {
  const files: MemoryFile[] = [];
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const full = join(dir, name);
    const stat = statSync(full);
    const path = [prefix, relative(dir, full).split(sep).join('/')].filter((part) => part !== '').join('/');
    const info = { mode: stat.mode & 0o7777, size: stat.size };
    if (stat.isFile() && (cataloger.wants(path, info) || cataloger.extract?.(path, info) !== undefined)) files.push({ path, content: readFileSync(full), mode: stat.mode & 0o7777 });
  }
  return memoryCatalogFiles(files);
}
