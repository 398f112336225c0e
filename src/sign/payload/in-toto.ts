import { SignError } from '../sign-error.ts';

export const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
/** The predicate type of cosign v3's image signature (a DSSE statement in a sigstore bundle). */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

export interface Statement {
  readonly type: string;
  readonly subjects: readonly { readonly name?: string; readonly digest: Readonly<Record<string, string>> }[];
  readonly predicateType: string;
  readonly predicate: unknown;
}

/**
 * The statement cosign v3 signs for an image in the bundle scheme: in-toto v1, one subject with
 * the manifest digest and the `-a` annotations, predicate type sign/v1, empty predicate.
 */
export function signStatement(manifestDigest: string, annotations: Readonly<Record<string, string>> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: STATEMENT_V1,
      subject: [{ digest: digestMap(manifestDigest), annotations: sortedRecord(annotations) }],
      predicateType: COSIGN_SIGN_PREDICATE,
      predicate: {},
    }),
  );
}

/**
 * An attestation statement as `cosign attest` writes it (v2 and v3 alike): in-toto v0.1 with the
 * repository as the subject name. Verifiers accept v0.1 and v1; v0.1 keeps older ones working.
 */
export function attestationStatement(repository: string, manifestDigest: string, predicateType: string, predicate: unknown): Buffer {
  return Buffer.from(JSON.stringify({ _type: STATEMENT_V01, predicateType, subject: [{ name: repository, digest: digestMap(manifestDigest) }], predicate }));
}

/** Parses the exact payload bytes of a DSSE envelope into a statement (v0.1 or v1). */
export function parseStatement(payload: Buffer): Statement {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    throw new SignError('ATTESTATION_INVALID', 'the in-toto statement is not JSON', { cause: error });
  }
  const v = (value ?? {}) as Record<string, unknown>;
  if (v['_type'] !== STATEMENT_V1 && v['_type'] !== STATEMENT_V01) throw new SignError('ATTESTATION_INVALID', `unknown statement type ${JSON.stringify(v['_type'])}`);
  if (typeof v['predicateType'] !== 'string') throw new SignError('ATTESTATION_INVALID', 'the statement has no predicateType');
  if (!Array.isArray(v['subject']) || v['subject'].length === 0) throw new SignError('ATTESTATION_INVALID', 'the statement has no subject');
  const subjects = v['subject'].map((s: unknown) => {
    const { name, digest } = (s ?? {}) as Record<string, unknown>;
    if (digest === null || typeof digest !== 'object') throw new SignError('ATTESTATION_INVALID', 'a statement subject has no digest');
    return { ...(typeof name === 'string' ? { name } : {}), digest: digest as Record<string, string> };
  });
  return { type: v['_type'], subjects, predicateType: v['predicateType'], predicate: v['predicate'] };
}

/** Whether some subject names the manifest digest (in-toto matches by digest only). */
export function statementCovers(statement: Statement, manifestDigest: string): boolean {
  const [algorithm, hex] = manifestDigest.split(':');
  return statement.subjects.some((s) => algorithm !== undefined && s.digest[algorithm] === hex);
}

function digestMap(manifestDigest: string): Record<string, string> {
  const [algorithm, hex] = manifestDigest.split(':');
  if (algorithm === undefined || hex === undefined) throw new SignError('IMAGE_UNKNOWN', `not a digest: ${manifestDigest}`);
  return { [algorithm]: hex };
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}
