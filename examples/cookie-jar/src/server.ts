/**
 * The cookie jar: a tiny API protected by `@tessera/verify` on plain `node:http`.
 *
 * - `GET /cookies` needs the scope `cookies:read`;
 * - `POST /cookies/eat` needs the scope `cookies:eat`;
 * - `POST /cookies/eat-last` (the last cookie) also needs a passkey sign-in at most five minutes old
 *   (RFC 9470 step-up: otherwise 401 `insufficient_user_authentication`, see docs/mfa.md);
 * - anything else is 404.
 *
 * Configuration (environment): `ISSUER` (Tessera's URL, default http://127.0.0.1:4000), `AUDIENCE`
 * (this API's identifier, default http://127.0.0.1:3000), `PORT` (default 3000), and the API's own
 * client at Tessera, `CLIENT_ID` / `CLIENT_SECRET`, used for the revocation stream, opaque tokens
 * and API keys. See README.md for a walk-through.
 */
import { createServer, type ServerResponse } from 'node:http';
import { createVerifier } from '@tessera/verify';
import { protect } from '@tessera/verify/node';

const issuer = process.env.ISSUER ?? 'http://127.0.0.1:4000';
const audience = process.env.AUDIENCE ?? 'http://127.0.0.1:3000';
const port = Number(process.env.PORT ?? 3000);
const clientId = process.env.CLIENT_ID;
const clientSecret = process.env.CLIENT_SECRET;

const verifier = createVerifier({
  issuer,
  audience,
  realm: 'cookie-jar',
  ...(clientId !== undefined && clientSecret !== undefined ? { client: { clientId, clientSecret } } : {}),
  onError: (error) => console.warn('[verify]', error instanceof Error ? error.message : error),
});

let cookies = 12;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(`${JSON.stringify(body)}\n`);
}

const listCookies = protect(
  verifier,
  (_req, res, token) => json(res, 200, { cookies, for: token.subject, via: token.tokenType }),
  { scope: 'cookies:read' },
);

const eatCookie = protect(
  verifier,
  (_req, res, token) => {
    if (cookies === 0) {
      json(res, 409, { error: 'the jar is empty' });
      return;
    }
    cookies -= 1;
    json(res, 200, { eaten: 1, left: cookies, by: token.subject });
  },
  { scope: 'cookies:eat' },
);

const eatLastCookie = protect(
  verifier,
  (_req, res, token) => {
    if (cookies !== 1) {
      json(res, 409, { error: cookies === 0 ? 'the jar is empty' : 'this is not the last cookie' });
      return;
    }
    cookies = 0;
    json(res, 200, { eaten: 1, left: 0, by: token.subject });
  },
  { scope: 'cookies:eat', authentication: { acr: 'urn:tessera:acr:phr', maxAge: 300 } },
);

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method === 'GET' && path === '/cookies') {
    void listCookies(req, res);
  } else if (req.method === 'POST' && path === '/cookies/eat') {
    void eatCookie(req, res);
  } else if (req.method === 'POST' && path === '/cookies/eat-last') {
    void eatLastCookie(req, res);
  } else if (req.method === 'GET' && path === '/status') {
    // What the verifier knows: discovery, the revocation stream, the cache. Not for production.
    json(res, 200, verifier.status());
  } else {
    json(res, 404, { error: 'not found' });
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`cookie jar on http://127.0.0.1:${port} (issuer ${issuer}, audience ${audience})`);
  verifier.ready().then(
    () => console.log(`verifier ready: revocation stream ${verifier.status().revocations.state}`),
    (error: unknown) => console.warn('verifier not ready:', error),
  );
});

function shutdown(): void {
  server.close();
  void verifier.close();
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
