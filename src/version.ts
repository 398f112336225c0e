import { readFileSync } from 'node:fs';

/** Slipway's version, from package.json (read once at start). */
export const SLIPWAY_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
