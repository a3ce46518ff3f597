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
  /** What the jar answered, in order: path, status and WWW-Authenticate (RFC 6750 §3, RFC 9470 §3). */
  answers: Array<{ path: string; status: number; challenge: string | undefined }>;
  close(): Promise<void>;
}

export async function startCookieJar(options: {
  issuer: string;
  audience: string;
  client: { clientId: string; clientSecret: string };
  /** Cookies in the jar at the start (12 unless told). */
  cookies?: number;
}): Promise<CookieJar> {
  const verifier = createVerifier({
    issuer: options.issuer,
    audience: options.audience,
    realm: 'cookie-jar',
    client: options.client,
  });
  const seen: string[] = [];
  const answers: CookieJar['answers'] = [];
  let cookies = options.cookies ?? 12;
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
  // As in examples/cookie-jar: the last cookie needs a passkey sign-in at most five minutes old.
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
    seen.push(req.headers.authorization ?? '');
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    // The verifier's adapter hands its headers to writeHead (not setHeader): record them there.
    let challenge: string | undefined;
    const writeHead = res.writeHead.bind(res) as (
      status: number,
      headers?: Record<string, string>,
    ) => ServerResponse;
    (res as { writeHead: typeof writeHead }).writeHead = (status, headers) => {
      challenge = headers?.['www-authenticate'] ?? headers?.['WWW-Authenticate'];
      return writeHead(status, headers);
    };
    res.on('finish', () => answers.push({ path, status: res.statusCode, challenge }));
    if (req.method === 'GET' && path === '/cookies') {
      void listCookies(req, res);
    } else if (req.method === 'POST' && path === '/cookies/eat') {
      void eatCookie(req, res);
    } else if (req.method === 'POST' && path === '/cookies/eat-last') {
      void eatLastCookie(req, res);
    } else {
      json(res, 404, { error: 'not found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    answers,
    async close() {
      await verifier.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
