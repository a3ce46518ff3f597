/**
 * The console's calls to the admin API: through the BFF's proxy with the signed-in person's access
 * token (the proxy attaches it), so the admin API's own checks decide every read and every change.
 * The page request came from the person's browser (checked by `isSameOrigin` before any change);
 * the proxied call is the server's own, so it carries the proxy's CSRF marker and this origin.
 */
import type { Bff } from '@tessera/client/bff';
import type { FastifyRequest } from 'fastify';

/** An admin API answer. */
export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export type ConsoleApi = (
  request: FastifyRequest,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
) => Promise<ApiAnswer>;

export function createConsoleApi(bff: Bff, origin: string): ConsoleApi {
  return async (request, method, path, body) => {
    const payload = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
    const answer = await bff.handle({
      method,
      url: `/console/api${path}`,
      headers: {
        cookie: request.headers.cookie,
        'x-requested-with': 'tessera-console',
        origin,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: async () => payload,
    });
    const text =
      typeof answer?.body === 'string' ? answer.body : Buffer.from(answer?.body ?? []).toString('utf8');
    let parsed: Record<string, unknown> = {};
    try {
      const value: unknown = JSON.parse(text);
      parsed = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    } catch {
      parsed = {};
    }
    return { status: answer?.status ?? 502, body: parsed };
  };
}

/** Every item of a paged admin list (`items` + `next`), up to `maxPages` pages of 100. */
export async function listAll<T>(
  api: ConsoleApi,
  request: FastifyRequest,
  path: string,
  maxPages = 20,
): Promise<{ status: number; body: Record<string, unknown>; items: T[] }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const query = new URLSearchParams({ limit: '100', ...(cursor === undefined ? {} : { cursor }) });
    const answer = await api(request, 'GET', `${path}${path.includes('?') ? '&' : '?'}${query.toString()}`);
    if (answer.status !== 200) {
      return { ...answer, items };
    }
    items.push(...((answer.body.items as T[] | undefined) ?? []));
    cursor = typeof answer.body.next === 'string' ? answer.body.next : undefined;
    if (cursor === undefined) {
      break;
    }
  }
  return { status: 200, body: {}, items };
}
