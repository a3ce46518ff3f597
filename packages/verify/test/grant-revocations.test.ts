/**
 * Grant and session revocations reach the verifier (DESIGN §5): a real, listening Tessera, a person
 * signing in through its pages, and a real verifier with its revocation stream. Tokens issued to a
 * person name their grant (`gid`, or `grant_id` at introspection) and their login session (`sid`);
 * a `family` or `session` revocation must refuse them whether the verifier had cached them as valid
 * or never saw them.
 */
import type { TokenResponse } from '@tessera/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FORM, form, type TestClient } from '../../server/test/support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  pkcePair,
  REDIRECT_URI,
  signIn,
} from '../../server/test/support/login.js';
import { createVerifier, type Verifier, VerifyError } from '../src/index.js';
import {
  API,
  createApiServerClient,
  eventually,
  type RegisteredClient,
  startTessera,
  type Tessera,
} from './support/tessera.js';

let t: Tessera;
let api: RegisteredClient;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  t = await startTessera();
  api = await createApiServerClient(t);
  await createUser(t);
});
afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((v) => v.close()));
});
afterAll(() => t.close());

async function readyVerifier(): Promise<Verifier> {
  const verifier = createVerifier({
    issuer: t.url,
    audience: API,
    client: { clientId: api.clientId, clientSecret: api.clientSecret },
    now: () => t.clock.now(),
    revocations: { minReconnectDelay: 0.02, maxReconnectDelay: 0.1 },
  });
  verifiers.push(verifier);
  await verifier.ready();
  return verifier;
}

function appClient(format: 'jwt' | 'opaque'): Promise<TestClient> {
  return createCodeClient(t, { scope: ['cookies:read'], audiences: [API], tokenFormat: format });
}

function tokenRequest(client: TestClient, params: Record<string, string>) {
  return t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...FORM, authorization: client.basic },
    payload: form(params),
  });
}

/** Authorization code flow with PKCE through the sign-in pages; returns the token response. */
async function codeFlow(
  client: TestClient,
  scope: string,
  browser = new Browser(t),
): Promise<TokenResponse & { browser: Browser }> {
  const pkce = pkcePair();
  const { code } = await signIn(
    browser,
    authorizeUrl(client.client, { scope, code_challenge: pkce.challenge, code_challenge_method: 'S256' }),
    { issuer: t.url },
  );
  const response = await tokenRequest(client, {
    grant_type: 'authorization_code',
    code: code ?? '',
    redirect_uri: REDIRECT_URI,
    code_verifier: pkce.verifier,
  });
  expect(response.statusCode, response.body).toBe(200);
  return Object.assign(response.json<TokenResponse>(), { browser });
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { ...FORM, authorization: api.basic },
    payload: form({ token }),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

async function refusal(promise: Promise<unknown>): Promise<VerifyError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(VerifyError);
  return error as VerifyError;
}

/** Waits (event-driven, bounded only against a hang) until the stream delivered a newer event. */
async function nextEvent(verifier: Verifier, before: string | undefined): Promise<void> {
  await eventually(() => verifier.status().revocations.lastEventId !== before, 'the revocation event');
}

