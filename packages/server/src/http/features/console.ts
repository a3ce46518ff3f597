/**
 * `/console`: the admin console (docs/console.md). People sign in through this server's own login
 * as the first-party console client, by the backend-for-frontend of `@tessera/client` (authorization
 * code + PKCE, tokens kept server-side, `__Host-` session cookie, same-origin checks). Every page
 * reads through the BFF's proxy into the admin API with the person's access token, so the admin
 * API's checks (operator role, scopes, second factor) decide what the console shows: no back door.
 * The BFF reaches this server by `inject` (http/console/loopback-fetch.ts).
 */
import { type Bff, createBff } from '@tessera/client/bff';
import { bffPlugin } from '@tessera/client/bff/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type OverviewInput,
  renderMfaNeeded,
  renderNotOperator,
  renderOverview,
  renderUnavailable,
} from '../console/console-pages.js';
import { createLoopbackFetch } from '../console/loopback-fetch.js';
import type { HttpFeature } from '../feature.js';
import { sendPage } from '../pages/layout.js';

export interface ConsoleFeatureDeps {
  issuer: string;
  clientId: string;
  clientSecret: string;
  sessionKey: string;
  /** The admin API's resource URI (RFC 8707): the audience of the console's access tokens. */
  audience: string;
  onError: (error: unknown, context: string) => void;
}

/** An admin API answer through the BFF proxy. */
interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export function createConsoleFeature(deps: ConsoleFeatureDeps): HttpFeature {
  return {
    name: 'console',
    async registerPublic(app) {
      const base = deps.issuer.replace(/\/$/, '');
      const bff: Bff = createBff({
        issuer: deps.issuer,
        clientId: deps.clientId,
        clientSecret: deps.clientSecret,
        baseUrl: `${base}/console`,
        api: `${base}/admin`,
        scope: 'openid offline_access admin',
        resource: deps.audience,
        sessionKey: deps.sessionKey,
        // Its own cookie: an application's BFF on another port of this host keeps its own.
        cookieName: 'tessera-console',
        fetch: createLoopbackFetch(() => app, deps.issuer),
        onError: deps.onError,
      });
      const origin = new URL(deps.issuer).origin;

      /** GET through the BFF proxy, as the signed-in person (the proxy attaches their token). */
      async function api(request: FastifyRequest, path: string): Promise<ApiAnswer> {
        const answer = await bff.handle({
          method: 'GET',
          url: `/console/api${path}`,
          headers: {
            cookie: request.headers.cookie,
            // The page request came from the person's browser; this call is the server's own.
            'x-requested-with': 'tessera-console',
            origin,
          },
          body: async () => undefined,
        });
        const text =
          typeof answer?.body === 'string' ? answer.body : Buffer.from(answer?.body ?? []).toString('utf8');
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = {};
        }
        return { status: answer?.status ?? 502, body };
      }

      async function overview(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
        const session = await bff.sessionOf(request.headers.cookie);
        if (session?.data.tokens === undefined) {
          return reply.redirect('/console/auth/login?returnTo=/', 303);
        }
        const clients = await api(request, '/clients?limit=100');
        if (clients.body.error === 'insufficient_user_authentication') {
          return sendPage(reply, { title: 'Second factor needed', body: renderMfaNeeded(), status: 403 });
        }
        if (clients.status === 401 || clients.status === 403) {
          return sendPage(reply, { title: 'No access', body: renderNotOperator(), status: 403 });
        }
        const users = await api(request, '/users?limit=100');
        if (clients.status !== 200 || users.status !== 200) {
          return sendPage(reply, { title: 'Console unavailable', body: renderUnavailable(), status: 502 });
        }
        const input: OverviewInput = {
          clients: (clients.body.items as OverviewInput['clients']) ?? [],
          users: (users.body.items as OverviewInput['users']) ?? [],
        };
        return sendPage(reply, { title: 'Tessera console', body: renderOverview(input), wide: true });
      }

      await app.register(
        async function consoleScope(scope: FastifyInstance) {
          scope.get('/', overview);
          await scope.register(bffPlugin, { bff });
        },
        { prefix: '/console' },
      );
    },
  };
}
