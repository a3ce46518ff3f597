/**
 * The console's way to its own server: a `fetch` that answers requests for the issuer's origin by
 * Fastify's `inject` (no socket, no private back door: the same routes, hooks and checks as any
 * caller). Anything for another origin is refused, so the console never reaches outside.
 */
import type { FastifyInstance } from 'fastify';

export type LoopbackFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export function createLoopbackFetch(app: () => FastifyInstance, issuer: string): LoopbackFetch {
  const origin = new URL(issuer);
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.origin !== origin.origin) {
      throw new TypeError(`The console only calls its own server, not ${url.origin}`);
    }
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    headers.host = origin.host;
    const body = request.body === null ? undefined : Buffer.from(await request.arrayBuffer());
    const response = await app().inject({
      method: request.method as 'GET',
      url: `${url.pathname}${url.search}`,
      headers,
      ...(body === undefined ? {} : { payload: body }),
    });
    const out = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [String(value)]) {
        out.append(name, one);
      }
    }
    const empty = response.statusCode === 204 || response.statusCode === 304;
    return new Response(empty ? null : new Uint8Array(response.rawPayload), {
      status: response.statusCode,
      headers: out,
    });
  };
}
