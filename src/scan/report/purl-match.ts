/** Package URLs parsed far enough to compare them the way go-vex (and Trivy) matches VEX products. */

export interface ParsedPurl {
  readonly type: string;
  readonly namespace: string;
  readonly name: string;
  readonly version?: string;
  readonly qualifiers: ReadonlyMap<string, string>;
  readonly subpath?: string;
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Types whose names compare case-insensitively (purl-spec lowercases them); PyPI also folds `_` to `-`. */
function normalizeName(type: string, text: string): string {
  if (type === 'pypi') return text.toLowerCase().replace(/[-_.]+/g, '-');
  return ['deb', 'apk', 'golang', 'oci', 'github', 'bitbucket'].includes(type) ? text.toLowerCase() : text;
}

function parseQualifiers(text: string): Map<string, string> | undefined {
  const qualifiers = new Map<string, string>();
  for (const pair of text === '' ? [] : text.split('&')) {
    const eq = pair.indexOf('=');
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1));
    if (eq <= 0 || value === undefined) return undefined;
    if (value !== '') qualifiers.set(pair.slice(0, eq).toLowerCase(), value);
  }
  return qualifiers;
}

/** `pkg:type/namespace/name@version?qualifiers#subpath`, or `undefined` when it is not a purl. */
export function parsePurl(text: string): ParsedPurl | undefined {
  if (!text.startsWith('pkg:')) return undefined;
  const [beforeHash = '', subpath] = text.slice(4).replace(/^\/+/, '').split('#', 2);
  const question = beforeHash.indexOf('?');
  const qualifiers = parseQualifiers(question < 0 ? '' : beforeHash.slice(question + 1));
  const path = question < 0 ? beforeHash : beforeHash.slice(0, question);
  const lastAt = path.lastIndexOf('@');
  const at = lastAt > path.lastIndexOf('/') ? lastAt : -1;
  const version = at < 0 ? undefined : decode(path.slice(at + 1));
  const segments = (at < 0 ? path : path.slice(0, at)).split('/').map(decode);
  const type = segments.shift()?.toLowerCase();
  const name = segments.pop();
  if (qualifiers === undefined || type === undefined || type === '' || name === undefined || name === '' || segments.includes(undefined)) return undefined;
  return {
    type,
    namespace: normalizeName(type, segments.join('/')),
    name: normalizeName(type, name),
    ...(version === undefined || version === '' ? {} : { version }),
    qualifiers,
    ...(subpath === undefined || subpath === '' ? {} : { subpath }),
  };
}

/**
 * Does a VEX product purl cover a scanned package's purl? Type, namespace and name must be equal;
 * a versionless VEX purl matches every version; every VEX qualifier must be present and equal in
 * the scanned purl (which may carry more).
 */
export function purlMatches(vexPurl: string, scannedPurl: string): boolean {
  const vex = parsePurl(vexPurl);
  const scanned = parsePurl(scannedPurl);
  if (vex === undefined || scanned === undefined) return false;
  if (vex.type !== scanned.type || vex.namespace !== scanned.namespace || vex.name !== scanned.name) return false;
  if (vex.version !== undefined && vex.version !== scanned.version) return false;
  if (vex.subpath !== undefined && vex.subpath !== scanned.subpath) return false;
  return [...vex.qualifiers].every(([key, value]) => scanned.qualifiers.get(key) === value);
}
