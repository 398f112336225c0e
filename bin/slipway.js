#!/usr/bin/env node
// In a checkout Slipway runs its TypeScript sources directly (Node 24's type stripping). An
// installed package has no sources (Node will not strip types under node_modules): it runs the
// JavaScript that `npm pack` built into dist/.
import { existsSync } from 'node:fs';

const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(`slipway needs Node.js 24 or later (this is ${process.versions.node}); run it through npm (npm exec slipway) to use the pinned Node.\n`);
  process.exit(1);
}
const sources = new URL('../src/cli/main.ts', import.meta.url);
await import(existsSync(sources) ? sources.href : new URL('../dist/cli/main.js', import.meta.url).href);
