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
 */
import { isInvalidTokenResponse } from '../bearer-challenge.js';
import type { ClientCredential } from '../client-authentication.js';
import { TesseraClientError } from '../client-error.js';
import { type Clock, systemClock } from '../clock.js';
import type { FetchLike } from '../http-options.js';
import { createTokenRefresher, type TokenRefresher } from '../web-app/token-refresher.js';
import { createWebAppClient, type WebAppClient } from '../web-app/web-app-client.js';
import { type HeaderView, isSameOrigin, isTrustedApiCall } from './csrf.js';
import { safeReturnTo } from './return-to.js';
import { createMemorySessionBackend, type SessionBackend } from './session-backend.js';
import { createSessionCipher, parseSessionKey } from './session-cipher.js';
import { type SessionCookie, sessionCookieFor } from './session-cookie.js';
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

/** Abandoned sign-ins expire: a callback older than this is refused (draft-ietf-oauth-security-topics §4.7). */
const TRANSACTION_TTL = 600;

const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'accept-language',
  'content-type',
  'content-language',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
];
const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'content-language',
  'cache-control',
  'etag',
  'last-modified',
  'retry-after',
  'www-authenticate',
];
const BODYLESS = new Set(['GET', 'HEAD']);

function noStore(headers: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return { 'cache-control': 'no-store', ...headers };
}

function json(status: number, body: unknown, headers: Record<string, string | string[]> = {}): BffResponse {
  return {
    status,
    headers: noStore({ 'content-type': 'application/json; charset=utf-8', ...headers }),
    body: JSON.stringify(body),
  };
}

