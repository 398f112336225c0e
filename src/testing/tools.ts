import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/**
 * The path of an external tool the tests need (skopeo, docker-registry, …). A missing tool fails
 * the test loudly, naming the Debian package that provides it; `.ci/run` installs them.
 */
export async function requireTool(command: string, debianPackage: string, extraDirs: readonly string[] = []): Promise<string> {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), ...extraDirs].filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(
    `MISSING TOOL: '${command}' is not installed, and this test needs the real thing. ` +
      `Install it with: apt-get install ${debianPackage}   (.ci/run does this in CI)`,
  );
}
