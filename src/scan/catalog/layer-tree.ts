import type { CatalogFile, CatalogFiles } from '../model.ts';
import { baseName, parentOf } from './entry-path.ts';

interface DirNode {
  readonly kind: 'dir';
  readonly children: Map<string, TreeNode>;
}
export interface FileNode {
  readonly kind: 'file';
  readonly file: CatalogFile;
  /** Index of the layer that wrote it. */
  readonly layer: number;
}
export interface LinkNode {
  readonly kind: 'link';
  readonly target: string;
  readonly layer: number;
}
export type TreeNode = DirNode | FileNode | LinkNode;

/** The bytes a kept file holds in memory: its content and its extracts. */
export function keptBytesOf(file: CatalogFile): number {
  let bytes = file.content.byteLength;
  for (const kept of file.extracts?.values() ?? []) bytes += kept.byteLength;
  for (const version of file.earlier ?? []) bytes += version.content.byteLength;
  return bytes;
}

/** Symlinks followed while resolving one path, at most. */
export const MAX_LINK_HOPS = 10;

/**
 * The image filesystem as far as the scan needs it, built layer by layer: kept files, every
 * symlink, and the directories between them. Paths are normalised (no leading `/`); they
 * resolve through symlinks inside the image only (`..` stops at the root, absolute targets start
 * at the image root). Whiteouts and opaque directories remove what lower layers wrote.
 */
export class LayerTree {
  readonly #root: DirNode = { kind: 'dir', children: new Map() };
  #keptBytes = 0;
  /**
   * Counts the changes that can change how a path resolves: a symlink put or dropped, a directory
   * dropped (with whatever links it held). Files coming and going never do.
   */
  #links = 0;
  /** The last resolution, reused while `#links` stands (a tar lists a directory's entries together). */
  #last: { path: string; followLast: boolean; links: number; resolved: string | undefined } | undefined;

  /** Bytes of every kept file currently in the tree. */
  get keptBytes(): number {
    return this.#keptBytes;
  }

