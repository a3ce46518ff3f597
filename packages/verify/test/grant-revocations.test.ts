/**
 * Grant and session revocations reach the verifier (DESIGN §5): a real, listening Tessera, a person
 * signing in through its pages, and a real verifier with its revocation stream. Tokens issued to a
 * person name their grant (`gid`, or `grant_id` at introspection) and their login session (`sid`);
 * a `family` or `session` revocation must refuse them whether the verifier had cached them as valid
 * or never saw them.
 */
import type { TokenResponse } from '@tessera/protocol';
import { describe, expect, it } from 'vitest';
import { FORM, form, type TestClient } from '../../server/test/support/clients.js';
import { Browser, createCodeClient } from '../../server/test/support/login.js';
import type { Verifier } from '../src/index.js';
import { refusal, codeFlow as signedInTokens } from './support/flows.js';
import { API, eventually } from './support/tessera.js';
import { useVerifierFixture } from './support/verifiers.js';

const fx = useVerifierFixture({ withUser: true });
const readyVerifier = () => fx.readyVerifier();

function appClient(format: 'jwt' | 'opaque'): Promise<TestClient> {
  return createCodeClient(fx.t, { scope: ['cookies:read'], audiences: [API], tokenFormat: format });
}

function tokenRequest(client: TestClient, params: Record<string, string>) {
  return fx.t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { ...FORM, authorization: client.basic },
    payload: form(params),
  });
}

/** Authorization code flow with PKCE through the sign-in pages; returns the token response. */
function codeFlow(client: TestClient, scope: string, browser = new Browser(fx.t)) {
  return signedInTokens(fx.t, client, browser, scope);
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await fx.t.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { ...FORM, authorization: fx.api.basic },
    payload: form({ token }),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
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
      fx.t.clock.advance(11); // past refreshTokens.reuseGrace (10 s): a replay, not a lost response
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
      const browser = new Browser(fx.t);
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
      const browser = new Browser(fx.t);
      const first = await codeFlow(client, 'openid offline_access cookies:read', browser);
      const second = await codeFlow(client, 'openid offline_access cookies:read', browser);
      await verifier.verify(`Bearer ${first.access_token}`);
      const user = await fx.t.store.findUserByUsername('alice');

      const before = verifier.status().revocations.lastEventId;
      const revoked = await fx.t.app.inject({
        method: 'DELETE',
        url: `/admin/users/${user?.id}/consents/${client.id}`,
        headers: fx.t.adminHeaders,
      });
      expect(revoked.statusCode, revoked.body).toBe(204);
      await nextEvent(verifier, before);

      expect((await refusal(verifier.verify(`Bearer ${first.access_token}`))).code).toBe('invalid_token');
      expect((await refusal(verifier.verify(`Bearer ${second.access_token}`))).code).toBe('invalid_token');
    });
  },
);
