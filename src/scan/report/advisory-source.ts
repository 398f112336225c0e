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

export type CvssVersion = '2' | '3.0' | '3.1' | '4.0';

/** `CVSS:3.1/…` → `3.1`; a bare `AV:N/AC:L/Au:N/…` vector is version 2. */
export function cvssVersion(vector: string): CvssVersion | undefined {
  const match = /^CVSS:(3\.0|3\.1|4\.0)\//.exec(vector);
  if (match !== null) return match[1] as CvssVersion;
  return /^\(?AV:[LAN]\/AC:[HML]\/Au:[MSN]\//.test(vector) ? '2' : undefined;
}
