/**
 * `<api>/*`: the browser's API calls, forwarded to the API with the session's access token. Only
 * trusted same-origin calls (csrf.ts) are forwarded, only under the API's base path, and only a
 * short list of headers each way. An access token the API refuses (RFC 6750 §3.1) is renewed once
 * with the refresh token (single flight per session) and the call retried once. A step-up
 * challenge (RFC 9470 §3, `insufficient_user_authentication`) becomes a 401 telling the page where
 * to send the person for the stronger sign-in (`login`, carrying `acr_values` / `max_age`), and
 * whether the call may simply be made again afterwards (`retry`: only for GET and HEAD; a state-
 * changing call is never replayed, the person repeats it).
 */
import { isInvalidTokenResponse, stepUpChallengeOf } from '../bearer-challenge.js';
import { TesseraClientError } from '../client-error.js';
import type { FetchLike } from '../http-options.js';
import type { TokenRefresher } from '../web-app/token-refresher.js';
import type { BffRequest, BffResponse } from './bff.js';
import { json } from './bff-response.js';
import { isTrustedApiCall } from './csrf.js';
import type { SessionCookie } from './session-cookie.js';
import type { SessionStore } from './session-store.js';

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

/**
 * What {@link createApiProxy} needs.
 *
 * @example
 * ```ts
 * const deps: ApiProxyDeps = { api: new URL('https://cookies.example'), prefix: '/api', origin, sessions, cookie, refresher, fetch, onError };
 * ```
 */
export interface ApiProxyDeps {
  /** The API's base URL. */
  api: URL;
  /** The BFF route prefix of proxied calls: `<prefix>/x` → `<api>/x`. */
  prefix: string;
  /** The BFF's origin: calls from any other are refused. */
  origin: string;
  sessions: Pick<SessionStore, 'load'>;
  cookie: Pick<SessionCookie, 'read' | 'clear'>;
  refresher: Pick<TokenRefresher, 'getTokens'>;
  fetch: FetchLike;
  onError: (error: unknown, context: string) => void;
  /** The BFF's login route (with its base path), where a step-up sends the person. */
  loginPath: string;
}

/**
 * Creates the proxy; `url` is the request URL relative to the base path.
 *
 * @example
 * ```ts
 * const proxy = createApiProxy({ api, prefix: '/api', origin, sessions, cookie, refresher, fetch, onError });
 * const response = await proxy(request, new URL('/api/cookies', origin)); // GET <api>/cookies
 * ```
 */
export function createApiProxy(deps: ApiProxyDeps): (request: BffRequest, url: URL) => Promise<BffResponse> {
  const { api, origin, sessions, cookie, refresher, onError } = deps;
  const fetchImpl = deps.fetch;
  const apiPath = api.pathname.replace(/\/$/, '');

  function targetOf(url: URL): URL | undefined {
    const rest = url.pathname.slice(deps.prefix.length);
    const target = new URL(`${api.origin}${apiPath}${rest}${url.search}`);
    // No escaping the API's base path with dot segments (`/api/../admin`).
    return target.origin === api.origin &&
      (target.pathname === apiPath || target.pathname.startsWith(`${apiPath}/`))
      ? target
      : undefined;
  }

  return async function proxy(request, url) {
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
    const stepUp = stepUpChallengeOf(upstream);
    if (stepUp !== undefined) {
      await upstream.body?.cancel();
      const login = new URLSearchParams();
      if (stepUp.acrValues !== undefined) {
        login.set('acr_values', stepUp.acrValues);
      }
      if (stepUp.maxAge !== undefined) {
        login.set('max_age', String(stepUp.maxAge));
      }
      return json(401, {
        error: 'insufficient_user_authentication',
        error_description: 'This call needs a stronger or more recent sign-in',
        ...(stepUp.acrValues === undefined ? {} : { acr_values: stepUp.acrValues }),
        ...(stepUp.maxAge === undefined ? {} : { max_age: stepUp.maxAge }),
        login: `${deps.loginPath}?${login.toString()}`,
        retry: BODYLESS.has(method),
      });
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
  };
}
