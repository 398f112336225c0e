import { SignError } from './sign-error.ts';

/** One PEM block: its label (`PUBLIC KEY`, `ENCRYPTED SIGSTORE PRIVATE KEY` …) and its decoded bytes. */
export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

const BEGIN = /-----BEGIN ([^\r\n]+?)-----\r?\n/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The label of the first PEM block of `text` (`''` without one): which kind of key was given. */
export function pemLabel(text: string): string {
  return BEGIN.exec(text)?.[1] ?? '';
}

/**
 * The first PEM block of `text` (text around it is ignored, as Go's `pem.Decode` does), if its
 * label is one of `labels`. No block, another label, PEM headers (legacy OpenSSL encryption) or a
 * body that is not base64 → `KEY_INVALID`.
 */
export function decodePem(text: string, labels: readonly string[]): PemBlock {
  const begin = BEGIN.exec(text);
  if (begin === null) throw new SignError('KEY_INVALID', 'invalid pem block: no -----BEGIN …----- line');
  const label = begin[1] ?? '';
  if (!labels.includes(label)) throw new SignError('KEY_INVALID', `unsupported pem type: ${label}`);
  const start = begin.index + begin[0].length;
  const end = text.indexOf(`-----END ${label}-----`, start);
  if (end === -1) throw new SignError('KEY_INVALID', `invalid pem block: no -----END ${label}----- line`);
  const body = text.slice(start, end);
  if (body.includes(':')) throw new SignError('KEY_INVALID', `invalid pem block: PEM headers (legacy encrypted PEM) are not supported in ${label}`);
  const compact = body.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new SignError('KEY_INVALID', `invalid pem block: the ${label} body is not base64`);
  return { label, der: Buffer.from(compact, 'base64') };
}

/** A PEM block as Go's `pem.Encode` writes it: 64-character base64 lines, a final newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.map((line) => `${line}\n`).join('')}-----END ${label}-----\n`;
}

/** The DER bytes of every `label` block in a text (a certificate, or a chain of them), in order. */
export function pemBlocks(text: string, label = 'CERTIFICATE'): Buffer[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  const blocks = [...text.matchAll(pattern)].map((m) => Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
  if (blocks.length === 0 && text.trim() !== '') throw new SignError('SIGNATURE_MALFORMED', `no ${label} PEM block in the annotation`);
  return blocks;
}

/** A certificate in PEM. */
export const certificatePem = (der: Uint8Array): string => encodePem('CERTIFICATE', der);
