/**
 * @tessera/verify against a real, listening Tessera: JWT checks (RFC 9068 §4), RFC 6750 §3 errors,
 * opaque tokens and API keys by introspection (RFC 7662), revocations pushed by the stream, key
 * rotation, reconnect with Last-Event-ID, fail-closed.
 */
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type Verifier, type VerifierOptions } from '../src/index.js';
import { refusal } from './support/flows.js';
import {
  API,
  createApiServerClient,
  eventually,
  type RegisteredClient,
  startTessera,
  type Tessera,
} from './support/tessera.js';

let t: Tessera;
let app: RegisteredClient;
let api: RegisteredClient;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  t = await startTessera();
  app = await t.createClient();
  api = await createApiServerClient(t);
});
afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((v) => v.close()));
});
afterAll(() => t.close());

function verifierFor(options: Partial<VerifierOptions> = {}): Verifier {
  const verifier = createVerifier({
    issuer: t.url,
    audience: API,
    realm: 'cookie-jar',
    client: { clientId: api.clientId, clientSecret: api.clientSecret },
    now: () => t.clock.now(),
    revocations: { minReconnectDelay: 0.02, maxReconnectDelay: 0.1 },
    ...options,
  });
  verifiers.push(verifier);
  return verifier;
}

/** A fetch that counts requests per path and can hold the revocation stream back (an outage). */
function instrumentedFetch() {
  const counts = new Map<string, number>();
  const streamHeaders: Headers[] = [];
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => {};
  const wrapped: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    counts.set(url.pathname, (counts.get(url.pathname) ?? 0) + 1);
    if (url.pathname === '/revocations/stream') {
      await gate;
      streamHeaders.push(new Headers(init?.headers));
    }
    return fetch(input, init);
  };
  return {
    fetch: wrapped,
    count: (path: string) => counts.get(path) ?? 0,
    streamHeaders,
    holdStream() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    releaseStream: () => open(),
  };
}

