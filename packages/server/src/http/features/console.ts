/**
 * `/console`: the admin console (docs/console.md). People sign in through this server's own login
 * as the first-party console client, by the backend-for-frontend of `@tessera/client` (authorization
 * code + PKCE, tokens kept server-side, `__Host-` session cookie, same-origin checks). Every page
 * reads through the BFF's proxy into the admin API with the person's access token, so the admin
 * API's checks (operator role, scopes, second factor) decide what the console shows: no back door.
 * The BFF reaches this server by `inject` (http/console/loopback-fetch.ts). The clients, API keys,
 * people, sessions and signing keys pages act (the risk decisions and audit log pages read) through
 * the same proxy (http/console/*-routes.ts); destructive actions ask first (confirm-routes.ts).
 * The overview charts usage from `GET /admin/stats` (console/stats-pages.ts), drawn by uPlot from
 * same-origin files (console/chart-assets.ts).
 */
import { type Bff, createBff } from '@tessera/client/bff';
import { bffPlugin } from '@tessera/client/bff/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { StatRange, StatsView } from '../admin/stats.js';
import { registerApiKeyDetailPages } from '../console/api-key-detail-routes.js';
import { registerApiKeyPages } from '../console/api-key-routes.js';
import { registerAuditPages } from '../console/audit-routes.js';
import { type ChartAssets, registerChartAssets } from '../console/chart-assets.js';
import { registerClientCreatePages } from '../console/client-create-routes.js';
import { registerClientPages } from '../console/client-routes.js';
import { registerConfirmPages } from '../console/confirm-routes.js';
import { createConsoleContext } from '../console/console-context.js';
import {
  type OverviewInput,
  renderMfaNeeded,
  renderNotOperator,
  renderOverview,
  renderProblem,
  renderUnavailable,
} from '../console/console-pages.js';
import { createLoopbackFetch } from '../console/loopback-fetch.js';
import { registerRiskPages } from '../console/risk-routes.js';
import { registerSessionPages } from '../console/session-routes.js';
import { registerSigningKeyPages } from '../console/signing-key-routes.js';
import { registerUserCreatePages } from '../console/user-create-routes.js';
import { registerUserPages } from '../console/user-routes.js';
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

      const ctx = createConsoleContext(bff, origin);
      const api = (request: FastifyRequest, path: string) => ctx.api(request, 'GET', path);
      let assets: ChartAssets = { scripts: [], styles: [] };

      async function overview(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
        const session = await bff.sessionOf(request.headers.cookie);
        if (session?.data.tokens === undefined) {
          // Back to the same overview (its range) after the sign-in.
          const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
          const returnTo = search === '' ? '/' : encodeURIComponent(`/${search}`);
          return reply.redirect(`/console/auth/login?returnTo=${returnTo}`, 303);
        }
        const asked = (request.query as Record<string, unknown> | undefined)?.range ?? 'day';
        if (asked !== 'hour' && asked !== 'day' && asked !== 'week') {
          const body = renderProblem('Unknown range', 'Choose the last hour, day or week.');
          return sendPage(reply, { title: 'Unknown range', body, status: 400, wide: true });
        }
        const range: StatRange = asked;
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
        // Without stats:read the overview still shows clients and people; without an answer, no charts.
        const stats = await api(request, `/stats?range=${range}`);
        const input: OverviewInput = {
          clients: (clients.body.items as OverviewInput['clients']) ?? [],
          users: (users.body.items as OverviewInput['users']) ?? [],
          range,
          stats:
            stats.status === 200
              ? (stats.body as unknown as StatsView)
              : stats.status === 401 || stats.status === 403
                ? 'forbidden'
                : 'unavailable',
        };
        return sendPage(reply, {
          title: 'Tessera console',
          body: renderOverview(input),
          wide: true,
          ...(typeof input.stats === 'string' ? {} : assets),
        });
      }

      await app.register(
        async function consoleScope(scope: FastifyInstance) {
          assets = registerChartAssets(scope);
          scope.get('/', overview);
          registerClientCreatePages(scope, ctx);
          registerClientPages(scope, ctx);
          registerApiKeyPages(scope, ctx);
          registerApiKeyDetailPages(scope, ctx);
          registerUserCreatePages(scope, ctx);
          registerUserPages(scope, ctx);
          registerSessionPages(scope, ctx);
          registerConfirmPages(scope, ctx);
          registerSigningKeyPages(scope, ctx);
          registerRiskPages(scope, ctx);
          registerAuditPages(scope, ctx);
          await scope.register(bffPlugin, { bff });
        },
        { prefix: '/console' },
      );
    },
  };
}
