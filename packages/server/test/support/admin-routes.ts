/**
 * The checks every admin route must pass (STYLE §9.6 "Admin routes"), run once per route:
 *
 * - no credential → 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3);
 * - a wrong credential → 401 `invalid_token` (RFC 6750 §3.1);
 * - an admin token without the route's scope → 403 `insufficient_scope` (RFC 6750 §3.1);
 * - a malformed body → 400 `invalid_request` (routes with a body);
 * - an unknown id → 404 `not_found` (routes with an id);
 * - and after each of these failures nothing was written: the route's store snapshot, the audit
 *   trail and the bus are unchanged.
 *
 * @example
 * ```ts
 * runCommonRouteTests({
 *   setup: async (t) => ({ id: (await createClient(t)).client_id }),
 *   snapshot: (t) => t.store.listClients({ limit: 500 }),
 *   routes: [{ method: 'GET', url: (f) => `/admin/clients/${f.id}`, unknownIdUrl: '/admin/clients/cli_…' }],
 * });
 * ```
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requiredAdminScope } from '../../src/http/plugins/admin-auth.js';
import { bootstrap, type TestServer } from './bootstrap.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface AdminRouteCase<F> {
  /** For test titles, e.g. `PATCH /admin/clients/:id`. */
  name: string;
  method: Method;
  /** The URL of a request that would succeed with the credential (e.g. naming an existing id). */
  url: (fixture: F) => string;
  /** A body the route accepts, sent with the credential checks. */
  body?: (fixture: F) => unknown;
  /**
   * Raw JSON bodies that must give 400 `invalid_request`. Default for POST/PUT/PATCH: invalid JSON,
   * a JSON array and a JSON string. `[]` to skip.
   */
  malformedBodies?: string[];
  /** The URL of the same route for an id that does not exist (→ 404 `not_found`). */
  unknownIdUrl?: string;
}

export interface CommonRouteTestOptions<F> {
  /** Creates what the routes need (e.g. one existing client) on the shared server. */
  setup: (t: TestServer) => Promise<F>;
  /** Everything the routes could write, compared before and after each failing request. */
  snapshot: (t: TestServer) => Promise<unknown>;
  routes: AdminRouteCase<F>[];
  /** Config overrides for the server (dotted paths). */
  overrides?: Record<string, unknown>;
}

const DEFAULT_MALFORMED = ['{"name": ', '[1, 2]', '"text"'];

export function runCommonRouteTests<F>(options: CommonRouteTestOptions<F>): void {
  let t: TestServer;
  let fixture: F;

  /** Admin tokens holding one unrelated scope each, for the wrong-scope check. */
  const narrowTokens: Record<'clients' | 'tokens', string> = { clients: '', tokens: '' };

  beforeAll(async () => {
    t = await bootstrap(options.overrides);
    for (const area of ['clients', 'tokens'] as const) {
      const minted = await t.app.inject({
        method: 'POST',
        url: '/admin/admin-tokens',
        headers: t.adminHeaders,
        payload: { name: `only ${area}:read`, scopes: [`${area}:read`] },
      });
      narrowTokens[area] = minted.json<{ token: string }>().token;
    }
    fixture = await options.setup(t);
  });
  afterAll(async () => {
    await t.close();
  });

  /** Everything observable that a failed request must leave alone. */
  async function state(): Promise<unknown> {
    await t.audit.flush();
    const audit = await t.store.listAudit({ limit: 500 });
    return { routes: await options.snapshot(t), audit: audit.items.map((e) => e.id) };
  }

  /** Sends the request and checks that nothing was written or published. */
  async function sendExpectingNoWrite(request: InjectOptions) {
    const before = await state();
    const publish = vi.spyOn(t.bus, 'publish');
    try {
      const response = await t.app.inject(request);
      expect(publish).not.toHaveBeenCalled();
      expect(await state()).toEqual(before);
      return response;
    } finally {
      publish.mockRestore();
    }
  }

  for (const route of options.routes) {
    describe(`${route.name} (common admin route checks)`, () => {
      /** The accepted body, if the route takes one, with its content type. */
      const bodyOf = (f: F): { payload?: string; headers: Record<string, string> } =>
        route.body === undefined
          ? { headers: {} }
          : { payload: JSON.stringify(route.body(f)), headers: { 'content-type': 'application/json' } };

      it('RFC 6750 §3 — no credential → 401 with WWW-Authenticate: Bearer, nothing written', async () => {
        const body = bodyOf(fixture);
        const response = await sendExpectingNoWrite({
          method: route.method,
          url: route.url(fixture),
          ...body,
        });
        expect(response.statusCode).toBe(401);
        expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="/);
        expect(response.json()).toMatchObject({ error: expect.any(String) });
      });

      it('RFC 6750 §3.1 — wrong credential → 401 invalid_token, nothing written', async () => {
        const body = bodyOf(fixture);
        const response = await sendExpectingNoWrite({
          method: route.method,
          url: route.url(fixture),
          ...body,
          headers: { ...body.headers, authorization: 'Bearer not-the-admin-token-at-all-0123456789' },
        });
        expect(response.statusCode).toBe(401);
        expect(response.headers['www-authenticate']).toMatch(/^Bearer realm=".*error="invalid_token"/);
        expect(response.json()).toMatchObject({ error: 'invalid_token' });
      });

      it('RFC 6750 §3.1 — an admin token without the route scope → 403 insufficient_scope, nothing written', async () => {
        const f = fixture;
        const required = requiredAdminScope(route.method, route.url(f));
        const body = bodyOf(f);
        const token = required?.startsWith('clients:') === true ? narrowTokens.tokens : narrowTokens.clients;
        const request = {
          method: route.method,
          url: route.url(f),
          ...body,
          headers: { ...body.headers, authorization: `Bearer ${token}` },
        };
        if (required === undefined) {
          // A route outside every area (the API document) needs only a valid credential.
          expect((await t.app.inject(request)).statusCode).toBeLessThan(400);
          return;
        }
        const response = await sendExpectingNoWrite(request);
        expect(response.statusCode).toBe(403);
        expect(response.json()).toMatchObject({ error: 'insufficient_scope' });
        expect(response.headers['www-authenticate']).toContain(`scope="${required}"`);
      });

      const malformed =
        route.malformedBodies ??
        (route.method === 'GET' || route.method === 'DELETE' ? [] : DEFAULT_MALFORMED);
      for (const raw of malformed) {
        it(`malformed body ${JSON.stringify(raw)} → 400 invalid_request, nothing written`, async () => {
          const response = await sendExpectingNoWrite({
            method: route.method,
            url: route.url(fixture),
            payload: raw,
            headers: { ...t.adminHeaders, 'content-type': 'application/json' },
          });
          expect(response.statusCode).toBe(400);
          expect(response.json()).toMatchObject({ error: 'invalid_request', request_id: expect.any(String) });
        });
      }

      const unknownIdUrl = route.unknownIdUrl;
      if (unknownIdUrl !== undefined) {
        it('unknown id → 404 not_found, nothing written', async () => {
          const body = bodyOf(fixture);
          const response = await sendExpectingNoWrite({
            method: route.method,
            url: unknownIdUrl,
            ...body,
            headers: { ...body.headers, ...t.adminHeaders },
          });
          expect(response.statusCode).toBe(404);
          expect(response.json()).toMatchObject({ error: 'not_found' });
        });
      }
    });
  }
}
