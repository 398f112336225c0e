import { SignError } from '../sign-error.ts';
import { goJson, goMap } from './go-json.ts';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

/** The claims of a simple-signing payload (cosign's and containers/image's "critical" section). */
export interface SimpleSigningClaims {
  readonly dockerReference: string;
  readonly manifestDigest: string;
  readonly type: string;
  /** `-a key=value` annotations; `null` when none (cosign writes `"optional":null`). */
  readonly optional: Readonly<Record<string, unknown>> | null;
}

/**
 * The payload `cosign sign` signs in the legacy scheme, byte for byte: Go's encoding of
 * `{critical:{identity:{docker-reference}, image:{docker-manifest-digest}, type}, optional}`.
 * `dockerReference` is the repository without tag or digest.
 */
export function simpleSigningPayload(dockerReference: string, manifestDigest: string, optional?: Readonly<Record<string, string>>): Buffer {
  const claims = {
    critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': manifestDigest }, type: COSIGN_SIGNATURE_TYPE },
    optional: optional === undefined || Object.keys(optional).length === 0 ? null : goMap({ ...optional }),
  };
  return Buffer.from(goJson(claims));
}

/**
 * Parses the exact signed bytes. Like containers/image, `critical` must hold exactly identity,
 * image and type; cosign's and containers/image's types are both accepted.
 */
export function parseSimpleSigning(bytes: Buffer): SimpleSigningClaims {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new SignError('SIGNATURE_MALFORMED', 'the simple-signing payload is not JSON', { cause: error });
  }
  const critical = field(parsed, 'critical');
  if (critical === null || typeof critical !== 'object' || Array.isArray(critical)) throw malformed('has no "critical" object');
  const keys = Object.keys(critical).sort().join(',');
  if (keys !== 'identity,image,type') throw malformed(`"critical" must hold exactly identity, image and type, not ${keys}`);
  const reference = field(field(critical, 'identity'), 'docker-reference');
  const digest = field(field(critical, 'image'), 'docker-manifest-digest');
  const type = field(critical, 'type');
  if (typeof reference !== 'string' || typeof digest !== 'string' || typeof type !== 'string') throw malformed('has a non-string docker-reference, docker-manifest-digest or type');
  if (type !== COSIGN_SIGNATURE_TYPE && type !== 'atomic container signature') throw malformed(`has the unknown type "${type}"`);
  const optional = field(parsed, 'optional');
  if (optional !== null && optional !== undefined && (typeof optional !== 'object' || Array.isArray(optional))) throw malformed('"optional" is not an object');
  return { dockerReference: reference, manifestDigest: digest, type, optional: (optional ?? null) as Record<string, unknown> | null };
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined;
}

function malformed(what: string): SignError {
  return new SignError('SIGNATURE_MALFORMED', `the simple-signing payload ${what}`);
}
