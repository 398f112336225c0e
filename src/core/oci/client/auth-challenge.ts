/**
 * `WWW-Authenticate` parsing and token scopes (Docker token auth, RFC 7235 challenges).
 * A scope atom is one `type:name:action` triple; scopes on the wire group the actions of a resource.
 */
import { compareStrings } from '../../format/compare-strings.ts';

export interface Challenge {
  /** Lower case: `bearer`, `basic`, … */
  readonly scheme: string;
  /** Parameter names lower case: `realm`, `service`, `scope`, `error`. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;

/** Parses every challenge of a `WWW-Authenticate` value (`Bearer realm="…",scope="…", Basic realm="…"`). */
export function parseWwwAuthenticate(value: string): readonly Challenge[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let current: { scheme: string; params: Record<string, string> } | undefined;
  let i = 0;
  while (i < value.length) {
    i = skip(value, i, ' \t,');
    const name = tokenAt(value, i);
    if (name === undefined) break;
    const afterName = skip(value, i + name.length, ' \t');
    if (value[afterName] === '=' && current !== undefined) {
      const parsed = paramValue(value, skip(value, afterName + 1, ' \t'));
      current.params[name.toLowerCase()] = parsed.value;
      i = parsed.end;
    } else {
      current = { scheme: name.toLowerCase(), params: {} };
      challenges.push(current);
      i += name.length;
    }
  }
  return challenges;
}

function skip(value: string, from: number, chars: string): number {
  let i = from;
  while (i < value.length && chars.includes(value[i] ?? '')) i++;
  return i;
}

function tokenAt(value: string, at: number): string | undefined {
  TOKEN.lastIndex = at;
  return TOKEN.exec(value)?.[0];
}

function paramValue(value: string, at: number): { value: string; end: number } {
  if (value[at] !== '"') {
    const token = tokenAt(value, at) ?? '';
    return { value: token, end: at + token.length };
  }
  let out = '';
  let i = at + 1;
  while (i < value.length && value[i] !== '"') {
    if (value[i] === '\\' && i + 1 < value.length) i++;
    out += value[i];
    i++;
  }
  return { value: out, end: i + 1 };
}

/** `repository:dev/app:pull,push repository:base:pull` → one atom per action. */
export function parseScopes(scope: string): readonly string[] {
  const atoms: string[] = [];
  for (const part of scope.split(' ')) {
    const first = part.indexOf(':');
    const last = part.lastIndexOf(':');
    if (first <= 0 || last === first) continue;
    const resource = part.slice(0, last);
    for (const action of part.slice(last + 1).split(',')) if (action !== '') atoms.push(`${resource}:${action}`);
  }
  return atoms;
}

/** Atoms back to wire scopes, one per resource, actions joined: `repository:dev/app:pull,push`. */
export function formatScopes(atoms: Iterable<string>): readonly string[] {
  const byResource = new Map<string, Set<string>>();
  for (const atom of atoms) {
    const last = atom.lastIndexOf(':');
    const resource = atom.slice(0, last);
    const actions = byResource.get(resource) ?? new Set<string>();
    actions.add(atom.slice(last + 1));
    byResource.set(resource, actions);
  }
  return [...byResource].toSorted(([a], [b]) => compareStrings(a, b)).map(([resource, actions]) => `${resource}:${[...actions].toSorted().join(',')}`);
}

export function pullScope(repository: string): readonly string[] {
  return [`repository:${repository}:pull`];
}

export function pushScope(repository: string): readonly string[] {
  return [`repository:${repository}:pull`, `repository:${repository}:push`];
}

export function deleteScope(repository: string): readonly string[] {
  return [`repository:${repository}:delete`];
}

/** The repository named by the first `repository:` atom, for credential files keyed by repository. */
export function scopeRepository(atoms: readonly string[]): string | undefined {
  const atom = atoms.find((a) => a.startsWith('repository:'));
  return atom === undefined ? undefined : atom.slice('repository:'.length, atom.lastIndexOf(':'));
}
