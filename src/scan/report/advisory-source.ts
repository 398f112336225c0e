/** Where an advisory id comes from (by its prefix), and which CVSS version a vector is. */

import type { Finding } from '../model.ts';

export interface AdvisorySource {
  /** Trivy's source key (`nvd`, `ghsa`, …), used for `CVSS`, `VendorSeverity` and `SeveritySource`. */
  readonly key: string;
  readonly name: string;
  /** The advisory's page. */
  readonly url: string;
  /** The database's own page (Trivy's `DataSource.URL`). */
  readonly home: string;
}

const SOURCES: readonly { readonly prefix: RegExp; readonly key: string; readonly name: string; readonly home: string; readonly url: (id: string) => string }[] = [
  { prefix: /^CVE-/, key: 'nvd', name: 'NVD', home: 'https://nvd.nist.gov/', url: (id) => `https://nvd.nist.gov/vuln/detail/${id}` },
  { prefix: /^GHSA-/, key: 'ghsa', name: 'GitHub Advisory Database', home: 'https://github.com/advisories', url: (id) => `https://github.com/advisories/${id}` },
  { prefix: /^GO-/, key: 'go', name: 'Go Vulnerability Database', home: 'https://pkg.go.dev/vuln/', url: (id) => `https://pkg.go.dev/vuln/${id}` },
  {
    prefix: /^(DSA|DLA|DTSA|DEBIAN)-/,
    key: 'debian',
    name: 'Debian Security Tracker',
    home: 'https://security-tracker.debian.org/tracker/',
    url: (id) => `https://security-tracker.debian.org/tracker/${id.replace(/^DEBIAN-/, '')}`,
  },
  { prefix: /^ALPINE-/, key: 'alpine', name: 'Alpine Security Tracker', home: 'https://security.alpinelinux.org/', url: (id) => `https://security.alpinelinux.org/vuln/${id.replace(/^ALPINE-/, '')}` },
  { prefix: /^(USN|UBUNTU)-/, key: 'ubuntu', name: 'Ubuntu Security Notices', home: 'https://ubuntu.com/security/notices', url: (id) => `https://ubuntu.com/security/notices/${id.replace(/^UBUNTU-/, '')}` },
  { prefix: /^PYSEC-/, key: 'pypa', name: 'PyPA Advisory Database', home: 'https://github.com/pypa/advisory-database', url: (id) => `https://osv.dev/vulnerability/${id}` },
];

/** The naming authority of an advisory id; anything unrecognised is looked up on OSV. */
export function advisorySource(id: string): AdvisorySource {
  const source = SOURCES.find((s) => s.prefix.test(id));
  if (source === undefined) return { key: 'osv', name: 'OSV', home: 'https://osv.dev/', url: `https://osv.dev/vulnerability/${encodeURIComponent(id)}` };
  return { key: source.key, name: source.name, home: source.home, url: source.url(id) };
}

/** Where a finding's severity is from (Trivy's `SeveritySource`, `DataSource`): the advisory that rated it; none when it is Unknown. */
export function severitySource(finding: Finding): AdvisorySource | undefined {
  return finding.severity === 'Unknown' ? undefined : advisorySource(finding.advisory ?? finding.id);
}

/** The source key a finding's CVSS vector is filed under: the record that carried it (a GHSA record's is `ghsa`, even when the finding is named by its CVE). */
export function cvssSourceKey(finding: Finding): string {
  return advisorySource(finding.cvss?.source ?? finding.id).key;
}

/** Pages that are an advisory itself (not a commit, a mailing-list post or a source line). */
const ADVISORY_PAGE = /^https:\/\/(nvd\.nist\.gov\/vuln\/detail\/|www\.cve\.org\/CVERecord|github\.com\/advisories\/|github\.com\/[^/]+\/[^/]+\/security\/advisories\/|security-tracker\.debian\.org\/tracker\/|ubuntu\.com\/security\/|access\.redhat\.com\/(security\/cve|errata)\/|security\.alpinelinux\.org\/vuln\/|pkg\.go\.dev\/vuln\/|osv\.dev\/vulnerability\/)/;

/**
 * The page a report links a finding to (Trivy's `PrimaryURL`): the first of its references that is
 * an advisory page, else the page of its id's naming authority.
 */
export function primaryUrl(finding: { readonly id: string; readonly references: readonly string[] }): string {
  return finding.references.find((url) => ADVISORY_PAGE.test(url)) ?? advisorySource(finding.id).url;
}

export type CvssVersion = '2' | '3.0' | '3.1' | '4.0';

/** `CVSS:3.1/…` → `3.1`; a bare `AV:N/AC:L/Au:N/…` vector is version 2. */
export function cvssVersion(vector: string): CvssVersion | undefined {
  const match = /^CVSS:(3\.0|3\.1|4\.0)\//.exec(vector);
  if (match !== null) return match[1] as CvssVersion;
  return /^\(?AV:[LAN]\/AC:[HML]\/Au:[MSN]\//.test(vector) ? '2' : undefined;
}
