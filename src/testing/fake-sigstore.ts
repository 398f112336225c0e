/**
 * An in-process Sigstore with real crypto for tests: a Fulcio (v2 `signingCert`) and a Rekor
 * (v1 `log/entries`) on two loopback HTTP servers, and the `trusted_root.json` that verifies what
 * they issue. Every instance has its own keys, so a second instance is an untrusted Sigstore for
 * the first one's root. `caClock` issues certificates at another time than the log integrates
 * them (`caClock` an hour ago ⇒ a certificate expired at signing time).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { listenLocal } from './local-server.ts';
import { createFakeFulcio, type IdentityClaims } from './fake-fulcio.ts';
import { createFakeRekorLog, type FakeRekorLog } from './fake-rekor-log.ts';

export type { IdentityClaims } from './fake-fulcio.ts';

export interface FakeSigstoreOptions {
  /**
   * The time of every service (certificates, SCTs, log integration); the real clock when absent.
   * The mock CA's root certificate is valid from the real start time for a year, so a time
   * before the start makes chains invalid: for past certificates use `caClock`.
   */
  readonly clock?: Date;
  /** The time certificates and SCTs are issued at, overriding `clock` for the CA only. */
  readonly caClock?: Date;
  /** Global log index = shard index + offset (default 1000, so the two differ). */
  readonly logIndexOffset?: number;
}

/** A sigstore `trusted_root.json` (protobuf JSON: bytes base64, times RFC 3339). */
export interface TrustedRootDocument {
  readonly mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';
  readonly tlogs: readonly TransparencyLogInstance[];
  readonly certificateAuthorities: readonly CertificateAuthority[];
  readonly ctlogs: readonly TransparencyLogInstance[];
  readonly timestampAuthorities: readonly CertificateAuthority[];
}

export interface TransparencyLogInstance {
  readonly baseUrl: string;
  readonly hashAlgorithm: 'SHA2_256';
  readonly publicKey: { readonly rawBytes: string; readonly keyDetails: 'PKIX_ECDSA_P256_SHA_256'; readonly validFor: { readonly start: string } };
  readonly logId: { readonly keyId: string };
}

export interface CertificateAuthority {
  readonly subject: { readonly organization: string; readonly commonName: string };
  readonly uri: string;
  readonly certChain: { readonly certificates: readonly { readonly rawBytes: string }[] };
  readonly validFor: { readonly start: string };
}

export interface FakeSigstore {
  /** `http://127.0.0.1:<port>`: `POST /api/v2/signingCert`. */
  readonly fulcioUrl: string;
  /** `http://127.0.0.1:<port>`: `POST /api/v1/log/entries`, `GET /api/v1/log/entries/{uuid}`. */
  readonly rekorUrl: string;
  /** The trusted root for this instance's CA, CT log and Rekor log. */
  readonly trustedRoot: TrustedRootDocument;
  /** An identity token this instance's Fulcio accepts (HS256, signed by the instance's issuer key). */
  identityToken(claims: IdentityClaims): string;
  close(): Promise<void>;
}

/** Starts the two services on free loopback ports. */
export async function startFakeSigstore(options: FakeSigstoreOptions = {}): Promise<FakeSigstore> {
  const caClock = options.caClock ?? options.clock;
  const fulcio = await createFakeFulcio(caClock === undefined ? {} : { clock: caClock });
  let log: FakeRekorLog | undefined;
  const fulcioServer = createServer((request, response) => {
    void serve(request, response, async (method, path, body) => {
      if (method === 'POST' && path === '/api/v2/signingCert') return fulcio.signingCert(body);
      return undefined;
    });
  });
  const rekorServer = createServer((request, response) => {
    void serve(request, response, async (method, path, body) => {
      if (log === undefined) return undefined;
      if (method === 'POST' && path === '/api/v1/log/entries') return toReply(log.create(body));
      const uuid = /^\/api\/v1\/log\/entries\/([0-9a-fA-F]+)$/.exec(path)?.[1];
      if (method === 'GET' && uuid !== undefined) return toReply(log.get(uuid));
      return undefined;
    });
  });
  const fulcioUrl = `http://${await listenLocal(fulcioServer)}`;
  const rekorUrl = `http://${await listenLocal(rekorServer)}`;
  log = createFakeRekorLog({
    url: rekorUrl,
    logIndexOffset: options.logIndexOffset ?? 1000,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const validFrom = new Date(Math.min(Date.now(), options.clock?.getTime() ?? Infinity, caClock?.getTime() ?? Infinity) - 60_000);
  const trustedRoot = trustedRootDocument({ fulcioUrl, rekorUrl, validFrom, rootCertificate: fulcio.rootCertificate, tlogKey: log.publicKey, ctlogKey: fulcio.ctlogPublicKey });
  return {
    fulcioUrl,
    rekorUrl,
    trustedRoot,
    identityToken: (claims) => fulcio.identityToken(claims),
    close: async () => {
      await Promise.all([stop(fulcioServer), stop(rekorServer)]);
    },
  };
}

interface TrustedRootParts {
  readonly fulcioUrl: string;
  readonly rekorUrl: string;
  readonly validFrom: Date;
  readonly rootCertificate: Buffer;
  readonly tlogKey: Buffer;
  readonly ctlogKey: Buffer;
}

function trustedRootDocument(parts: TrustedRootParts): TrustedRootDocument {
  const start = parts.validFrom.toISOString();
  const logInstance = (baseUrl: string, key: Buffer): TransparencyLogInstance => ({
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: key.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
    logId: { keyId: createHash('sha256').update(key).digest('base64') },
  });
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [logInstance(parts.rekorUrl, parts.tlogKey)],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: parts.fulcioUrl,
        certChain: { certificates: [{ rawBytes: parts.rootCertificate.toString('base64') }] },
        validFor: { start },
      },
    ],
    // The mock CT log has no HTTP face; its URL is only a name.
    ctlogs: [logInstance(`${parts.fulcioUrl}/ct`, parts.ctlogKey)],
    timestampAuthorities: [],
  };
}

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
  readonly headers?: Readonly<Record<string, string>>;
}

type Route = (method: string, path: string, body: string) => Promise<Reply | undefined>;

function toReply(answer: { readonly status: number; readonly body: string; readonly headers?: Readonly<Record<string, string>> }): Reply {
  return { status: answer.status, body: answer.body, contentType: 'application/json', ...(answer.headers === undefined ? {} : { headers: answer.headers }) };
}

async function serve(request: IncomingMessage, response: ServerResponse, route: Route): Promise<void> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    const reply = (await route(request.method ?? 'GET', path, Buffer.concat(chunks).toString('utf8'))) ?? {
      status: 404,
      body: JSON.stringify({ code: 404, message: `no route for ${request.method} ${path}` }),
      contentType: 'application/json',
    };
    response.writeHead(reply.status, { 'content-type': reply.contentType, ...reply.headers });
    response.end(reply.body);
  } catch (error) {
    response.writeHead(500, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ code: 500, message: error instanceof Error ? error.message : String(error) }));
  }
}

async function stop(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error === undefined ? resolve() : reject(error))));
  server.closeAllConnections();
  await closed;
}
