/** One deb822 paragraph (dpkg status, DEP-5 copyright): field names lowercased, continuation lines joined by `\n`. */
export type Paragraph = ReadonlyMap<string, string>;

/**
 * Parses deb822 text: paragraphs separated by blank lines, `Field: value` lines, continuation
 * lines starting with a space or tab, `#` comment lines. Lines that fit none of these are ignored.
 */
export function parseDeb822(text: string, onParagraph?: () => void): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  let fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (fields.size > 0) {
        onParagraph?.();
        paragraphs.push(fields);
      }
      fields = new Map();
      last = undefined;
    } else if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last !== undefined) fields.set(last, `${fields.get(last) ?? ''}\n${line.slice(1)}`);
    } else if (!line.startsWith('#')) {
      const colon = line.indexOf(':');
      last = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : undefined;
      if (last !== undefined) fields.set(last, line.slice(colon + 1).trim());
    }
  }
  if (fields.size > 0) {
    onParagraph?.();
    paragraphs.push(fields);
  }
  return paragraphs;
}

/** A field's first line, trimmed; undefined when absent or empty. */
export function firstLine(value: string | undefined): string | undefined {
  const line = value?.split('\n', 1)[0]?.trim();
  return line === '' ? undefined : line;
}
