/**
 * Which findings a report shows: severity and fix filters (Trivy's `--severity`, `--ignore-unfixed`)
 * and OpenVEX suppression (Trivy's `--vex`).
 *
 * VEX matching: a statement names the finding when its vulnerability `name`, `@id` or an alias
 * equals the finding's id or one of its aliases; it covers the package when a product (its `@id` or
 * `identifiers.purl`) matches the package purl (versionless and qualifier-subset purls match), or when
 * the product is the scanned image (a `pkg:oci/…` purl matching the image's own as a package's does,
 * versionless included: needs `imagePurl`; a `pkg:oci/…@<digest>` purl, `…@<digest>` reference, the
 * digest itself or its `sha-256` hash: needs `imageDigest`) and either lists no subcomponents or lists one
 * matching the package. A statement without products covers nothing. Among the statements that
 * apply to a finding the latest (`last_updated`, else `timestamp`, inherited from the document; ties
 * go to the later statement) decides; `not_affected` and `fixed` suppress. Expired statements
 * (`slipway_expires` ≤ `now`, see openvex.ts) are ignored.
 */
import type { Finding, Package, Severity } from '../model.ts';
import type { OpenVexComponent, OpenVexDocument, OpenVexProduct, OpenVexStatement } from './openvex.ts';
import { parsePurl, purlMatches } from './purl-match.ts';

export { parseOpenVex } from './openvex.ts';
export type { OpenVexDocument, OpenVexStatement } from './openvex.ts';

export interface FilterOptions {
  /** Keep only these severities (all when absent). */
  readonly severities?: readonly Severity[];
  /** Keep only findings with a fixed version. */
  readonly ignoreUnfixed?: boolean;
  readonly vex?: OpenVexDocument | readonly OpenVexDocument[];
  /** The scanned image's manifest digest, so statements whose product is the image can apply. */
  readonly imageDigest?: string;
  /** The scanned image's purl (`pkg:oci/api@sha256:…?arch=amd64&repository_url=…`), for products naming it by purl without a digest. */
  readonly imagePurl?: string;
  /** For statement expiry; defaults to the current time. */
  readonly now?: number;
}

export interface Suppression {
  readonly finding: Finding;
  readonly statement: OpenVexStatement;
}

export interface FilterResult {
  readonly kept: readonly Finding[];
  /** Findings a VEX statement suppressed (among those the severity and fix filters kept). */
  readonly suppressed: readonly Suppression[];
}

interface Candidate {
  readonly statement: OpenVexStatement;
  /** ms since the epoch; statements without any time sort first. */
  readonly time: number;
  readonly order: number;
}

function timeOf(...values: (string | undefined)[]): number {
  const value = values.find((v) => v !== undefined);
  return value === undefined ? Number.NEGATIVE_INFINITY : Date.parse(value);
}

/** Every statement still in force, with the time that orders it. */
function candidates(vex: FilterOptions['vex'], now: number): readonly Candidate[] {
  const documents: readonly OpenVexDocument[] = vex === undefined ? [] : 'statements' in vex ? [vex] : vex;
  const all = documents.flatMap((doc) =>
    doc.statements.map((statement) => ({
      statement,
      time: timeOf(statement.last_updated, statement.timestamp, doc.last_updated, doc.timestamp),
      expires: timeOf(statement.slipway_expires, doc.slipway_expires),
    })),
  );
  return all
    .map((c, order) => ({ statement: c.statement, time: c.time, order, expires: c.expires }))
    .filter((c) => c.expires === Number.NEGATIVE_INFINITY || now < c.expires);
}

function namesFinding(statement: OpenVexStatement, finding: Finding): boolean {
  const ids = new Set([finding.id, ...finding.aliases, ...(finding.advisory === undefined ? [] : [finding.advisory])].map((id) => id.toUpperCase()));
  const { name, aliases = [] } = statement.vulnerability;
  return [name, statement.vulnerability['@id'], ...aliases].some((id) => id !== undefined && ids.has(id.toUpperCase()));
}

function identifiers(component: OpenVexComponent): readonly string[] {
  return [component['@id'], component.identifiers?.purl].filter((id) => id !== undefined);
}

function identifiesPackage(component: OpenVexComponent, pkg: Package): boolean {
  return pkg.purl !== '' && identifiers(component).some((id) => purlMatches(id, pkg.purl));
}

interface ScannedImage {
  readonly digest?: string | undefined;
  readonly purl?: string | undefined;
}

function identifiesImage(component: OpenVexComponent, image: ScannedImage): boolean {
  const { digest, purl } = image;
  const ids = identifiers(component);
  if (purl !== undefined && ids.some((id) => parsePurl(id)?.type === 'oci' && purlMatches(id, purl))) return true;
  if (digest === undefined) return false;
  const byId = ids.some((id) => id === digest || id.endsWith(`@${digest}`) || (parsePurl(id)?.type === 'oci' && parsePurl(id)?.version === digest));
  return byId || (digest.startsWith('sha256:') && component.hashes?.['sha-256'] === digest.slice('sha256:'.length));
}

function coversPackage(product: OpenVexProduct, pkg: Package, image: ScannedImage): boolean {
  const subcomponents = product.subcomponents ?? [];
  if (subcomponents.length === 0) return identifiesPackage(product, pkg) || identifiesImage(product, image);
  return identifiesImage(product, image) && subcomponents.some((sub) => identifiesPackage(sub, pkg));
}

/** The statement that decides a finding: the latest that names it and covers its package. */
function deciding(finding: Finding, all: readonly Candidate[], image: ScannedImage): OpenVexStatement | undefined {
  let best: Candidate | undefined;
  for (const candidate of all) {
    const { statement } = candidate;
    if (!namesFinding(statement, finding) || !(statement.products ?? []).some((p) => coversPackage(p, finding.package, image))) continue;
    if (best === undefined || candidate.time > best.time || (candidate.time === best.time && candidate.order > best.order)) best = candidate;
  }
  return best?.statement;
}

/** Applies the severity, fix and VEX filters; `kept` keeps the input order. */
export function filterFindings(findings: readonly Finding[], options: FilterOptions = {}): FilterResult {
  const { severities, ignoreUnfixed = false } = options;
  const statements = candidates(options.vex, options.now ?? Date.now());
  const kept: Finding[] = [];
  const suppressed: Suppression[] = [];
  for (const finding of findings) {
    if (severities !== undefined && !severities.includes(finding.severity)) continue;
    if (ignoreUnfixed && finding.fixedVersions.length === 0) continue;
    const statement = deciding(finding, statements, { digest: options.imageDigest, purl: options.imagePurl });
    if (statement !== undefined && (statement.status === 'not_affected' || statement.status === 'fixed')) suppressed.push({ finding, statement });
    else kept.push(finding);
  }
  return { kept, suppressed };
}
