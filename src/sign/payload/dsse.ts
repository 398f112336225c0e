import type { DsseEnvelope } from '../model.ts';
import { SignError } from '../sign-error.ts';
import { decodeBase64 } from '../sigstore/proto-json.ts';

export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** DSSE's pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(body)> <body>` — what is actually signed. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.byteLength} `), type, Buffer.from(` ${payload.byteLength} `), payload]);
}

/** The envelope as cosign (Go, `dsse.Envelope`) writes it: payloadType, payload, signatures[{keyid, sig}]. */
export function serializeEnvelope(envelope: DsseEnvelope): Buffer {
  return Buffer.from(
    JSON.stringify({
      payloadType: envelope.payloadType,
      payload: envelope.payload.toString('base64'),
      signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig.toString('base64') })),
    }),
  );
}

/** Parses an envelope; standard and URL-safe base64 are both accepted (Node's decoder takes either). */
export function parseEnvelope(value: unknown): DsseEnvelope {
  if (value === null || typeof value !== 'object') throw new SignError('SIGNATURE_MALFORMED', 'the DSSE envelope is not an object');
  const { payload, payloadType, signatures } = value as Record<string, unknown>;
  if (typeof payload !== 'string' || typeof payloadType !== 'string' || !Array.isArray(signatures) || signatures.length === 0) {
    throw new SignError('SIGNATURE_MALFORMED', 'the DSSE envelope needs a payload, a payloadType and at least one signature');
  }
  return {
    payloadType,
    payload: decodeStrict(payload, 'payload'),
    signatures: signatures.map((s: unknown, i) => {
      const { sig, keyid } = (s ?? {}) as Record<string, unknown>;
      if (typeof sig !== 'string') throw new SignError('SIGNATURE_MALFORMED', `DSSE signature ${i} has no sig`);
      return { keyid: typeof keyid === 'string' ? keyid : '', sig: decodeStrict(sig, `signature ${i}`) };
    }),
  };
}

export function parseEnvelopeBytes(bytes: Buffer): DsseEnvelope {
  try {
    return parseEnvelope(JSON.parse(bytes.toString('utf8')));
  } catch (error) {
    if (error instanceof SignError) throw error;
    throw new SignError('SIGNATURE_MALFORMED', 'the DSSE envelope is not JSON', { cause: error });
  }
}

/** Strict base64 (standard or URL-safe, padding optional): Node's decoder silently skips garbage, this does not. */
function decodeStrict(text: string, what: string): Buffer {
  return decodeBase64(text) ?? fail(what);
}

function fail(what: string): never {
  throw new SignError('SIGNATURE_MALFORMED', `${what} is not base64`);
}
