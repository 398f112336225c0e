/** Where an advisory id comes from (by its prefix), and which CVSS version a vector is. */

export interface AdvisorySource {
  /** Trivy's source key (`nvd`, `ghsa`, …), used for `CVSS` maps. */
  readonly key: string;
  readonly name: string;
  /** The advisory's page. */
  readonly url: string;
}

const SOURCES: readonly { readonly prefix: RegExp; readonly key: string; readonly name: string; readonly url: (id: string) => string }[] = [
  { prefix: /^CVE-/, key: 'nvd', name: 'NVD', url: (id) => `https://nvd.nist.gov/vuln/detail/${id}` },
  { prefix: /^GHSA-/, key: 'ghsa', name: 'GitHub Advisory Database', url: (id) => `https://github.com/advisories/${id}` },
  { prefix: /^GO-/, key: 'go', name: 'Go Vulnerability Database', url: (id) => `https://pkg.go.dev/vuln/${id}` },
  { prefix: /^(DSA|DLA|DTSA)-/, key: 'debian', name: 'Debian Security Tracker', url: (id) => `https://security-tracker.debian.org/tracker/${id}` },
  { prefix: /^(USN|UBUNTU)-/, key: 'ubuntu', name: 'Ubuntu Security Notices', url: (id) => `https://ubuntu.com/security/notices/${id.replace(/^UBUNTU-/, '')}` },
  { prefix: /^PYSEC-/, key: 'pypa', name: 'PyPA Advisory Database', url: (id) => `https://osv.dev/vulnerability/${id}` },
];

/** The naming authority of an advisory id; anything unrecognised is looked up on OSV. */
export function advisorySource(id: string): AdvisorySource {
  const source = SOURCES.find((s) => s.prefix.test(id));
  if (source === undefined) return { key: 'osv', name: 'OSV', url: `https://osv.dev/vulnerability/${encodeURIComponent(id)}` };
  return { key: source.key, name: source.name, url: source.url(id) };
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
