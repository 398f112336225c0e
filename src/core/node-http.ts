/**
 * node:http and node:https as their CommonJS objects. `import … from 'node:http'` builds an ES
 * module facade that reads every export, and reading `http.WebSocket` loads undici: about 45 ms
 * of every CLI start (measured on Node 24). process.getBuiltinModule returns the same modules
 * without the facade. Types still come from `import type`.
 */
export const http = process.getBuiltinModule('node:http');
export const https = process.getBuiltinModule('node:https');
