import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compareVersions, schemeForEcosystem, VERSION_SCHEMES, VersionError, type VersionScheme } from './index.ts';
import { VECTORS_DIR } from './test-vectors.ts';

function isInvalid(err: unknown): boolean {
  return err instanceof VersionError && err.code === 'VERSION_INVALID';
}

describe('compareVersions', () => {
  it('dispatches to each scheme', () => {
    const cases: readonly (readonly [VersionScheme, string, string, -1 | 0 | 1])[] = [
      ['dpkg', '3.0.11-1~deb12u2', '3.0.11-1', -1],
      ['apk', '1.0_rc1', '1.0', -1],
      ['rpm', '1:1.0-1.el9', '2.0-1.el9', 1],
      ['semver', '1.0.0-rc.1', '1.0.0', -1],
      ['pep440', '1.0.post1', '1.0', 1],
      ['go', 'v1.2.4-0.20200101000000-abcdefabcdef', '1.2.4', -1],
      ['maven', '1.0-SNAPSHOT', '1.0', -1],
    ];
    for (const [scheme, a, b, expected] of cases) {
      assert.equal(compareVersions(scheme, a, b), expected, `${scheme}: ${a} vs ${b}`);
      assert.equal(compareVersions(scheme, b, a), -expected, `${scheme}: ${b} vs ${a}`);
    }
    assert.equal(cases.length, VERSION_SCHEMES.length);
  });

  it('fails closed with a VersionError for versions a scheme cannot compare', () => {
    const cases: readonly (readonly [VersionScheme, string])[] = [
      ['dpkg', '1.0-'], ['dpkg', ''], ['apk', '1-ruff'], ['apk', ''], ['rpm', ''], ['semver', 'latest'],
      ['pep440', '0.9-doduo'], ['go', '(devel)'], ['go', 'v1.02'], ['maven', '1.'.repeat(200)],
    ];
    for (const [scheme, bad] of cases) {
      assert.throws(() => compareVersions(scheme, bad, '1.0.0'), isInvalid, `${scheme}: ${bad}`);
      assert.throws(() => compareVersions(scheme, '1.0.0', bad), isInvalid, `${scheme}: ${bad} (second)`);
    }
  });
});

describe('schemeForEcosystem', () => {
  it('maps OSV ecosystems with and without release suffixes', () => {
    const cases: readonly (readonly [string, VersionScheme | undefined])[] = [
      ['Debian:12', 'dpkg'], ['Debian', 'dpkg'], ['Ubuntu:22.04:LTS', 'dpkg'], ['Ubuntu:Pro:18.04:LTS', 'dpkg'],
      ['Alpine:v3.18', 'apk'], ['Wolfi', 'apk'], ['Chainguard', 'apk'],
      ['Red Hat:rhel_aus:8.4::appstream', 'rpm'], ['AlmaLinux:9', 'rpm'], ['Rocky Linux:9', 'rpm'],
      ['SUSE:Linux Enterprise Server 15 SP5', 'rpm'], ['openSUSE:Leap 15.5', 'rpm'],
      ['npm', 'semver'], ['PyPI', 'pep440'], ['Go', 'go'], ['Maven', 'maven'], ['Maven:https://repo.example.org/maven2', 'maven'],
      ['crates.io', undefined], ['RubyGems', undefined], ['debian:12', undefined], ['', undefined], ['Alpine Linux', undefined],
    ];
    for (const [ecosystem, scheme] of cases) assert.equal(schemeForEcosystem(ecosystem), scheme, ecosystem);
  });
});

describe('the shared version vectors', () => {
  it('are each asserted by a test here: a vector file added to ../shared/data/versions is not left out', () => {
    const tests = readdirSync(new URL('.', import.meta.url))
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => readFileSync(new URL(name, import.meta.url), 'utf8'))
      .join('\n');
    const files = readdirSync(VECTORS_DIR).filter((name) => name.endsWith('.jsonl'));
    assert.ok(files.length >= 23, `${files.length} vector files`);
    assert.deepEqual(files.filter((name) => !tests.includes(`'${name}'`)), []);
  });
});
