import { RegistryClientError } from './client-error.ts';

export type JsonObject = Readonly<Record<string, unknown>>;

/** Parses a small JSON response body that must be an object; PROTOCOL error otherwise. */
export function parseJsonObject(bytes: Uint8Array | string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new RegistryClientError('PROTOCOL', `${what}: the answer is not JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RegistryClientError('PROTOCOL', `${what}: the answer is not a JSON object`);
  return Object.fromEntries(Object.entries(value));
}
