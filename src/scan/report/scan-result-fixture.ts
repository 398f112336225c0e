/** Test helper: a hand-built scan of a small Debian image with an npm app and a Go binary. */
import type { Distro, Finding, Package } from '../model.ts';
import { purlEncode } from './image-purl.ts';
import type { ScanResult } from './scan-result.ts';

const LAYER_1 = { digest: `sha256:${'a1'.repeat(32)}`, diffId: `sha256:${'d1'.repeat(32)}`, size: 29_000_000 };
const LAYER_2 = { digest: `sha256:${'a2'.repeat(32)}`, diffId: `sha256:${'d2'.repeat(32)}`, size: 4_100_000 };
export const IMAGE_DIGEST = `sha256:${'9f'.repeat(32)}`;

function deb(name: string, version: string, licenses: readonly string[], source?: string): Package {
  return {
    type: 'deb',
    name,
    version,
    ...(source === undefined ? {} : { sourceName: source, sourceVersion: version }),
    arch: 'amd64',
    licenses,
    purl: `pkg:deb/debian/${name}@${purlEncode(version)}?arch=amd64&distro=debian-12`,
    location: 'var/lib/dpkg/status',
    foundBy: 'dpkg',
    layerDiffId: LAYER_1.diffId,
    layerDigest: LAYER_1.digest,
  };
}

export const LIBSSL = deb('libssl3', '3.0.11-1~deb12u2', ['Apache-2.0'], 'openssl');
export const ZLIB = deb('zlib1g', '1:1.2.13.dfsg-1', ['Zlib'], 'zlib');
export const BASE_FILES = deb('base-files', '12.4+deb12u5', ['GPL-2+', 'public-domain']);
export const LODASH: Package = {
  type: 'npm',
  name: 'lodash',
  version: '4.17.20',
  licenses: ['MIT'],
  purl: 'pkg:npm/lodash@4.17.20',
  location: 'app/node_modules/lodash/package.json',
  foundBy: 'npm',
  layerDiffId: LAYER_2.diffId,
  layerDigest: LAYER_2.digest,
};
export const BABEL: Package = { ...LODASH, name: '@babel/core', version: '7.24.0', licenses: ['mit OR Apache-2.0'], purl: 'pkg:npm/%40babel/core@7.24.0', location: 'app/node_modules/@babel/core/package.json' };
export const GO_NET: Package = {
  type: 'golang',
  name: 'golang.org/x/net',
  version: 'v0.17.0',
  licenses: [],
  purl: 'pkg:golang/golang.org/x/net@v0.17.0',
  location: 'usr/local/bin/server',
  foundBy: 'go-binary',
  layerDiffId: LAYER_2.diffId,
  layerDigest: LAYER_2.digest,
};

function finding(pkg: Package, fields: Partial<Finding> & Pick<Finding, 'id' | 'severity'>): Finding {
  return { aliases: [], package: pkg, fixedVersions: [], summary: `${fields.id} in ${pkg.name}`, references: [], ...fields };
}

export const FINDINGS: readonly Finding[] = [
  finding(ZLIB, { id: 'CVE-2023-45853', advisory: 'DEBIAN-CVE-2023-45853', severity: 'Negligible', summary: 'zlib: integer overflow in MiniZip zipOpenNewFileInZip4_64' }),
  finding(LODASH, {
    id: 'CVE-2021-23337',
    aliases: ['GHSA-35jh-r3h4-6jhm'],
    severity: 'High',
    advisory: 'GHSA-35jh-r3h4-6jhm',
    cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', score: 7.2, source: 'GHSA-35jh-r3h4-6jhm' },
    fixedVersions: ['4.17.21'],
    summary: 'Command injection in lodash template',
    references: ['https://github.com/advisories/GHSA-35jh-r3h4-6jhm', 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337'],
  }),
  finding(LIBSSL, {
    id: 'CVE-2024-5535',
    aliases: ['DSA-5764-1'],
    severity: 'Critical',
    cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H', score: 9.1 },
    fixedVersions: ['3.0.14-1~deb12u2'],
    summary: 'openssl: SSL_select_next_proto buffer overread',
    references: ['https://security-tracker.debian.org/tracker/CVE-2024-5535'],
  }),
  finding(LODASH, {
    id: 'CVE-2020-28500',
    aliases: ['GHSA-29mw-wpgm-hmr9'],
    severity: 'Medium',
    cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', score: 5.3, source: 'GHSA-29mw-wpgm-hmr9' },
    fixedVersions: ['4.17.21'],
    summary: 'Regular expression denial of service in lodash toNumber, trim and trimEnd',
    description: 'All versions of package lodash prior to 4.17.21 are vulnerable to Regular Expression Denial of Service (ReDoS) via the toNumber, trim and trimEnd functions.',
    published: Date.parse('2022-01-06T20:30:46Z'),
    modified: Date.parse('2023-09-05T22:58:25Z'),
    cweIds: ['CWE-1333', 'CWE-400'],
  }),
  finding(GO_NET, { id: 'GO-2024-2687', aliases: ['CVE-2023-45288'], severity: 'Unknown', fixedVersions: ['0.23.0'], summary: 'HTTP/2 CONTINUATION flood in net/http' }),
];

/** The fixture with some fields replaced; `distro: null` drops the distribution. */
export function scanFixture(overrides: Omit<Partial<ScanResult>, 'distro'> & { readonly distro?: Distro | null } = {}): ScanResult {
  const { distro = { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' }, ...rest } = overrides;
  return {
    artifact: {
      name: 'registry.example/team/api:1.4',
      digest: IMAGE_DIGEST,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      imageId: `sha256:${'c0'.repeat(32)}`,
      repoTags: ['registry.example/team/api:1.4'],
      repoDigests: [`registry.example/team/api@${IMAGE_DIGEST}`],
      config: { architecture: 'amd64', os: 'linux' },
      layers: [LAYER_1, LAYER_2],
    },
    ...(distro === null ? {} : { distro }),
    packages: [BASE_FILES, LIBSSL, ZLIB, LODASH, BABEL, GO_NET],
    findings: FINDINGS,
    db: { updatedAt: Date.parse('2025-01-10T06:11:52Z'), advisories: 1234 },
    scanner: { name: 'Slipway', vendor: 'Slipway', version: '0.1.0' },
    createdAt: Date.parse('2025-01-15T10:00:00.250Z'),
    warnings: [],
    ...rest,
  };
}
