import { ATTESTATION_TYPE_NAMES, predicateTypeOf } from '../../core/policy/trust-policy.ts';
import { SignError } from '../sign-error.ts';

/**
 * The predicate of `attest --type <type> --predicate <file>`, as cosign builds it: `custom`
 * wraps the file as `{Data, Timestamp}`, `spdx` takes it as a string, the JSON types take it
 * verbatim; `vuln` wraps a bare scanner report (our Trivy JSON) in cosign's vuln predicate.
 */
export function attestationPredicate(type: string, file: Buffer, now: Date = new Date()): { predicateType: string; predicate: unknown } {
  const predicateType = predicateTypeOf(type);
  if (predicateType === undefined) throw new SignError('ATTESTATION_INVALID', `unknown attestation type ${JSON.stringify(type)}: use ${ATTESTATION_TYPE_NAMES} or a predicate type URI`);
  const name = type.toLowerCase();
  const timestamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (name === 'custom') return { predicateType, predicate: { Data: file.toString('utf8'), Timestamp: timestamp } };
  if (name === 'spdx') return { predicateType, predicate: file.toString('utf8') };
  const json = parseJson(file, type);
  checkDocumentKind(name, json);
  if (name === 'vuln' && (json === null || typeof json !== 'object' || !('scanner' in json))) {
    return { predicateType, predicate: vulnPredicate(json, { finishedOn: timestamp }) };
  }
  return { predicateType, predicate: json };
}

/** cosign's vuln predicate (`COSIGN_VULN_ATTESTATION_SPEC`) around a scanner's report. */
export function vulnPredicate(report: unknown, scan: { finishedOn: string; startedOn?: string; scannerVersion?: string; dbVersion?: string }): unknown {
  return {
    invocation: { parameters: null, uri: '', event_id: '', 'builder.id': '' },
    scanner: { uri: 'pkg:github/slipway/slipway', version: scan.scannerVersion ?? '', db: { uri: '', version: scan.dbVersion ?? '' }, result: report },
    metadata: { scanStartedOn: scan.startedOn ?? scan.finishedOn, scanFinishedOn: scan.finishedOn },
  };
}

/**
 * An SBOM attested as the other format is refused (cosign does not look): whoever verifies
 * `--type cyclonedx` must not be handed an SPDX document. Other types are taken as they are.
 */
function checkDocumentKind(name: string, json: unknown): void {
  const fields = json !== null && typeof json === 'object' ? (json as Record<string, unknown>) : {};
  const spdx = typeof fields['spdxVersion'] === 'string';
  const cyclonedx = fields['bomFormat'] === 'CycloneDX';
  if (name === 'spdxjson' && !spdx) {
    throw new SignError('ATTESTATION_INVALID', `the predicate is not an SPDX JSON document (no spdxVersion)${cyclonedx ? '; it is CycloneDX: use --type cyclonedx' : ''}`);
  }
  if (name === 'cyclonedx' && !cyclonedx) {
    throw new SignError('ATTESTATION_INVALID', `the predicate is not a CycloneDX JSON document (no "bomFormat": "CycloneDX")${spdx ? '; it is SPDX: use --type spdxjson' : ''}`);
  }
}

function parseJson(file: Buffer, type: string): unknown {
  try {
    return JSON.parse(file.toString('utf8'));
  } catch (error) {
    throw new SignError('ATTESTATION_INVALID', `the ${type} predicate file is not JSON`, { cause: error });
  }
}