describe('JWT access tokens (RFC 9068 §4)', () => {
  it('RFC 9068 §4 — a valid token is accepted: subject, client, scope and claims', async () => {
    const verifier = verifierFor();
    const token = await t.token(app, 'cookies:read cookies:eat');
    const verified = await verifier.verify(`Bearer ${token}`);
    expect(verified).toMatchObject({
      tokenType: 'jwt',
      subject: app.clientId,
      clientId: app.clientId,
      scope: ['cookies:read', 'cookies:eat'],
      source: 'header',
    });
    expect(verified.claims.iss).toBe(t.url);
    // Seen again: answered from the cache (one entry, the same claims object).
    const again = await verifier.verify(`Bearer ${token}`);
    expect(again.claims).toBe(verified.claims);
    expect(verifier.status().cache.size).toBe(1);
  });

  it('RFC 9068 §4 / RFC 7519 §4.1.4 — an expired token is invalid_token, even when cached', async () => {
    const verifier = verifierFor();
    const token = await t.token(app, 'cookies:read');
    await verifier.verify(`Bearer ${token}`);
    t.clock.advance(600 + 5 + 1);
    try {
      const error = await refusal(verifier.verify(`Bearer ${token}`));
      expect(error.code).toBe('invalid_token');
      expect(error.status).toBe(401);
      expect(error.description).toBe('The access token has expired');
      expect(error.wwwAuthenticate).toBe(
        'Bearer realm="cookie-jar", error="invalid_token", error_description="The access token has expired"'.concat(
          // RFC 9449 §7.1: the DPoP scheme is offered beside Bearer.
          ', DPoP realm="cookie-jar", algs="ES256 EdDSA Ed25519 RS256 PS256"',
        ),
      );
    } finally {
      t.clock.advance(-(600 + 5 + 1));
    }
  });

  it('RFC 9068 §4 — a token for another audience is invalid_token', async () => {
    const other = await t.createClient({ audiences: ['https://other.example'] });
    const error = await refusal(verifierFor().verify(`Bearer ${await t.token(other, 'cookies:read')}`));
    expect(error).toMatchObject({
      code: 'invalid_token',
      description: 'The access token is not meant for this API',
    });
  });

  it('RFC 9068 §4 — a token from another issuer is invalid_token (signature fine, iss wrong)', async () => {
    const verifier = verifierFor({
      issuer: 'https://impostor.example',
      endpoints: { jwksUri: `${t.url}/jwks` },
    });
    const error = await refusal(verifier.verify(`Bearer ${await t.token(app, 'cookies:read')}`));
    expect(error).toMatchObject({
      code: 'invalid_token',
      description: 'The access token was issued by another issuer',
    });
  });

  it('RFC 7515 §5.2 — forged tokens are invalid_token: altered payload, foreign key, alg none, HS256', async () => {
    const verifier = verifierFor();
    const token = await t.token(app, 'cookies:read');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const widened = Buffer.from(
      JSON.stringify({ ...claims, scope: 'cookies:read cookies:eat admin' }),
    ).toString('base64url');
    const altered = `${header}.${widened}.${signature}`;

    const { kid } = decodeProtectedHeader(token);
    const attacker = await generateKeyPair('ES256');
    const foreign = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', ...(kid === undefined ? {} : { kid }) })
      .sign(attacker.privateKey);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid })).toString('base64url')}.${payload}.`;
    const jwk = await exportJWK(attacker.publicKey);
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', ...(kid === undefined ? {} : { kid }) })
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));

    const expected: Array<[string, string]> = [
      [altered, 'The access token signature is invalid'],
      [foreign, 'The access token signature is invalid'],
      [hmac, 'The access token uses an algorithm this API does not accept'],
    ];
    for (const [forged, description] of expected) {
      expect(await refusal(verifier.verify(`Bearer ${forged}`))).toMatchObject({
        code: 'invalid_token',
        description,
      });
    }
    // `alg: none` has an empty signature: not even a well-formed bearer credential for jose.
    expect((await refusal(verifier.verify(`Bearer ${none}`))).code).toBe('invalid_token');
  });

  it("RFC 9068 §2.1 — an ID token (RS256, typ JWT, signed with Tessera's own ID-token key) presented as an access token is invalid_token", async () => {
    const verifier = verifierFor();
    const claims = decodeJwt(await t.token(app, 'cookies:read'));
    // Tessera's real RS256 key (the one its ID tokens are signed with, published in its JWKS):
    // signature, kid, iss, aud and claims are all genuine; only the type differs.
    const key = t.keyring.current('RS256');
    const sign = (header: { typ?: string }, jti: string) =>
      new SignJWT({ ...claims, jti, azp: app.clientId, nonce: 'n-0S6_WzA2Mj' })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid, ...header })
        .sign(key.privateKey);
    // Control: the same token typed at+jwt is accepted, so the refusal below is the typ check.
    expect((await verifier.verify(`Bearer ${await sign({ typ: 'at+jwt' }, 'control')}`)).clientId).toBe(
      app.clientId,
    );
    for (const [header, jti] of [
      [{ typ: 'JWT' }, 'id-token'],
      [{}, 'untyped'],
    ] as const) {
      expect(await refusal(verifier.verify(`Bearer ${await sign(header, jti)}`))).toMatchObject({
        code: 'invalid_token',
        description: 'The token is not an access token (RFC 9068 typ at+jwt)',
      });
    }
  });

  it('RFC 6750 §3.1 — a token without the needed scope is insufficient_scope (403) naming the scope', async () => {
    const verifier = verifierFor();
    const token = await t.token(app, 'cookies:read');
    const error = await refusal(verifier.verify(`Bearer ${token}`, { scope: 'cookies:eat' }));
    expect(error.status).toBe(403);
    expect(error.wwwAuthenticate).toBe(
      'Bearer realm="cookie-jar", error="insufficient_scope", error_description="The access token lacks the scope cookies:eat", scope="cookies:eat"'.concat(
        ', DPoP realm="cookie-jar", algs="ES256 EdDSA Ed25519 RS256 PS256"',
      ),
    );
    await expect(verifier.verify(`Bearer ${token}`, { scope: 'cookies:read' })).resolves.toBeDefined();
  });

  it('RFC 6750 §3.1 — no credentials: 401 with a bare challenge, no error code', async () => {
    const error = await refusal(verifierFor().verify(undefined));
    expect(error.status).toBe(401);
    expect(error.wwwAuthenticate).toBe(
      'Bearer realm="cookie-jar", DPoP realm="cookie-jar", algs="ES256 EdDSA Ed25519 RS256 PS256"',
    );
    expect(JSON.parse(error.toResponse().body)).toEqual({ error_description: 'An access token is required' });
  });

  it('key rotation mid-traffic: a new kid makes the verifier refetch the JWKS; old tokens stay valid', async () => {
    const spy = instrumentedFetch();
    const verifier = verifierFor({ fetch: spy.fetch, jwks: { cooldown: 0 }, cache: { maxEntries: 0 } });
    const before = await t.token(app, 'cookies:read');
    await verifier.verify(`Bearer ${before}`);
    expect(spy.count('/jwks')).toBe(1);

    await t.admin('POST', '/signing-keys/rotate', { now: true });
    const after = await t.token(app, 'cookies:read');
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);

    await expect(verifier.verify(`Bearer ${after}`)).resolves.toMatchObject({ tokenType: 'jwt' });
    await expect(verifier.verify(`Bearer ${before}`)).resolves.toMatchObject({ tokenType: 'jwt' });
    expect(spy.count('/jwks')).toBe(2);
  });

  it('unknown kids within the cooldown do not refetch the JWKS (no hammering)', async () => {
    const spy = instrumentedFetch();
    const verifier = verifierFor({ fetch: spy.fetch });
    await verifier.verify(`Bearer ${await t.token(app, 'cookies:read')}`);
    const attacker = await generateKeyPair('ES256');
    for (let i = 0; i < 20; i++) {
      const garbage = await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: `garbage-${i}` })
        .sign(attacker.privateKey);
      expect(await refusal(verifier.verify(`Bearer ${garbage}`))).toMatchObject({
        description: 'The access token is signed with an unknown key',
      });
    }
    expect(spy.count('/jwks')).toBe(1);
  });
});

describe('opaque tokens and API keys (RFC 7662)', () => {
  it('RFC 7662 §2.2 — an opaque token is introspected once, then served from the cache', async () => {
    const spy = instrumentedFetch();
    const verifier = verifierFor({ fetch: spy.fetch });
    const opaque = await t.createClient({ format: 'opaque' });
    const token = await t.token(opaque, 'cookies:read');
    expect(token.startsWith('tsr_at_')).toBe(true);
    for (let i = 0; i < 3; i++) {
      await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({
        tokenType: 'opaque',
        clientId: opaque.clientId,
        scope: ['cookies:read'],
      });
    }
    expect(spy.count('/introspect')).toBe(1);
  });

  it('RFC 7662 §2.2 — an inactive or garbage opaque token is invalid_token', async () => {
    const verifier = verifierFor();
    const error = await refusal(verifier.verify('Bearer tsr_at_garbage'));
    expect(error).toMatchObject({ code: 'invalid_token', description: 'The token is malformed' });
  });

  it('an API key in X-API-Key is verified by introspection: tokenType api_key', async () => {
    const verifier = verifierFor();
    const { key } = await t.createApiKey(app.clientId, 'cookies:read');
    const view = { header: (name: string) => (name === 'x-api-key' ? key : undefined) };
    await expect(verifier.verify(view)).resolves.toMatchObject({
      tokenType: 'api_key',
      subject: app.clientId,
      scope: ['cookies:read'],
      source: 'api_key_header',
    });
  });
});

describe('revocations pushed by the stream (DESIGN §5)', () => {
  it('a revoked JWT is refused once the revocation event arrives, though its signature is valid', async () => {
    const verifier = verifierFor();
    await verifier.ready();
    const token = await t.token(app, 'cookies:read');
    await verifier.verify(`Bearer ${token}`);
    await t.revoke(app, token);
    await eventually(() => verifier.status().revocations.denylistSize > 0, 'the revocation event');
    const error = await refusal(verifier.verify(`Bearer ${token}`));
    expect(error).toMatchObject({ code: 'invalid_token', description: 'The access token has been revoked' });
  });

  it('a revoked opaque token is evicted from the introspection cache', async () => {
    const verifier = verifierFor({ cache: { introspectionTtl: 3600 } });
    await verifier.ready();
    const opaque = await t.createClient({ format: 'opaque' });
    const token = await t.token(opaque, 'cookies:read');
    await verifier.verify(`Bearer ${token}`);
    const seen = verifier.status().revocations.lastEventId;
    await t.revoke(opaque, token);
    await eventually(() => verifier.status().revocations.lastEventId !== seen, 'the revocation event');
    expect((await refusal(verifier.verify(`Bearer ${token}`))).code).toBe('invalid_token');
  });

  it('a revoked API key is refused at once, though its introspection was cached', async () => {
    const verifier = verifierFor({ cache: { introspectionTtl: 3600 } });
    await verifier.ready();
    const { id, key } = await t.createApiKey(app.clientId, 'cookies:read');
    await verifier.verify(`Bearer ${key}`);
    const seen = verifier.status().revocations.lastEventId;
    await t.admin('POST', `/api-keys/${id}/revoke`);
    await eventually(() => verifier.status().revocations.lastEventId !== seen, 'the revocation event');
    // The event evicted the cached answer, so the key is introspected again: inactive.
    expect(await refusal(verifier.verify(`Bearer ${key}`))).toMatchObject({
      code: 'invalid_token',
      status: 401,
    });
  });

  it('disabling a client revokes every token it was issued (a client revocation)', async () => {
    const verifier = verifierFor();
    await verifier.ready();
    const doomed = await t.createClient();
    const token = await t.token(doomed, 'cookies:read');
    await verifier.verify(`Bearer ${token}`);
    const seen = verifier.status().revocations.lastEventId;
    await t.admin('PATCH', `/clients/${doomed.clientId}`, { disabled: true });
    await eventually(() => verifier.status().revocations.lastEventId !== seen, 'the revocation event');
    expect((await refusal(verifier.verify(`Bearer ${token}`))).code).toBe('invalid_token');
  });

  it('WHATWG SSE Last-Event-ID — after a lost connection, events of the outage arrive on reconnect', async () => {
    const spy = instrumentedFetch();
    const verifier = verifierFor({ fetch: spy.fetch });
    await verifier.ready();
    const first = await t.token(app, 'cookies:read');
    const second = await t.token(app, 'cookies:read');
    await verifier.verify(`Bearer ${first}`);
    await verifier.verify(`Bearer ${second}`);
    const seen = verifier.status().revocations.lastEventId;
    await t.revoke(app, await t.token(app, 'cookies:read'));
    await eventually(() => verifier.status().revocations.lastEventId !== seen, 'a first event');
    const resumeFrom = verifier.status().revocations.lastEventId;
    const before = verifier.status().revocations.denylistSize;

    spy.holdStream();
    t.app.server.closeAllConnections();
    await eventually(() => verifier.status().revocations.state === 'reconnecting', 'the loss to be noticed');
    // Revoked during the outage: no connection can carry these now.
    await t.revoke(app, first);
    await t.revoke(app, second);
    await expect(verifier.verify(`Bearer ${first}`)).resolves.toBeDefined();

    spy.releaseStream();
    await verifier.ready();
    await eventually(() => verifier.status().revocations.denylistSize >= before + 2, 'the missed events');
    expect(spy.streamHeaders.at(-1)?.get('last-event-id')).toBe(resumeFrom);
    expect((await refusal(verifier.verify(`Bearer ${first}`))).code).toBe('invalid_token');
    expect((await refusal(verifier.verify(`Bearer ${second}`))).code).toBe('invalid_token');
    expect(verifier.status().revocations.connections).toBe(2);
  });

  it('fail closed: a stream down longer than failClosedAfter refuses with 503, and recovers', async () => {
    const spy = instrumentedFetch();
    const verifier = verifierFor({
      fetch: spy.fetch,
      revocations: { failClosedAfter: 10, minReconnectDelay: 0.02, maxReconnectDelay: 0.05 },
    });
    await verifier.ready();
    const token = await t.token(app, 'cookies:read');
    spy.holdStream();
    t.app.server.closeAllConnections();
    await eventually(() => verifier.status().revocations.state === 'reconnecting', 'the loss to be noticed');
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toBeDefined();
    t.clock.advance(11);
    try {
      const error = await refusal(verifier.verify(`Bearer ${token}`));
      expect(error).toMatchObject({ code: 'temporarily_unavailable', status: 503 });
      expect(error.toResponse().headers['retry-after']).toBe('5');
      expect(verifier.status().revocations.failingClosed).toBe(true);
      spy.releaseStream();
      await verifier.ready();
      expect(verifier.status().revocations).toMatchObject({ state: 'connected', failingClosed: false });
      await expect(verifier.verify(`Bearer ${token}`)).resolves.toBeDefined();
    } finally {
      t.clock.advance(-11);
    }
  });
});
