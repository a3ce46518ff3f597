/**
 * The request each HTTP scenario sends, built from what the server setup produced (`ctx`):
 * credentials, tokens and keys. Every server sits "behind a proxy" (X-Forwarded-Proto: https), as
 * in production with an https issuer and `trustProxy`.
 */

const FORM = { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' };

function need(value, what) {
  if (value === undefined) {
    throw Object.assign(new Error(`${what} unavailable`), { skip: `${what} unavailable` });
  }
  return value;
}

export function basic(id, secret) {
  // RFC 6749 §2.3.1: form-urlencode each part before base64.
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/**
 * What a successful answer holds, per request type: only 2xx answers whose body holds it count (a
 * 200 `{"valid":false}` or `{"active":false}` is not a verification, a 401 not a token). A
 * sign-in's success is `303 See Other` to `/account` (the session started); under a flood a 503
 * (the argon2 bound is full) or a 429 (the login throttle) is an expected refusal, never a success.
 */
export function expectedBodyOf(requestType) {
  if (requestType === 'login') {
    return { status: 303, location: '/account' };
  }
  if (requestType === 'login-flood') {
    return { status: 303, location: '/account', refusals: [503, 429] };
  }
  if (requestType === 'hello') {
    return '"hello"';
  }
  if (requestType.includes('introspect')) {
    return '"active":true';
  }
  if (requestType.includes('api-key-verify') || requestType === 'ref-argon2-verify') {
    return '"valid":true';
  }
  return '"access_token"';
}

/** The autocannon job fields (`request`, `expect`, and `variants` or `rotate`) of a scenario. */
export function jobFor(requestType, ctx) {
  return { ...requestJobFor(requestType, ctx), expect: expectedBodyOf(requestType) };
}

function requestJobFor(requestType, ctx) {
  switch (requestType) {
    case 'hello':
      return { request: { method: 'GET', path: '/', headers: {} } };
    case 'cc-peer':
      return {
        request: {
          method: 'POST',
          path: '/token',
          headers: { ...FORM, authorization: basic(ctx.clientId, ctx.clientSecret) },
          body: 'grant_type=client_credentials&scope=read',
        },
      };
    case 'ref-cc-es256':
    case 'ref-cc-eddsa':
    case 'ref-cc-rs256':
      return {
        request: {
          method: 'POST',
          path: `/${requestType.slice('ref-cc-'.length)}/token`,
          headers: FORM,
          body: 'grant_type=client_credentials&scope=read',
        },
        variants: ctx.clients.map((c) => ({ headers: { authorization: basic(c.id, c.secret) } })),
      };
    case 'cc-peer-opaque':
      // A resource whose getResourceServerInfo says `accessTokenFormat: 'opaque'` (servers/oidc-provider.mjs).
      return {
        request: {
          method: 'POST',
          path: '/token',
          headers: { ...FORM, authorization: basic(ctx.clientId, ctx.clientSecret) },
          body: `grant_type=client_credentials&scope=read&resource=${encodeURIComponent(need(ctx.opaqueResource, 'the peer opaque resource'))}`,
        },
      };
    case 'ref-argon2-verify':
      // The same argon2id hash (same parameters) Tessera's bench users have, the right password.
      return {
        request: {
          method: 'POST',
          path: '/argon2/verify',
          headers: FORM,
          body: `password=${encodeURIComponent(need(ctx.password, 'the reference password'))}`,
        },
      };
    case 'login':
    case 'login-flood': {
      // One simulated browser per person: its own address (X-Forwarded-For, one proxy trusted) and
      // the CSRF cookie and form token its GET /account/login was given (double submit).
      const browsers = need(
        requestType === 'login' ? ctx.loginBrowsers : ctx.floodBrowsers,
        'bench users with passwords',
      );
      return {
        request: { method: 'POST', path: '/account/login', headers: FORM, body: '' },
        variants: browsers.map((b) => ({
          headers: { cookie: b.cookie, 'x-forwarded-for': b.ip },
          body: `csrf_token=${encodeURIComponent(b.csrfToken)}&username=${encodeURIComponent(b.username)}&password=${encodeURIComponent(b.password)}`,
        })),
      };
    }
    case 'introspect-jwt-unseen':
      // A different token per request, each sent once (load.mjs `once`): the unseen path.
      return {
        request: {
          method: 'POST',
          path: '/introspect',
          headers: { ...FORM, authorization: basic(ctx.resourceServer.id, ctx.resourceServer.secret) },
          body: '',
        },
        variants: need(ctx.unseenJwtTokens, 'a pool of tokens from POST /token').map((token) => ({
          body: `token=${encodeURIComponent(token)}`,
        })),
        once: true,
      };
    case 'ref-api-key-verify':
      return {
        request: {
          method: 'POST',
          path: '/api-keys/verify',
          headers: { ...FORM, authorization: basic(ctx.resourceServer.id, ctx.resourceServer.secret) },
          body: '',
        },
        variants: ctx.apiKeys.map((key) => ({ body: `key=${encodeURIComponent(key)}` })),
      };
    case 'ref-introspect-jwt':
      return {
        request: {
          method: 'POST',
          path: '/introspect',
          headers: { ...FORM, authorization: basic(ctx.resourceServer.id, ctx.resourceServer.secret) },
          body: `token=${encodeURIComponent(need(ctx.jwtToken, 'a token from the reference'))}`,
        },
      };
    case 'cc-jwt':
    case 'cc-opaque': {
      const clients = requestType === 'cc-jwt' ? ctx.jwtClients : ctx.opaqueClients;
      return {
        request: {
          method: 'POST',
          path: '/token',
          headers: FORM,
          body: 'grant_type=client_credentials&scope=read',
        },
        variants: clients.map((c) => ({ headers: { authorization: basic(c.id, c.secret) } })),
      };
    }
    case 'introspect-jwt':
    case 'introspect-opaque': {
      const token = need(
        requestType === 'introspect-jwt' ? ctx.jwtToken : ctx.opaqueToken,
        'a token from POST /token',
      );
      return {
        request: {
          method: 'POST',
          path: '/introspect',
          headers: { ...FORM, authorization: basic(ctx.resourceServer.id, ctx.resourceServer.secret) },
          body: `token=${encodeURIComponent(token)}`,
        },
      };
    }
    case 'api-key-verify':
      need(ctx.apiKeyVerifyBody, 'POST /api-keys/verify');
      return {
        request: { method: 'POST', path: '/api-keys/verify', headers: ctx.apiKeyVerifyHeaders, body: '' },
        variants: ctx.apiKeys.map((key) => ({ body: ctx.apiKeyVerifyBody(key) })),
      };
    case 'refresh':
    case 'refresh-rs256': {
      // `refresh`: a client with ES256 ID tokens; `refresh-rs256`: the server default, RS256.
      const client = need(ctx.refreshClients?.[requestType], 'a refresh client');
      return {
        request: {
          method: 'POST',
          path: '/token',
          headers: { ...FORM, authorization: basic(client.id, client.secret) },
          body: '',
        },
        rotate: {
          tokens: ctx.takeRefreshTokens(requestType),
          field: 'refresh_token',
          bodyPrefix: 'grant_type=refresh_token&refresh_token=',
        },
      };
    }
    default:
      throw new Error(`unknown request type ${requestType}`);
  }
}
