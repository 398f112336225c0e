import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { listenLocal } from '../../../testing/local-server.ts';
import { RegistryClientError } from './client-error.ts';
import { createRegistryClient, type RegistryClient } from './registry-client.ts';

/** A registry paging tags the CNCF way: `n`, `last`, a relative `Link` with rel="next". */
describe('tag listing across Link pages', () => {
  const tags = Array.from({ length: 11 }, (_, i) => `v${String(i).padStart(2, '0')}`);
  const requests: string[] = [];
  let server: Server;
  let host: string;
  let client: RegistryClient;

  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(`${url.pathname}${url.search}`);
      if (url.pathname === '/v2/') return void res.end('{}');
      const n = Number(url.searchParams.get('n') ?? 100);
      const last = url.searchParams.get('last');
      const start = last === null ? 0 : tags.indexOf(last) + 1;
      const page = tags.slice(start, start + n);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (start + n < tags.length) {
        headers['link'] = url.pathname.includes('elsewhere')
          ? `<http://other.example/v2/elsewhere/tags/list?last=${page.at(-1)}&n=${n}>; rel="next"`
          : `</v2/app/tags/list?last=${page.at(-1)}&n=${n}>; rel="next"`;
      }
      res.writeHead(200, headers).end(JSON.stringify({ name: 'app', tags: page }));
    });
    host = await listenLocal(server);
    client = createRegistryClient({ insecure: true });
  });
  after(() => {
    client.close();
    server.close();
  });

  it('follows every page, in order, each tag once', async () => {
    requests.length = 0;
    const listed: string[] = [];
    for await (const tag of client.repository(host, 'app').listTags({ pageSize: 4 })) listed.push(tag);
    assert.deepEqual(listed, tags);
    assert.deepEqual(
      requests.filter((r) => r.includes('tags')),
      ['/v2/app/tags/list?n=4', '/v2/app/tags/list?last=v03&n=4', '/v2/app/tags/list?last=v07&n=4'],
    );
  });

  it('refuses to follow a next page on another origin', async () => {
    const listed: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const tag of client.repository(host, 'elsewhere').listTags({ pageSize: 4 })) listed.push(tag);
      })(),
      (e: unknown) => e instanceof RegistryClientError && e.code === 'PROTOCOL',
    );
    assert.deepEqual(listed, tags.slice(0, 4));
  });
});