function text(status: number, body: string, headers: Record<string, string | string[]> = {}): BffResponse {
  return { status, headers: noStore({ 'content-type': 'text/plain; charset=utf-8', ...headers }), body };
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
  const cookie: SessionCookie = sessionCookieFor(base);
  const api = new URL(options.api);
  const apiPath = api.pathname.replace(/\/$/, '');
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
  const refresher: TokenRefresher = createTokenRefresher({
    client: webApp,
    store: createSessionTokenStore(sessions),
    clock,
  });

  const setCookie = (id: string) => cookie.serialize(id, sessions.ttl);

  async function login(request: BffRequest, url: URL): Promise<BffResponse> {
    const { url: authorizeUrl, transaction } = await webApp.startAuthorization();
    const pending = {
      transaction,
      returnTo: safeReturnTo(url.searchParams.get('returnTo'), { origin, basePath }),
    };
    const existing = await sessions.load(cookie.read(request.headers.cookie));
    if (existing !== undefined) {
      const updated = await sessions.update(existing, { ...existing.data, pending });
      if (updated !== undefined) {
        return { status: 302, headers: noStore({ location: authorizeUrl.toString() }) };
      }
    }
    const { id } = await sessions.create({ createdAt: clock.now(), pending });
    return {
      status: 302,
      headers: noStore({ location: authorizeUrl.toString(), 'set-cookie': setCookie(id) }),
    };
  }

  async function callback(request: BffRequest, url: URL): Promise<BffResponse> {
    const session = await sessions.load(cookie.read(request.headers.cookie));
    const pending = session?.data.pending;
    if (
      session === undefined ||
      pending === undefined ||
      clock.now() - pending.transaction.createdAt > TRANSACTION_TTL
    ) {
      return text(400, 'This sign-in link has expired or was opened in another browser. Start again.');
    }
    // One transaction, one use: clear it before redeeming.
    const { pending: _used, ...rest } = session.data;
    const cleared = await sessions.update(session, rest);
    if (cleared === undefined) {
      return text(409, 'This sign-in is already being completed. Start again if it does not finish.');
    }
    let tokens: Awaited<ReturnType<WebAppClient['handleCallback']>>;
    try {
      tokens = await webApp.handleCallback(`${origin}${url.pathname}${url.search}`, pending.transaction);
    } catch (error) {
      onError(error, 'callback');
      const denied = error instanceof TesseraClientError && error.code === 'access_denied';
      return text(denied ? 403 : 400, denied ? 'Sign-in was cancelled.' : 'Sign-in failed. Start again.');
    }
    // A new session id after sign-in, so an id planted before login is worthless (session fixation).
    await sessions.delete(session);
    const { id } = await sessions.create({ createdAt: clock.now(), tokens });
    return {
      status: 303,
      headers: noStore({ location: pending.returnTo, 'set-cookie': setCookie(id) }),
    };
  }

  async function logout(request: BffRequest): Promise<BffResponse> {
    if (!isSameOrigin(request.headers, origin)) {
      return text(403, 'Cross-site request refused.');
    }
    const session = await sessions.load(cookie.read(request.headers.cookie));
    const tokens = session?.data.tokens;
    let location = options.postLogoutRedirectUri ?? `${origin}${basePath}/`;
    if (session !== undefined) {
      await sessions.delete(session);
    }
    if (tokens !== undefined) {
      // RFC 7009 §2: revoking the refresh token ends the grant (and its access tokens at Tessera).
      const revocations = [
        ...(tokens.refreshToken === undefined ? [] : [webApp.revoke(tokens.refreshToken, 'refresh_token')]),
        webApp.revoke(tokens.accessToken, 'access_token'),
      ];
      for (const result of await Promise.allSettled(revocations)) {
        if (result.status === 'rejected') {
          onError(result.reason, 'logout revocation');
        }
      }
      try {
        const endSession = await webApp.endSessionUrl(
          tokens.idToken === undefined ? {} : { idTokenHint: tokens.idToken },
        );
        if (endSession !== undefined) {
          location = endSession.toString();
        }
      } catch (error) {
        onError(error, 'logout end-session');
      }
    }
    return { status: 303, headers: noStore({ location, 'set-cookie': cookie.clear() }) };
  }

  async function sessionInfo(request: BffRequest): Promise<BffResponse> {
    const session = await sessions.load(cookie.read(request.headers.cookie));
    const claims = session?.data.tokens?.claims;
    if (session?.data.tokens === undefined) {
      return json(200, { authenticated: false });
    }
    const pick = (name: string) => (typeof claims?.[name] === 'string' ? claims[name] : undefined);
    return json(200, {
      authenticated: true,
      user: {
        sub: pick('sub'),
        name: pick('name'),
        email: pick('email'),
        preferred_username: pick('preferred_username'),
      },
      scope: session.data.tokens.scope,
    });
  }

  function targetOf(url: URL): URL | undefined {
    const rest = url.pathname.slice(routes.api.length);
    const target = new URL(`${api.origin}${apiPath}${rest}${url.search}`);
    // No escaping the API's base path with dot segments (`/api/../admin`).
    return target.origin === api.origin &&
      (target.pathname === apiPath || target.pathname.startsWith(`${apiPath}/`))
      ? target
      : undefined;
  }

  async function proxy(request: BffRequest, url: URL): Promise<BffResponse> {
    if (!isTrustedApiCall(request.headers, origin)) {
      return json(403, {
        error: 'forbidden',
        error_description: 'API calls need the X-Requested-With header and this origin',
      });
    }
    const target = targetOf(url);
    if (target === undefined) {
      return json(404, { error: 'not_found' });
    }
    const session = await sessions.load(cookie.read(request.headers.cookie));
    if (session?.data.tokens === undefined) {
      return json(401, { error: 'login_required' });
    }
    const method = request.method.toUpperCase();
    const body = BODYLESS.has(method) ? undefined : await request.body();
    const headers = new Headers();
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers[name];
      if (value !== undefined) {
        headers.set(name, value);
      }
    }
    const send = (accessToken: string) => {
      headers.set('authorization', `Bearer ${accessToken}`);
      return fetchImpl(target, {
        method,
        headers,
        ...(body === undefined ? {} : { body: new Uint8Array(body) }),
        redirect: 'manual',
      });
    };
    let upstream: Response;
    try {
      let tokens = await refresher.getTokens(session.key);
      upstream = await send(tokens.accessToken);
      if (isInvalidTokenResponse(upstream)) {
        // RFC 6750 §3.1: renew once (single flight per session) and retry once.
        await upstream.body?.cancel();
        tokens = await refresher.getTokens(session.key, { rejected: tokens.accessToken });
        upstream = await send(tokens.accessToken);
      }
    } catch (error) {
      if (error instanceof TesseraClientError && error.reloginRequired) {
        return json(401, { error: 'login_required' }, { 'set-cookie': cookie.clear() });
      }
      onError(error, 'proxy');
      return json(502, { error: 'bad_gateway' });
    }
    const responseHeaders: Record<string, string> = {};
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = upstream.headers.get(name);
      if (value !== null) {
        responseHeaders[name] = value;
      }
    }
    const buffer = new Uint8Array(await upstream.arrayBuffer());
    return {
      status: upstream.status,
      headers: { 'cache-control': 'no-store', ...responseHeaders },
      body: buffer,
    };
  }

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
