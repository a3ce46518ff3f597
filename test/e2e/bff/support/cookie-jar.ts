/**
 * The cookie-jar API of examples/cookie-jar (that file listens at import, so it cannot be loaded
 * here): the same routes and scopes, protected by the real @tessera/verify (local JWT checks
 * against Tessera's JWKS, plus its revocation stream), on a free port. It records the
 * Authorization headers it received so the test knows which tokens exist.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { protect } from '../../../../packages/verify/src/adapters/node.js';
import { createVerifier } from '../../../../packages/verify/src/index.js';

export interface CookieJar {
  url: string;
  /** Authorization headers received, in order. */
  seen: string[];
  close(): Promise<void>;
}

export async function startCookieJar(options: {
  issuer: string;
  audience: string;
  client: { clientId: string; clientSecret: string };
}): Promise<CookieJar> {
  const verifier = createVerifier({
    issuer: options.issuer,
    audience: options.audience,
    realm: 'cookie-jar',
    client: options.client,
  });
  const seen: string[] = [];
  let cookies = 12;
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const listCookies = protect(
    verifier,
    (_req, res, token) => json(res, 200, { cookies, for: token.subject }),
    {
      scope: 'cookies:read',
    },
  );
  const eatCookie = protect(
    verifier,
    (_req, res, token) => {
      cookies -= 1;
      json(res, 200, { eaten: 1, left: cookies, by: token.subject });
    },
    { scope: 'cookies:eat' },
  );
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization ?? '');
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/cookies') {
      void listCookies(req, res);
    } else if (req.method === 'POST' && path === '/cookies/eat') {
      void eatCookie(req, res);
    } else {
      json(res, 404, { error: 'not found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    async close() {
      await verifier.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
