import { once } from 'node:events';
import type { Server } from 'node:http';

/** Starts `server` on a free loopback port and returns `127.0.0.1:<port>`. */
export async function listenLocal(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  return `127.0.0.1:${address.port}`;
}
