/**
 * A REAL Tessera listening on 127.0.0.1 for the client tests (the client speaks HTTP, so inject()
 * is not enough), plus what the tests count: token requests as seen by the server (its
 * `/metrics` request counter).
 */
import { bootstrap, type TestServer } from '../../../server/test/support/bootstrap.js';
import { freePort } from '../../../server/test/support/listening.js';

export { freePort };

export interface ListeningTessera {
  t: TestServer;
  issuer: string;
  port: number;
  /** POST /token requests the server has answered so far (any status). */
  tokenRequests(): Promise<number>;
  close(): Promise<void>;
}

export async function startTessera(overrides: Record<string, unknown> = {}): Promise<ListeningTessera> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const t = await bootstrap({ issuer, port, ...overrides });
  await t.app.listen({ host: '127.0.0.1', port });
  return {
    t,
    issuer,
    port,
    async tokenRequests() {
      const response = await t.app.inject({ method: 'GET', url: '/metrics' });
      let total = 0;
      for (const line of response.body.split('\n')) {
        if (
          line.startsWith('tessera_http_requests_total{') &&
          line.includes('route="/token"') &&
          line.includes('method="POST"')
        ) {
          total += Number(line.slice(line.lastIndexOf(' ') + 1));
        }
      }
      return total;
    },
    close: () => t.close(),
  };
}
