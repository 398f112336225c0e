/** Test support: builds jar/war/ear bytes (a plain zip, deflated entries) from name → content pairs. */
import { writeZip } from '../../../testing/zip-writer.ts';

export function buildJar(entries: Readonly<Record<string, Buffer | string>>): Buffer {
  return writeZip(Object.entries(entries).map(([name, data]) => ({ name, data })));
}
