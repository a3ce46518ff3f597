/// <reference types="node" />
/**
 * `createBff`: a backend-for-frontend (draft-ietf-oauth-browser-based-apps §6.1). The browser
 * signs in through the BFF, which is a confidential client of Tessera; access and refresh tokens
 * stay in the BFF's encrypted session store and the browser holds only a session cookie. The
 * browser calls its API through the BFF's proxy, which attaches the access token and renews it
 * with the refresh token when needed. Framework-free: adapters for Express and Fastify translate
 * requests to {@link BffRequest} and back.
 *
 * Routes (configurable): `GET /auth/login?returnTo=/path`, `GET /auth/callback`,
 * `POST /auth/logout`, `GET /auth/session` (who is signed in; never a token) and `/api/*` (proxy).
 * Each route is a module of its own (login-route.ts, callback-route.ts, logout-route.ts,
 * session-route.ts, api-proxy.ts); this factory wires them and dispatches by path and method.
 */
import type { ClientCredential } from '../client-authentication.js';
import { type Clock, systemClock } from '../clock.js';
import type { FetchLike } from '../http-options.js';
import { createTokenRefresher } from '../web-app/token-refresher.js';
import { createWebAppClient, type WebAppClient } from '../web-app/web-app-client.js';
import { createApiProxy } from './api-proxy.js';
import { createCallbackRoute } from './callback-route.js';
import type { HeaderView } from './csrf.js';
import { createLoginRoute } from './login-route.js';
import { createLogoutRoute } from './logout-route.js';
import { createMemorySessionBackend, type SessionBackend } from './session-backend.js';
import { createSessionCipher, parseSessionKey } from './session-cipher.js';
import { type SessionCookie, sessionCookieFor } from './session-cookie.js';
import { createSessionRoute } from './session-route.js';
import {
  createSessionStore,
  createSessionTokenStore,
  type Session,
  type SessionStore,
} from './session-store.js';

/**
 * A request as the BFF sees it (adapters build it). Header names are lower-case.
 *
 * @example
 * ```ts
 * const request: BffRequest = { method: 'GET', url: '/auth/session', headers: {}, body: async () => undefined };
 * ```
 */
export interface BffRequest {
  method: string;
  /** Path and query, e.g. `/api/cookies?limit=2`. */
  url: string;
  headers: HeaderView;
  /** Reads the raw body (only called for proxied requests). */
  body(): Promise<Uint8Array | undefined>;
}

/**
 * A response for the adapter to send.
 *
 * @example
 * ```ts
 * const response: BffResponse = { status: 303, headers: { location: '/' } };
 * ```
 */
export interface BffResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body?: Uint8Array | string;
}

/**
 * Options of {@link createBff}.
 *
 * @example
 * ```ts
 * const options: BffOptions = {
 *   issuer: 'https://auth.example',
 *   clientId: 'cli_bff',
 *   clientSecret: process.env.TESSERA_CLIENT_SECRET ?? '',
 *   baseUrl: 'https://app.example',
 *   api: 'https://cookies.example',
 *   scope: 'openid profile offline_access cookies:read cookies:eat',
 *   sessionKey: process.env.BFF_SESSION_KEY ?? '',
 * };
 * ```
 */
export type BffOptions = ClientCredential & {
  issuer: string;
  clientId: string;
  /** The BFF's public origin (and base path), e.g. `https://app.example`. https, or http on localhost. */
  baseUrl: string;
  /** The API the proxy forwards to (its base URL). */
  api: string;
  /** Default `openid offline_access`: `offline_access` is what yields a refresh token with `openid`. */
  scope?: string | readonly string[];
  /** RFC 8707: the API's resource identifier, when it is not the default audience of the client. */
  resource?: string;
  /** 32 bytes (64 hex characters) that encrypt the sessions (AES-256-GCM). Keep it secret. */
  sessionKey: string | Uint8Array;
  /** Where sessions live. Default: in memory. See `createSqliteSessionBackend`. */
  sessions?: SessionBackend;
  /**
   * The session cookie's name, `__Host-` prefixed on https. Default `bff-session`. Give each BFF on
   * one host its own: browsers share cookies between the ports of a host.
   */
  cookieName?: string;
  /** Seconds a session lives. Default 8 hours. */
  sessionTtl?: number;
  /** Route paths. */
  routes?: Partial<BffRoutes>;
  /** Where the browser lands after logout (registered at Tessera as a post-logout redirect URI). Default: `baseUrl` + `/`. */
  postLogoutRedirectUri?: string;
  /** Told about failures that are answered generically (revocation at logout, callback errors). */
  onError?: (error: unknown, context: string) => void;
  clock?: Clock;
  fetch?: FetchLike;
};

