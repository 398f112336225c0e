/**
 * An in-process RFC 3161 timestamp authority with real crypto: @sigstore/mock's TSA (a root and a time-stamping
 * leaf certificate, both valid for a year from creation, and DER TimeStampResps it signs), with the trusted-root
 * entry that trusts it. `clock` stamps another genTime than now (a year ahead ⇒ the TSA's certificates have expired).
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import { initializeTSA } from '@sigstore/mock';
import type { CertificateAuthority as TrustedAuthority } from '../sign/sigstore/trusted-root.ts';
import type { CertificateAuthority as AuthorityDocument } from './fake-sigstore.ts';

/** SHA-256 / SHA-512 OIDs for the request's message imprint. */
const HASH_OIDS = { sha256: '2.16.840.1.101.3.4.2.1', sha512: '2.16.840.1.101.3.4.2.3' } as const;

export interface FakeTsa {
  readonly uri: string;
  /** The TSA as a parsed trusted root holds it (leaf first, root last; trusted since the epoch). */
  readonly authority: TrustedAuthority;
  /** The TSA as `trusted_root.json` spells it. */
  readonly document: AuthorityDocument;
  /** A TimeStampResp (DER) over `data`; the signer certificate embedded unless `embedCertificate` is false. */
  timestamp(data: Buffer, options?: { readonly hash?: keyof typeof HASH_OIDS; readonly embedCertificate?: boolean }): Promise<Buffer>;
}

/**
 * Creates a TSA with a fresh P-256 key, stamping `clock` in whole seconds: the mock writes milliseconds without
 * trailing zeros, which DER allows but `@sigstore/core` does not read (it takes 3 digits). Without `clock`, two
 * seconds from now: safely after the certificates' start, which the mock sets when it creates them.
 */
export async function createFakeTsa(options: { readonly uri?: string; readonly clock?: Date } = {}): Promise<FakeTsa> {
  const uri = options.uri ?? 'https://tsa.test/api/v1/timestamp';
  const clock = new Date(Math.floor((options.clock?.getTime() ?? Date.now() + 2000) / 1000) * 1000);
  const tsa = await initializeTSA(generateKeyPairSync('ec', { namedCurve: 'P-256' }), clock);
  const chain = [bytes(tsa.intCertificate), bytes(tsa.rootCertificate)];
  const start = new Date(0);
  return {
    uri,
    authority: { uri, chain: chain.map((der) => X509Certificate.parse(der)), validFor: { start } },
    document: {
      subject: { organization: 'sigstore.mock', commonName: 'tsa' },
      uri,
      certChain: { certificates: chain.map((der) => ({ rawBytes: der.toString('base64') })) },
      validFor: { start: start.toISOString() },
    },
    async timestamp(data, request = {}) {
      const hash = request.hash ?? 'sha256';
      const response = await tsa.timestamp({
        artifactHash: createHash(hash).update(data).digest(),
        hashAlgorithmOID: HASH_OIDS[hash],
        nonce: 42,
        policyOID: '1.3.6.1.4.1.57264.2',
        certReq: request.embedCertificate ?? true,
      });
      return bytes(response);
    },
  };
}

/** A copy of the view's bytes, in a Buffer of its own. */
function bytes(view: ArrayBufferView): Buffer<ArrayBuffer> {
  return Buffer.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
}