  /**
   * `path` with the symlinks in its directories (and in its last segment when `followLast`)
   * resolved; undefined after more than MAX_LINK_HOPS symlinks (a loop).
   */
  resolve(path: string, followLast: boolean): string | undefined {
    const last = this.#last;
    if (last !== undefined && last.path === path && last.followLast === followLast && last.links === this.#links) return last.resolved;
    const resolved = this.#resolve(path, followLast);
    this.#last = { path, followLast, links: this.#links, resolved };
    return resolved;
  }

  #resolve(path: string, followLast: boolean): string | undefined {
    const done: string[] = [];
    const nodes: (TreeNode | undefined)[] = [this.#root];
    const pending = path.split('/').reverse();
    let hops = 0;
    while (pending.length > 0) {
      const name = pending.pop() ?? '';
      if (name === '' || name === '.') continue;
      if (name === '..') {
        if (done.pop() !== undefined) nodes.pop();
        continue;
      }
      const parent = nodes.at(-1);
      const child = parent?.kind === 'dir' ? parent.children.get(name) : undefined;
      if (child?.kind === 'link' && (followLast || pending.some((rest) => rest !== '' && rest !== '.'))) {
        if (++hops > MAX_LINK_HOPS) return undefined;
        if (child.target.startsWith('/')) {
          done.length = 0;
          nodes.length = 1;
        }
        pending.push(...child.target.split('/').reverse());
        continue;
      }
      done.push(name);
      nodes.push(child);
    }
    return done.join('/');
  }

  /** The node at a resolved path (no symlink followed). */
  node(path: string): TreeNode | undefined {
    let node: TreeNode | undefined = this.#root;
    for (const name of path === '' ? [] : path.split('/')) node = node?.kind === 'dir' ? node.children.get(name) : undefined;
    return node;
  }

  /** Puts a file or symlink at a resolved path, replacing whatever was there. */
  put(path: string, node: FileNode | LinkNode): void {
    const parent = this.#ensureDir(parentOf(path));
    const previous = parent.children.get(baseName(path));
    if (previous !== undefined) this.#forget(previous);
    parent.children.set(baseName(path), node);
    if (node.kind === 'file') this.#keptBytes += keptBytesOf(node.file);
    else this.#links += 1;
  }

  /** Removes whatever is at a resolved path (an entry of the current layer replaced it), and returns it. */
  remove(path: string): TreeNode | undefined {
    const parent = this.node(parentOf(path));
    const child = parent?.kind === 'dir' ? parent.children.get(baseName(path)) : undefined;
    if (parent?.kind !== 'dir' || child === undefined) return undefined;
    this.#forget(child);
    parent.children.delete(baseName(path));
    return child;
  }

  /** A directory entry: a lower file or symlink at `path` is replaced; a lower directory merges. */
  directory(path: string): void {
    const existing = this.node(path);
    if (existing !== undefined && existing.kind !== 'dir') this.remove(path);
  }

  /** `.wh.<name>`: lower-layer content at `path` goes; what `layer` itself wrote there stays. */
  whiteout(path: string, layer: number): void {
    const parent = this.node(parentOf(path));
    const child = parent?.kind === 'dir' ? parent.children.get(baseName(path)) : undefined;
    if (parent?.kind !== 'dir' || child === undefined || this.#keepsLayer(child, layer)) return;
    this.#forget(child);
    parent.children.delete(baseName(path));
  }

  /** `.wh..wh..opq`: lower-layer content under the directory `path` goes. */
  opaque(path: string, layer: number): void {
    const dir = this.node(path);
    if (dir?.kind === 'dir') this.#keepsLayer(dir, layer);
  }

  /** Every symlink: its path, and the layer that wrote it. */
  links(): { readonly path: string; readonly layer: number }[] {
    const found: { path: string; layer: number }[] = [];
    // Iterative: a tree as deep as PATH_MAX allows must not exhaust the stack.
    const pending: [string, TreeNode][] = [['', this.#root]];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const [path, node] = next;
      if (node.kind === 'link') found.push({ path, layer: node.layer });
      if (node.kind === 'dir') for (const [name, child] of node.children) pending.push([path === '' ? name : `${path}/${name}`, child]);
    }
    return found;
  }

  /** The read-only view catalogers get: `get` follows symlinks, `list` is in path order. */
  files(): CatalogFiles {
    const list: CatalogFile[] = [];
    const collect = (node: TreeNode): void => {
      if (node.kind === 'file') list.push(node.file);
      if (node.kind === 'dir') for (const child of node.children.values()) collect(child);
    };
    collect(this.#root);
    list.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const get = (path: string): CatalogFile | undefined => {
      const resolved = this.resolve(path, true);
      const node = resolved === undefined ? undefined : this.node(resolved);
      return node?.kind === 'file' ? node.file : undefined;
    };
    return { get, list: () => list };
  }

  /** Prunes everything below `layer` out of `node`; true when `node` still holds something `layer` wrote. */
  #keepsLayer(node: TreeNode, layer: number): boolean {
    if (node.kind !== 'dir') return node.layer === layer;
    for (const [name, child] of node.children) {
      if (this.#keepsLayer(child, layer)) continue;
      this.#forget(child);
      node.children.delete(name);
    }
    return node.children.size > 0;
  }

  #ensureDir(path: string): DirNode {
    let dir = this.#root;
    for (const name of path === '' ? [] : path.split('/')) {
      const child = dir.children.get(name);
      if (child?.kind === 'dir') {
        dir = child;
        continue;
      }
      if (child !== undefined) this.#forget(child);
      const created: DirNode = { kind: 'dir', children: new Map() };
      dir.children.set(name, created);
      dir = created;
    }
    return dir;
  }

  #forget(node: TreeNode): void {
    if (node.kind === 'file') this.#keptBytes -= keptBytesOf(node.file);
    else this.#links += 1;
    if (node.kind === 'dir') for (const child of node.children.values()) this.#forget(child);
  }
}
