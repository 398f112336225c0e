/**
 * A `.properties` file as Maven writes `pom.properties`: `key=value` or `key: value`, `#`/`!`
 * comments, backslash escapes and continuation lines.
 */

export function parseJavaProperties(text: string): ReadonlyMap<string, string> {
  const properties = new Map<string, string>();
  for (const line of logicalLines(text)) {
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) continue;
    const separator = /^((?:\\.|[^\\=:\s])+)\s*[=:\s]\s*/.exec(trimmed);
    if (separator === null) properties.set(unescape(trimmed), '');
    else properties.set(unescape(separator[1] ?? ''), unescape(trimmed.slice(separator[0].length).trimEnd()));
  }
  return properties;
}

/** Joins lines ending in an odd number of backslashes with the next (its leading blanks dropped). */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = pending === '' ? raw : raw.trimStart();
    const continued = /(?:^|[^\\])(?:\\\\)*\\$/.test(line);
    pending += continued ? line.slice(0, -1) : line;
    if (!continued) {
      lines.push(pending);
      pending = '';
    }
  }
  if (pending !== '') lines.push(pending);
  return lines;
}

const ESCAPES: ReadonlyMap<string, string> = new Map([['t', '\t'], ['n', '\n'], ['r', '\r'], ['f', '\f']]);

function unescape(value: string): string {
  return value.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, escaped: string) => {
    if (escaped.length === 5) return String.fromCharCode(Number.parseInt(escaped.slice(1), 16));
    return ESCAPES.get(escaped) ?? escaped;
  });
}
