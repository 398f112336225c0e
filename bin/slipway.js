#!/usr/bin/env node
// Slipway runs its TypeScript sources directly through Node's type stripping (Node 24+).
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(`slipway needs Node.js 24 or later (this is ${process.versions.node}); run it through npm (npm exec slipway) to use the pinned Node.\n`);
  process.exit(1);
}
await import('../src/cli/main.ts');
