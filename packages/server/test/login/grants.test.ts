/**
 * The authorization_code and refresh_token grants at `/token` (RFC 6749 §4.1.3, §6; RFC 7636 §4.6;
 * RFC 9700 §4.5 code injection, §4.8 PKCE downgrade, §4.14 refresh-token replay), and refresh
 * tokens at `/introspect` and `/revoke` (RFC 7662, RFC 7009).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/ids.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { form, type TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createPublicClient,
  createUser,
  pkcePair,
  REDIRECT_URI,
  signIn,
} from '../support/login.js';

let t: TestServer;
let c: TestClient;

beforeEach(async () => {
  t = await bootstrap();
  await createUser(t);
  c = await createCodeClient(t);
});
afterEach(async () => {
  await t.close();
});

async function getCode(
  client: TestClient,
  scope = 'openid offline_access read',
  extra: Record<string, string> = {},
) {
  const pkce = pkcePair();
  const { code } = await signIn(
    new Browser(t),
    authorizeUrl(client.client, {
      scope,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      ...extra,
    }),
  );
  return { code: code ?? '', verifier: pkce.verifier };
}

function token(client: TestClient | null, params: Record<string, string>) {
  return t.app.inject({
    method: 'POST',
    url: '/token',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(client === null ? {} : { authorization: client.basic }),
    },
    payload: form(params),
  });
}

function redeem(
  client: TestClient,
  code: { code: string; verifier: string },
  extra: Record<string, string> = {},
) {
  return token(client, {
    grant_type: 'authorization_code',
    code: code.code,
    redirect_uri: REDIRECT_URI,
    code_verifier: code.verifier,
    ...extra,
  });
}

function introspect(client: TestClient, value: string) {
  return t.app.inject({
    method: 'POST',
    url: '/introspect',
    headers: { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ token: value }),
  });
}

describe('authorization_code (RFC 6749 §4.1.3, OAuth 2.1 §4.1.3)', () => {
  it('RFC 6749 §5.1 — access, refresh and ID token, no-store', async () => {
    const response = await redeem(c, await getCode(c));
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access read' });
    expect(body.refresh_token).toMatch(/^tsr_rt_/);
    expect(body.id_token.split('.')).toHaveLength(3);
    expect(body.expires_in).toBeGreaterThan(0);
  });

  it('OIDC Core §11 — openid without offline_access → no refresh token', async () => {
    const body = (await redeem(c, await getCode(c, 'openid read'))).json();
    expect(body.refresh_token).toBeUndefined();
    expect(body.id_token).toBeDefined();
  });

  it('RFC 6749 §1.5 — plain OAuth (no openid) with the refresh_token grant → refresh token, no ID token', async () => {
    const body = (await redeem(c, await getCode(c, 'read'))).json();
    expect(body.refresh_token).toMatch(/^tsr_rt_/);
    expect(body.id_token).toBeUndefined();
  });

  it('a client not allowed refresh_token gets none', async () => {
    const noRefresh = await createCodeClient(t, { grantTypes: ['authorization_code'] });
    const body = (await redeem(noRefresh, await getCode(noRefresh, 'read'))).json();
    expect(body.refresh_token).toBeUndefined();
  });

  it('RFC 6749 §4.1.2 / RFC 9700 §4.5 — a replayed code → invalid_grant and the tokens issued from it are revoked', async () => {
    const code = await getCode(c);
    const first = (await redeem(c, code)).json();
    const replay = await redeem(c, code);
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error).toBe('invalid_grant');
    expect((await introspect(c, first.access_token)).json().active).toBe(false);
    const refresh = await token(c, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(refresh.json().error).toBe('invalid_grant');
    await t.audit.flush();
    expect((await t.store.listAudit({ type: 'authorization_code.reused' })).items).toHaveLength(1);
  });

  it('RFC 9700 §4.5 (code injection) — a code redeemed by another client → invalid_grant', async () => {
    const other = await createCodeClient(t);
    const response = await redeem(other, await getCode(c));
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_grant');
    // The code is still redeemable by its client: the description must not say it is live.
    expect(response.json().error_description).toBe(
      'The authorization code is invalid, expired, already used or was issued to another client',
    );
  });

  it('RFC 6749 §4.1.3 / RFC 9700 §4.5 — another client presenting a leaked code → invalid_grant; the code is not burned and no replay revocation fires, before or after the rightful redemption', async () => {
    const other = await createCodeClient(t);
    const code = await getCode(c);
    const published: unknown[] = [];
    const unsubscribe = t.bus.subscribe('revocation.created', (event) => published.push(event));
    try {
      const stolen = await redeem(other, code);
      expect(stolen.statusCode).toBe(400);
      expect(stolen.json().error).toBe('invalid_grant');
      expect(published).toEqual([]);

      const rightful = await redeem(c, code);
      expect(rightful.statusCode, rightful.body).toBe(200);
      const body = rightful.json();

      const late = await redeem(other, code);
      expect(late.json().error).toBe('invalid_grant');
      expect(published).toEqual([]);
      expect((await introspect(c, body.access_token)).json().active).toBe(true);
      expect((await introspect(c, body.refresh_token)).json().active).toBe(true);
    } finally {
      unsubscribe();
    }
  });

  it('RFC 7636 §4.6 (code injection) — a wrong code_verifier → invalid_grant', async () => {
    const code = await getCode(c);
    const response = await redeem(c, { code: code.code, verifier: pkcePair().verifier });
    expect(response.json().error).toBe('invalid_grant');
    // The code is spent by now, so naming the failed check tells the client only its own mistake.
    expect(response.json().error_description).toContain(
      'code_verifier does not match the code_challenge of the authorization request',
    );
  });

  it('RFC 9700 §4.8 (PKCE downgrade) — a missing code_verifier → invalid_grant', async () => {
    const code = await getCode(c);
    const response = await token(c, {
      grant_type: 'authorization_code',
      code: code.code,
      redirect_uri: REDIRECT_URI,
    });
    expect(response.json().error).toBe('invalid_grant');
    expect(response.json().error_description).toContain('code_verifier is required');
  });

  it('RFC 9700 §4.8 (PKCE downgrade) — a code_verifier for a code issued without a challenge → invalid_grant', async () => {
    await t.close();
    t = await bootstrap({ 'login.requirePkce': false });
    await createUser(t);
    c = await createCodeClient(t);
    const { code } = await signIn(new Browser(t), authorizeUrl(c.client, { scope: 'read' }));
    const response = await token(c, {
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: pkcePair().verifier,
    });
    expect(response.json().error).toBe('invalid_grant');
    expect(response.json().error_description).toContain(
      'code_verifier was sent, but the authorization request had no code_challenge',
    );
  });

  it('RFC 6749 §4.1.3 — redirect_uri different from (or missing vs.) the authorization request → invalid_grant', async () => {
    const code = await getCode(c);
    const response = await redeem(c, code, { redirect_uri: 'https://app.example.com/other' });
    expect(response.json().error).toBe('invalid_grant');
    expect(response.json().error_description).toContain(
      'redirect_uri is not identical to the redirect_uri of the authorization request',
    );
    const missing = await getCode(c);
    const noUri = await token(c, {
      grant_type: 'authorization_code',
      code: missing.code,
      code_verifier: missing.verifier,
    });
    expect(noUri.json().error).toBe('invalid_grant');
  });

  it('RFC 6749 §4.1.2 — a code older than login.codeTtl (60 s) → invalid_grant', async () => {
    const code = await getCode(c);
    t.clock.advance(61);
    expect((await redeem(c, code)).json()).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringContaining('The authorization code has expired'),
    });
  });

  it('a malformed or unknown code → invalid_grant; a missing one → invalid_request', async () => {
    expect((await redeem(c, { code: 'tsr_ac_garbage', verifier: pkcePair().verifier })).json().error).toBe(
      'invalid_grant',
    );
    expect(
      (await token(c, { grant_type: 'authorization_code', redirect_uri: REDIRECT_URI })).json().error,
    ).toBe('invalid_request');
  });

  it('OAuth 2.1 §2.4 — a public client authenticates with client_id only (none)', async () => {
    const pub = await createPublicClient(t);
    const code = await getCode(pub);
    const response = await token(null, {
      grant_type: 'authorization_code',
      client_id: pub.id,
      code: code.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: code.verifier,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().refresh_token).toMatch(/^tsr_rt_/);
  });

  it('RFC 6749 §2.3 — a confidential client without credentials → invalid_client', async () => {
    const code = await getCode(c);
    const response = await token(null, {
      grant_type: 'authorization_code',
      client_id: c.id,
      code: code.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: code.verifier,
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_client');
  });

  it('a user disabled after the login cannot redeem the code', async () => {
    const code = await getCode(c);
    const user = await t.store.findUserByUsername('alice');
    t.clock.advance(1);
    await t.app.inject({ method: 'POST', url: `/admin/users/${user?.id}/disable`, headers: t.adminHeaders });
    expect((await redeem(c, code)).json().error).toBe('invalid_grant');
  });
});

describe('refresh_token (RFC 6749 §6, RFC 9700 §4.14)', () => {
  async function tokens(scope = 'openid offline_access read write') {
    return (await redeem(c, await getCode(c, scope))).json<{
      access_token: string;
      refresh_token: string;
      scope: string;
    }>();
  }

  it('RFC 9700 §4.14.2 — every use rotates the refresh token', async () => {
    const first = await tokens();
    const second = await token(c, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(second.statusCode).toBe(200);
    const body = second.json();
    expect(body.refresh_token).toMatch(/^tsr_rt_/);
    expect(body.refresh_token).not.toBe(first.refresh_token);
    expect(body.scope).toBe('openid offline_access read write');
    expect(body.id_token).toBeDefined();
    const third = await token(c, { grant_type: 'refresh_token', refresh_token: body.refresh_token });
    expect(third.statusCode).toBe(200);
  });

  it('RFC 9700 §4.14.2 (refresh-token replay) — a used token → invalid_grant, the whole family revoked, refresh_token.reused recorded', async () => {
    const first = await tokens();
    const rotated = (
      await token(c, { grant_type: 'refresh_token', refresh_token: first.refresh_token })
    ).json();
    const published: unknown[] = [];
    t.bus.subscribe('revocation.created', (event) => published.push(event.target));
    t.clock.advance(10); // past refreshTokens.reuseGrace (10 s): a replay, not a lost response
    const replay = await token(c, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error).toBe('invalid_grant');
    // The legitimate holder's newer token is dead too, and so are the access tokens of the family.
    expect(
      (await token(c, { grant_type: 'refresh_token', refresh_token: rotated.refresh_token })).json().error,
    ).toBe('invalid_grant');
    expect((await introspect(c, rotated.access_token)).json().active).toBe(false);
    expect((await introspect(c, first.access_token)).json().active).toBe(false);
    expect(published).toContainEqual(expect.objectContaining({ type: 'family' }));
    await t.audit.flush();
    const events = await t.store.listAudit({ type: 'refresh_token.reused' });
    expect(events.items).toHaveLength(1);
    expect(JSON.stringify(events.items)).not.toContain(first.refresh_token);
  });

  describe('reuse grace (refreshTokens.reuseGrace, default 10 s)', () => {
    const refresh = (value: string, extra: Record<string, string> = {}) =>
      token(c, { grant_type: 'refresh_token', refresh_token: value, ...extra });

    it('RFC 9700 §4.14.2 — a refresh whose response was lost: the same token again within the grace → 200 with the SAME new refresh token; the family stays live', async () => {
      const first = await tokens();
      const lost = (await refresh(first.refresh_token)).json();
      t.clock.advance(9);
      const retry = await refresh(first.refresh_token);
      expect(retry.statusCode).toBe(200);
      const body = retry.json();
      expect(body.refresh_token).toBe(lost.refresh_token);
      expect(body.scope).toBe('openid offline_access read write');
      expect((await introspect(c, body.access_token)).json().active).toBe(true);
      expect((await introspect(c, lost.access_token)).json().active).toBe(true);
      // The one successor rotates as usual afterwards.
      const next = await refresh(body.refresh_token);
      expect(next.statusCode).toBe(200);
      expect(next.json().refresh_token).not.toBe(body.refresh_token);
      await t.audit.flush();
      const events = await t.store.listAudit({ type: 'refresh_token.retried' });
      expect(events.items).toHaveLength(1);
      expect(JSON.stringify(events.items)).not.toContain(lost.refresh_token);
      expect((await t.store.listAudit({ type: 'refresh_token.reused' })).items).toHaveLength(0);
    });

    it('RFC 9700 §4.14.2 — two parallel presentations of the same token → both 200 with the same refresh token: one live branch', async () => {
      const first = await tokens();
      const [a, b] = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token)]);
      expect([a?.statusCode, b?.statusCode]).toEqual([200, 200]);
      expect(a?.json().refresh_token).toBe(b?.json().refresh_token);
      // That single successor is the family's only live token: using it and then the old one again
      // (its successor now used) is reuse, and the whole family goes.
      const rotated = await refresh(a?.json().refresh_token);
      expect(rotated.statusCode).toBe(200);
      expect((await refresh(first.refresh_token)).json().error).toBe('invalid_grant');
      expect((await refresh(rotated.json().refresh_token)).json().error).toBe('invalid_grant');
    });

    it('RFC 9700 §4.14.2 — once the successor was used, the old token (even within the grace) is reuse: family revoked', async () => {
      const first = await tokens();
      const second = (await refresh(first.refresh_token)).json();
      const third = (await refresh(second.refresh_token)).json();
      t.clock.advance(1);
      const replay = await refresh(first.refresh_token);
      expect(replay.statusCode).toBe(400);
      expect(replay.json().error).toBe('invalid_grant');
      expect((await refresh(third.refresh_token)).json().error).toBe('invalid_grant');
      expect((await introspect(c, third.access_token)).json().active).toBe(false);
    });

    it('RFC 9700 §4.14.2 — single use beyond the grace: 10 s after the rotation the old token is reuse and the family is revoked', async () => {
      const first = await tokens();
      const second = (await refresh(first.refresh_token)).json();
      t.clock.advance(10);
      expect((await refresh(first.refresh_token)).json().error).toBe('invalid_grant');
      expect((await refresh(second.refresh_token)).json().error).toBe('invalid_grant');
      expect((await introspect(c, second.access_token)).json().active).toBe(false);
    });

    it('RFC 6749 §6 — within the grace, another client presenting the old token → invalid_grant, and nothing is burnt', async () => {
      const first = await tokens();
      const second = (await refresh(first.refresh_token)).json();
      const other = await createCodeClient(t);
      expect(
        (await token(other, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).json()
          .error,
      ).toBe('invalid_grant');
      expect((await refresh(second.refresh_token)).statusCode).toBe(200);
    });

    it('refreshTokens.reuseGrace = 0 disables it: the old token again at once is reuse', async () => {
      await t.close();
      t = await bootstrap({ 'refreshTokens.reuseGrace': '0' });
      await createUser(t);
      c = await createCodeClient(t);
      const first = await tokens();
      const second = (await refresh(first.refresh_token)).json();
      expect((await refresh(first.refresh_token)).json().error).toBe('invalid_grant');
      expect((await refresh(second.refresh_token)).json().error).toBe('invalid_grant');
    });
  });

  it('RFC 6749 §6 — down-scoping is allowed; the refresh token keeps the original scope', async () => {
    const first = await tokens();
    const narrow = (
      await token(c, { grant_type: 'refresh_token', refresh_token: first.refresh_token, scope: 'read' })
    ).json();
    expect(narrow.scope).toBe('read');
    const wide = (
      await token(c, { grant_type: 'refresh_token', refresh_token: narrow.refresh_token })
    ).json();
    expect(wide.scope).toBe('openid offline_access read write');
  });

  it('RFC 6749 §6 — up-scoping → invalid_scope, and the token is not consumed', async () => {
    const first = await tokens('openid offline_access read');
    const up = await token(c, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      scope: 'read write',
    });
    expect(up.statusCode).toBe(400);
    expect(up.json().error).toBe('invalid_scope');
    expect(
      (await token(c, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).statusCode,
    ).toBe(200);
  });

  it('RFC 6749 §6 — another client presenting the token → invalid_grant, without burning it', async () => {
    const first = await tokens();
    const other = await createCodeClient(t);
    expect(
      (await token(other, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).json().error,
    ).toBe('invalid_grant');
    expect(
      (await token(c, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).statusCode,
    ).toBe(200);
  });

  it('a person disabled or re-keyed since the token was issued (store changed directly, no revocation sent) → invalid_grant, the token not spent', async () => {
    const first = await tokens();
    const record = await t.store.findRefreshToken(hashSecret(first.refresh_token));
    const userId = record?.userId ?? '';
    const refresh = () => token(c, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    await t.store.updateUser(userId, { disabled: true }, t.clock.now());
    expect((await refresh()).json().error).toBe('invalid_grant');
    await t.store.updateUser(userId, { disabled: false, tokensValidAfter: t.clock.now() + 1 }, t.clock.now());
    expect((await refresh()).json().error).toBe('invalid_grant');
    // Neither refusal spent the token or revoked its family: with the person as before, it rotates.
    await t.store.updateUser(userId, { tokensValidAfter: 0 }, t.clock.now());
    expect((await t.store.findRefreshToken(hashSecret(first.refresh_token)))?.usedAt).toBeNull();
    expect((await refresh()).statusCode).toBe(200);
    await t.audit.flush();
    expect((await t.store.listAudit({ type: 'refresh_token.reused' })).items).toHaveLength(0);
  });

  it('RFC 9700 §4.14.2 — sliding lifetime: unused for longer than refreshTokens.idleTtl → invalid_grant', async () => {
    await t.close();
    t = await bootstrap({ 'refreshTokens.idleTtl': '1h', 'refreshTokens.maxTtl': '3h' });
    await createUser(t);
    c = await createCodeClient(t);
    let current = (await tokens()).refresh_token;
    // Used every 50 minutes it keeps working … until the absolute lifetime ends.
    for (let i = 0; i < 3; i++) {
      t.clock.advance(50 * 60);
      const next = await token(c, { grant_type: 'refresh_token', refresh_token: current });
      expect(next.statusCode).toBe(200);
      current = next.json().refresh_token;
    }
    t.clock.advance(40 * 60); // 3h10m after the grant: past refreshTokens.maxTtl
    expect((await token(c, { grant_type: 'refresh_token', refresh_token: current })).json().error).toBe(
      'invalid_grant',
    );

    const idle = (await tokens()).refresh_token;
    t.clock.advance(61 * 60);
    expect((await token(c, { grant_type: 'refresh_token', refresh_token: idle })).json().error).toBe(
      'invalid_grant',
    );
  });

  it('RFC 6749 §5.2 — a client not allowed the refresh_token grant → unauthorized_client', async () => {
    const first = await tokens();
    await t.store.updateClient(c.id, { grantTypes: ['authorization_code'] }, t.clock.now());
    t.bus.publish('client.updated', { clientId: c.id });
    const response = await token(c, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(response.json().error).toBe('unauthorized_client');
  });

  it('a public client refreshes with client_id only', async () => {
    const pub = await createPublicClient(t);
    const code = await getCode(pub);
    const first = (
      await token(null, {
        grant_type: 'authorization_code',
        client_id: pub.id,
        code: code.code,
        redirect_uri: REDIRECT_URI,
        code_verifier: code.verifier,
      })
    ).json();
    const next = await token(null, {
      grant_type: 'refresh_token',
      client_id: pub.id,
      refresh_token: first.refresh_token,
    });
    expect(next.statusCode).toBe(200);
  });
});

describe('refresh tokens at /introspect and /revoke', () => {
  it('RFC 7662 §2.2 — active for its client until used; inactive for another client', async () => {
    const body = (await redeem(c, await getCode(c))).json();
    const active = (await introspect(c, body.refresh_token)).json();
    expect(active).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      client_id: c.id,
      scope: 'openid offline_access read',
    });
    const other = await createCodeClient(t);
    expect((await introspect(other, body.refresh_token)).json()).toEqual({ active: false });
    await token(c, { grant_type: 'refresh_token', refresh_token: body.refresh_token });
    expect((await introspect(c, body.refresh_token)).json()).toEqual({ active: false });
  });

  it('RFC 7009 §2.1 — revoking a refresh token revokes its grant, access tokens included', async () => {
    const body = (await redeem(c, await getCode(c))).json();
    const revoked = await t.app.inject({
      method: 'POST',
      url: '/revoke',
      headers: { authorization: c.basic, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ token: body.refresh_token, token_type_hint: 'refresh_token' }),
    });
    expect(revoked.statusCode).toBe(200);
    expect(
      (await token(c, { grant_type: 'refresh_token', refresh_token: body.refresh_token })).json().error,
    ).toBe('invalid_grant');
    expect((await introspect(c, body.access_token)).json().active).toBe(false);
  });

  it('RFC 7009 §2.1 / §2.2.1 — another client presenting the refresh token → 400 unauthorized_client, token untouched', async () => {
    const body = (await redeem(c, await getCode(c))).json();
    const other = await createCodeClient(t);
    const response = await t.app.inject({
      method: 'POST',
      url: '/revoke',
      headers: { authorization: other.basic, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ token: body.refresh_token }),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'unauthorized_client' });
    expect((await introspect(c, body.refresh_token)).json().active).toBe(true);
    expect((await introspect(c, body.access_token)).json().active).toBe(true);
    expect(
      (await token(c, { grant_type: 'refresh_token', refresh_token: body.refresh_token })).statusCode,
    ).toBe(200);
  });
});
