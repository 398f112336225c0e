import type { Distro } from '../model.ts';

/** Where the walker finds the distribution; `etc/os-release` wins (freedesktop.org os-release(5)). */
export const OS_RELEASE_PATHS: readonly string[] = ['etc/os-release', 'usr/lib/os-release'];

/** Debian's point release (`12.15`), which its os-release does not give (`VERSION_ID="12"`). */
export const DEBIAN_VERSION_PATH = 'etc/debian_version';

/** The distribution files the walker keeps. */
export const DISTRO_PATHS: readonly string[] = [...OS_RELEASE_PATHS, DEBIAN_VERSION_PATH];

/**
 * The distribution: its os-release, with Debian's point release from `etc/debian_version` when that
 * is one of the same major release (a testing image's `trixie/sid` is not).
 */
export function distroFrom(osRelease: string, debianVersion: string | undefined): Distro | undefined {
  const distro = parseOsRelease(osRelease);
  if (distro === undefined || distro.id !== 'debian' || debianVersion === undefined) return distro;
  const release = debianVersion.trim();
  return /^\d+\.\d+$/.test(release) && release.split('.')[0] === distro.versionId ? { ...distro, release } : distro;
}

/**
 * Parses os-release(5): `KEY=value` lines, values optionally in shell quotes with `\` escapes,
 * `#` comments. `ID` defaults to `linux` and `PRETTY_NAME` to `NAME` or `Linux`, as the spec says;
 * text without a single assignment is not an os-release file.
 */
export function parseOsRelease(text: string): Distro | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match?.[1] !== undefined) fields.set(match[1], unquote((match[2] ?? '').trim()));
  }
  if (fields.size === 0) return undefined;
  return {
    id: (fields.get('ID') || 'linux').toLowerCase(),
    versionId: fields.get('VERSION_ID') ?? '',
    prettyName: fields.get('PRETTY_NAME') || fields.get('NAME') || 'Linux',
  };
}

function unquote(raw: string): string {
  const quote = raw[0];
  if (quote !== '"' && quote !== "'") return raw.replace(/\\(.)/g, '$1');
  let out = '';
  for (let index = 1; index < raw.length; index += 1) {
    const char = raw[index] ?? '';
    if (char === quote) break;
    if (quote === '"' && char === '\\' && index + 1 < raw.length) index += 1;
    out += raw[index] ?? '';
  }
  return out;
}
