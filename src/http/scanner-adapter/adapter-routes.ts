import type { AdapterRoute } from './adapter-route.ts';
import { metadataHandler } from './metadata-handler.ts';
import { reportHandler } from './report-handler.ts';
import { scanHandler } from './scan-handler.ts';

/** The Pluggable Scanner API v1.2 under `/api/v1`. */
export const adapterRoutes: readonly AdapterRoute[] = [
  { method: 'GET', pattern: /^\/metadata$/, name: 'adapter.metadata', handle: metadataHandler },
  { method: 'POST', pattern: /^\/scan$/, name: 'adapter.scan', handle: scanHandler },
  { method: 'GET', pattern: /^\/scan\/([^/]+)\/report$/, name: 'adapter.report', handle: reportHandler },
];