/**
 * The BFF's route paths.
 *
 * @example
 * ```ts
 * const routes: BffRoutes = { login: '/auth/login', callback: '/auth/callback', logout: '/auth/logout', session: '/auth/session', api: '/api' };
 * ```
 */
export interface BffRoutes {
  login: string;
  callback: string;
  logout: string;
  session: string;
  /** Prefix of proxied calls: `/api/x` → `<api>/x`. */
  api: string;
}

/**
 * Made by {@link createBff}.
 *
 * @example
 * ```ts
 * const response = await bff.handle(request); // undefined: not a BFF route
 * ```
 */
export interface Bff {
  readonly routes: BffRoutes;
  /** Answers a BFF route, or resolves `undefined` for any other path. */
  handle(request: BffRequest): Promise<BffResponse | undefined>;
  /** For tests and admin pages: the session a cookie header points to (tokens included: never send it to a browser). */
  sessionOf(cookieHeader: string | undefined): Promise<Session | undefined>;
}

/**
 * Creates a BFF.
 *
 * @example
 * ```ts
 * import { createBff } from '@tessera/client/bff';
 * import { bffMiddleware } from '@tessera/client/bff/express';
 *
 * const bff = createBff({
 *   issuer: 'https://auth.example',
 *   clientId: 'cli_bff',
 *   clientSecret: process.env.TESSERA_CLIENT_SECRET ?? '',
 *   baseUrl: 'https://app.example',
 *   api: 'https://cookies.example',
 *   sessionKey: process.env.BFF_SESSION_KEY ?? '',
 * });
 * app.use(bffMiddleware(bff));
 * ```
 */
export function createBff(options: BffOptions): Bff {
  const clock = options.clock ?? systemClock;
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const base = new URL(options.baseUrl);
  const origin = base.origin;
  const basePath = base.pathname.replace(/\/$/, '');
  const routes: BffRoutes = {
    login: '/auth/login',
    callback: '/auth/callback',
    logout: '/auth/logout',
    session: '/auth/session',
    api: '/api',
    ...options.routes,
  };
  const cookie: SessionCookie = sessionCookieFor(base, options.cookieName);
  const onError = options.onError ?? (() => {});

  const credential: ClientCredential =
    options.privateKey !== undefined
      ? { privateKey: options.privateKey }
      : options.tokenEndpointAuthMethod === undefined
        ? { clientSecret: options.clientSecret }
        : { clientSecret: options.clientSecret, tokenEndpointAuthMethod: options.tokenEndpointAuthMethod };
  const webApp: WebAppClient = createWebAppClient({
    ...credential,
    issuer: options.issuer,
    clientId: options.clientId,
    redirectUri: `${origin}${basePath}${routes.callback}`,
    scope: options.scope ?? ['openid', 'offline_access'],
    ...(options.resource === undefined ? {} : { resource: options.resource }),
    postLogoutRedirectUri: options.postLogoutRedirectUri ?? `${origin}${basePath}/`,
    clock,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const sessions: SessionStore = createSessionStore({
    backend: options.sessions ?? createMemorySessionBackend(),
    cipher: createSessionCipher(parseSessionKey(options.sessionKey)),
    clock,
    ttl: options.sessionTtl ?? 8 * 3600,
  });

  const login = createLoginRoute({ webApp, sessions, cookie, clock, origin, basePath });
  const callback = createCallbackRoute({ webApp, sessions, cookie, clock, origin, onError });
  const logout = createLogoutRoute({
    webApp,
    sessions,
    cookie,
    origin,
    postLogoutRedirectUri: options.postLogoutRedirectUri ?? `${origin}${basePath}/`,
    onError,
  });
  const sessionInfo = createSessionRoute({ sessions, cookie });
  const proxy = createApiProxy({
    api: new URL(options.api),
    prefix: routes.api,
    origin,
    sessions,
    cookie,
    refresher: createTokenRefresher({ client: webApp, store: createSessionTokenStore(sessions), clock }),
    fetch: fetchImpl,
    onError,
    loginPath: `${basePath}${routes.login}`,
  });

  return {
    routes,
    sessionOf: (header) => sessions.load(cookie.read(header)),
    async handle(request) {
      const url = new URL(request.url, origin);
      const path = url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) : undefined;
      if (path === undefined) {
        return undefined;
      }
      const method = request.method.toUpperCase();
      const local = new URL(`${path}${url.search}`, origin);
      if (path === routes.login && method === 'GET') {
        return login(request, local);
      }
      if (path === routes.callback && method === 'GET') {
        return callback(request, url);
      }
      if (path === routes.logout && method === 'POST') {
        return logout(request);
      }
      if (path === routes.session && method === 'GET') {
        return sessionInfo(request);
      }
      if (path === routes.api || path.startsWith(`${routes.api}/`)) {
        return proxy(request, local);
      }
      return undefined;
    },
  };
}
