/**
 * `META-INF/MANIFEST.MF`: `Name: value` lines of the main section (up to the first blank line);
 * a line starting with one space continues the previous value (lines wrap at 72 bytes).
 */

/** The main section's attributes, keyed by name as written (`Implementation-Version`). */
export function parseJarManifest(text: string): ReadonlyMap<string, string> {
  const attributes = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') break;
    if (line.startsWith(' ')) {
      if (last !== undefined) attributes.set(last, `${attributes.get(last) ?? ''}${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    last = line.slice(0, colon).trim();
    attributes.set(last, line.slice(colon + 1).trim());
  }
  return attributes;
}
