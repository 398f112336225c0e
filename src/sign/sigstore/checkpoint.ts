/**
 * Log checkpoints: a signed note (https://github.com/C2SP/C2SP/blob/main/signed-note.md) whose text is
 * `<origin>\n<tree size>\n<b64 root hash>\n[other lines\n]`, followed by a blank line and one signature line per
 * signer, `— <key name> <b64(4-byte key hint ‖ signature)>\n`. The signature covers the text up to and including the
 * newline before the blank line.
 */

/** One signature line of a signed note. */
export interface NoteSignature {
  readonly name: string;
  readonly keyHint: Buffer;
  readonly signature: Buffer;
}

/** A signed note, split into the signed text and its signatures. */
export interface SignedNote {
  /** The signed bytes: the note text including its final `\n`. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** The body of a checkpoint note. */
export interface Checkpoint {
  readonly origin: string;
  readonly treeSize: bigint;
  readonly rootHash: Buffer;
  readonly otherLines: readonly string[];
}

/** A parse result: the value, or why the input is not one. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const SIGNATURE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/;

function signatureLine(line: string): NoteSignature | undefined {
  const match = SIGNATURE_LINE.exec(line);
  if (match === null) return undefined;
  const bytes = Buffer.from(match[2] ?? '', 'base64');
  if (bytes.length < 5) return undefined;
  return { name: match[1] ?? '', keyHint: bytes.subarray(0, 4), signature: bytes.subarray(4) };
}

/** Splits a signed note into its text and signature lines; every line after the blank line must be a signature. */
export function parseSignedNote(envelope: string): Parsed<SignedNote> {
  const separator = envelope.indexOf('\n\n');
  if (separator < 0) return { ok: false, reason: 'the note has no blank line before its signatures' };
  if (!envelope.endsWith('\n')) return { ok: false, reason: 'the note does not end with a newline' };
  const text = envelope.slice(0, separator + 1);
  const rest = envelope.slice(separator + 2, -1);
  if (rest === '') return { ok: false, reason: 'the note has no signatures' };
  const lines = rest.split('\n');
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    const signature = signatureLine(line);
    if (signature === undefined) return { ok: false, reason: `malformed signature line ${JSON.stringify(line)}` };
    signatures.push(signature);
  }
  return { ok: true, value: { text, signatures } };
}

/** Reads the checkpoint body (origin, decimal tree size, base64 SHA-256 root hash, other lines) out of a note text. */
export function parseCheckpoint(text: string): Parsed<Checkpoint> {
  const lines = text.slice(0, -1).split('\n');
  const [origin, size, root, ...otherLines] = lines;
  if (origin === undefined || origin === '' || size === undefined || root === undefined) {
    return { ok: false, reason: 'the checkpoint needs an origin, a tree size and a root hash line' };
  }
  if (!/^(0|[1-9]\d*)$/.test(size)) return { ok: false, reason: `tree size ${JSON.stringify(size)} is not a decimal number` };
  if (!/^[A-Za-z0-9+/]{43}=$/.test(root)) return { ok: false, reason: `root hash ${JSON.stringify(root)} is not a base64 SHA-256 hash` };
  return { ok: true, value: { origin, treeSize: BigInt(size), rootHash: Buffer.from(root, 'base64'), otherLines } };
}
