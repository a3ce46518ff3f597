/**
 * OIDC Core §8 on PostgreSQL: the refresh grant takes the `sub` the person chose from the
 * redemption statement itself (no separate read), so a refresh after a choice carries the chosen
 * `sub`, and after switching back, the account id. Fails, never skips, in CI when PostgreSQL is
 * down (TESSERA_REQUIRE_SERVICES=1).
 */
import { decodeJwt } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { FORM, form, type TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  hiddenFields,
  pkcePair,
  signIn,
} from '../support/login.js';
import { dropSchema, uniqueSchema } from '../support/postgres-nodes.js';
import { isPostgresReachable, POSTGRES_URL, requireService } from '../support/requirements.js';

const ok = requireService('PostgreSQL', await isPostgresReachable());
const schema = uniqueSchema('subject_choice');
const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  if (ok) {
    await dropSchema(schema);
  }
});

describe.skipIf(!ok)('OIDC Core §8 — a chosen sub on refresh, PostgreSQL', () => {
  it('a refresh after choosing pairwise carries the pairwise sub; after switching back, refreshing a new grant carries the account id', async () => {
    const t = await bootstrap({ 'database.url': POSTGRES_URL, 'database.schema': schema });
    servers.push(t);
    const alice = await createUser(t);
    const app = await createCodeClient(t, {
      name: 'Chosen App',
      scope: ['openid', 'offline_access', 'read'],
    });
    const browser = new Browser(t);
    async function signInAt(c: TestClient) {
      const pkce = pkcePair();
      const { code } = await signIn(
        browser,
        authorizeUrl(c.client, {
          scope: 'openid offline_access read',
          code_challenge: pkce.challenge,
          code_challenge_method: 'S256',
          prompt: 'consent',
        }),
      );
      const response = await t.app.inject({
        method: 'POST',
        url: '/token',
        headers: { authorization: c.basic, ...FORM },
        payload: form({
          grant_type: 'authorization_code',
          code: code ?? '',
          redirect_uri: c.client.redirectUris[0] ?? '',
          code_verifier: pkce.verifier,
        }),
      });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ refresh_token: string }>().refresh_token;
    }
    async function choose(subjectType: string) {
      const csrf = hiddenFields((await browser.get('/account')).body).csrf_token ?? '';
      const chosen = await browser.post('/account/apps/subject', {
        csrf_token: csrf,
        client_id: app.id,
        subject_type: subjectType,
      });
      expect(chosen.statusCode).toBe(303);
    }
    async function refreshedSubs(refreshToken: string) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/token',
        headers: { authorization: app.basic, ...FORM },
        payload: form({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      });
      expect(response.statusCode, response.body).toBe(200);
      const tokens = response.json<{ access_token: string; id_token: string }>();
      return [decodeJwt(tokens.access_token).sub, decodeJwt(tokens.id_token).sub];
    }

    expect(await refreshedSubs(await signInAt(app))).toEqual([alice.id, alice.id]);
    await choose('pairwise');
    const pairwise = (await t.store.findSubjectChoice(alice.id, app.id))?.subject;
    expect(pairwise).toBeDefined();
    expect(pairwise).not.toBe(alice.id);
    expect(await refreshedSubs(await signInAt(app))).toEqual([pairwise, pairwise]);
    await choose('public');
    expect(await refreshedSubs(await signInAt(app))).toEqual([alice.id, alice.id]);
  });
});