describe.each(['jwt', 'opaque'] as const)(
  '%s access tokens: family revocations reach the verifier',
  (format) => {
    it('RFC 9700 §4.14.2 — code flow → refresh → replay of the old refresh token → the verifier refuses the access tokens of the family, cached and uncached', async () => {
      const verifier = await readyVerifier();
      const client = await appClient(format);
      const first = await codeFlow(client, 'openid offline_access cookies:read');
      expect(first.refresh_token).toBeDefined();
      // The verifier sees the first access token and caches it as valid.
      const accepted = await verifier.verify(`Bearer ${first.access_token}`);
      expect(accepted.tokenType).toBe(format);
      // RFC 7662 §2.2 extension: the grant the token belongs to, for callers that may see it.
      const answer = await introspect(first.access_token);
      expect(answer.active).toBe(true);
      expect(typeof answer.grant_id).toBe('string');
      expect(typeof answer.sid).toBe('string');

      const rotated = await tokenRequest(client, {
        grant_type: 'refresh_token',
        refresh_token: first.refresh_token ?? '',
      });
      expect(rotated.statusCode, rotated.body).toBe(200);
      const second = rotated.json<TokenResponse>();

      const before = verifier.status().revocations.lastEventId;
      t.clock.advance(11); // past refreshTokens.reuseGrace (10 s): a replay, not a lost response
      const replay = await tokenRequest(client, {
        grant_type: 'refresh_token',
        refresh_token: first.refresh_token ?? '',
      });
      expect(replay.statusCode).toBe(400);
      expect(replay.json()).toMatchObject({ error: 'invalid_grant' });
      await nextEvent(verifier, before);

      // Cached as valid before the revocation: evicted and refused.
      const cached = await refusal(verifier.verify(`Bearer ${first.access_token}`));
      expect(cached.status).toBe(401);
      expect(cached.code).toBe('invalid_token');
      // Never seen by the verifier: refused on first sight.
      const uncached = await refusal(verifier.verify(`Bearer ${second.access_token}`));
      expect(uncached.code).toBe('invalid_token');
      expect((await introspect(second.access_token)).active).toBe(false);
    });
  },
);

describe.each(['jwt', 'opaque'] as const)(
  '%s access tokens: session revocations reach the verifier',
  (format) => {
    it('issue 11 item 4 / OIDC RP-Initiated Logout §2 — sign-in without offline_access, logout → introspection says inactive and the verifier refuses, cached and uncached', async () => {
      const verifier = await readyVerifier();
      const client = await appClient(format);
      const browser = new Browser(t);
      const first = await codeFlow(client, 'openid cookies:read', browser);
      // A second authorization in the same browser session: same `sid`, never shown to the verifier.
      const second = await codeFlow(client, 'openid cookies:read', browser);
      expect(first.refresh_token).toBeUndefined();
      expect(second.refresh_token).toBeUndefined();
      await verifier.verify(`Bearer ${first.access_token}`);

      const before = verifier.status().revocations.lastEventId;
      const logout = await browser.get(
        `/end-session?${new URLSearchParams({ id_token_hint: first.id_token ?? '' })}`,
      );
      expect(logout.statusCode, logout.body).toBe(200);
      await nextEvent(verifier, before);

      expect((await introspect(first.access_token)).active).toBe(false);
      expect((await refusal(verifier.verify(`Bearer ${first.access_token}`))).code).toBe('invalid_token');
      expect((await refusal(verifier.verify(`Bearer ${second.access_token}`))).code).toBe('invalid_token');
    });
  },
);

describe.each(['jwt', 'opaque'] as const)(
  '%s access tokens: consent revocations reach the verifier',
  (format) => {
    it('issue 11 item 7 — revoking the consent of a user to a client → the verifier refuses the tokens of that client for that user, cached and uncached', async () => {
      const verifier = await readyVerifier();
      const client = await appClient(format);
      const browser = new Browser(t);
      const first = await codeFlow(client, 'openid offline_access cookies:read', browser);
      const second = await codeFlow(client, 'openid offline_access cookies:read', browser);
      await verifier.verify(`Bearer ${first.access_token}`);
      const user = await t.store.findUserByUsername('alice');

      const before = verifier.status().revocations.lastEventId;
      const revoked = await t.app.inject({
        method: 'DELETE',
        url: `/admin/users/${user?.id}/consents/${client.id}`,
        headers: t.adminHeaders,
      });
      expect(revoked.statusCode, revoked.body).toBe(204);
      await nextEvent(verifier, before);

      expect((await refusal(verifier.verify(`Bearer ${first.access_token}`))).code).toBe('invalid_token');
      expect((await refusal(verifier.verify(`Bearer ${second.access_token}`))).code).toBe('invalid_token');
    });
  },
);
