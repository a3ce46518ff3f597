/**
 * A tiny protected API for the client tests: it checks each bearer token by introspection at the
 * real Tessera (RFC 7662), so a token revoked there is refused here at once with a 401
 * `invalid_token` challenge (RFC 6750 §3.1). It records the tokens it saw.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestApi {
  url: string;
  /** Authorization headers of every request, in order. */
  seen: string[];
  /** Make every answer a 403 insufficient_scope (to check the client does not retry those). */
  refuseScope: boolean;
  close(): Promise<void>;
}

export interface TestApiOptions {
  issuer: string;
  /** `Authorization: Basic …` of the API's own client (permission `introspect`). */
  basic: string;
  /** Scope required per route (`'GET /cookies': 'cookies:read'`), like the cookie-jar example. */
  scopes?: Record<string, string>;
  /** RFC 9470: routes that need this `acr` (`'GET /cookies/last': 'urn:tessera:acr:mfa'`). */
  stepUp?: Record<string, string>;
}

export async function startIntrospectingApi(options: TestApiOptions): Promise<TestApi> {
  const seen: string[] = [];
  const api: TestApi = { url: '', seen, refuseScope: false, close: async () => {} };
  const server = http.createServer(async (request, response) => {
    const authorization = request.headers.authorization ?? '';
    seen.push(authorization);
    // Drain the body (the client may send one); echo its length so tests see it arrived.
    let length = 0;
    for await (const chunk of request) {
      length += (chunk as Buffer).length;
    }
    if (api.refuseScope) {
      response.writeHead(403, {
        'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="more"',
      });
      response.end();
      return;
    }
    const token = authorization.startsWith('Bearer ') ? authorization.slice(7) : '';
    const introspection = await fetch(`${options.issuer}/introspect`, {
      method: 'POST',
      headers: { authorization: options.basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    const result = (await introspection.json()) as {
      active: boolean;
      client_id?: string;
      scope?: string;
      sub?: string;
      acr?: string;
    };
    if (!result.active) {
      response.writeHead(401, {
        'www-authenticate':
          'Bearer realm="api", error="invalid_token", error_description="The access token is not active"',
      });
      response.end();
      return;
    }
    const needed = options.scopes?.[`${request.method} ${request.url}`];
    if (needed !== undefined && !(result.scope ?? '').split(' ').includes(needed)) {
      response.writeHead(403, {
        'www-authenticate': `Bearer realm="api", error="insufficient_scope", scope="${needed}"`,
      });
      response.end();
      return;
    }
    const acr = options.stepUp?.[`${request.method} ${request.url}`];
    if (acr !== undefined && result.acr !== acr) {
      response.writeHead(401, {
        'www-authenticate': `Bearer realm="api", error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="${acr}", max_age=300`,
      });
      response.end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        client_id: result.client_id,
        sub: result.sub,
        bodyLength: length,
        cookies: request.url === '/cookies' ? ['chocolate chip', 'oatmeal'] : undefined,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  api.url = `http://127.0.0.1:${port}`;
  api.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return api;
}
