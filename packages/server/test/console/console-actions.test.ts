/**
 * The console's clients and API keys pages (issue 17): every change goes through the admin API via
 * the BFF proxy with the operator's token, forms post from this origin only, a refused form keeps
 * what was typed, a read-only operator sees no buttons and a forged post from them is refused by
 * the admin API. The effects are checked at the public endpoints (RFC 6749 §4.4 client credentials,
 * POST /api-keys/verify).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_READ_SCOPES } from '../../src/tokens/admin-tokens/scopes.js';
import { accountSignIn } from '../support/account.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { basicAuthorization, createTestClient } from '../support/clients.js';
import { consoleOperator } from '../support/console.js';
import { Browser, createUser, hiddenFields } from '../support/login.js';
import { enrolTotp } from '../support/totp.js';

const ISSUER = 'http://localhost:9';

let t: TestServer;

afterEach(async () => {
  await t.close();
});

/** A browser signed in to /console as an operator with `scopes` (password + authenticator app). */
const operator = (username: string, scopes: string[]) => consoleOperator(t, ISSUER, username, scopes);

/** The one-time token of the create form on `path` (a double submit creates one object). */
async function formToken(browser: Browser, path: string): Promise<string> {
  return hiddenFields((await browser.get(path)).body).form_token ?? '';
}

function secretIn(body: string, id: string): string {
  const found = new RegExp(`id="${id}">([^<]+)<`).exec(body);
  expect(found, body.slice(0, 600)).not.toBeNull();
  return found?.[1] ?? '';
}

async function clientCredentials(id: string, secret: string): Promise<number> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: {
      authorization: basicAuthorization(id, secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: 'grant_type=client_credentials',
  });
  return response.statusCode;
}

async function clientIdNamed(name: string): Promise<string> {
  const list = await t.app.inject({ method: 'GET', url: '/admin/clients', headers: t.adminHeaders });
  const items = (list.json() as { items: Array<{ client_id: string; name: string }> }).items;
  return items.find((c) => c.name === name)?.client_id ?? '';
}

describe('/console/clients', () => {
  it('create shows the secret once and it works at /token (RFC 6749 §4.4); rotate with grace 0 ends the old one; disable and delete refuse it', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    const created = await browser.post('/console/clients', {
      form_token: await formToken(browser, '/console/clients'),
      name: 'Billing',
      grant_types: 'client_credentials',
      redirect_uris: '',
      scope: 'read',
    });
    expect(created.statusCode, created.body.slice(0, 600)).toBe(200);
    const id = secretIn(created.body, 'client-id');
    const first = secretIn(created.body, 'client-secret');
    expect(await clientCredentials(id, first)).toBe(200);
    // Shown once: the client's page holds only the secret's start.
    const page = await browser.get(`/console/clients/${id}`);
    expect(page.body).toContain('Rotate secret');
    expect(page.body).not.toContain(first);

    const rotated = await browser.post(`/console/clients/${id}/rotate`, { grace: '0' });
    expect(rotated.statusCode).toBe(200);
    const second = secretIn(rotated.body, 'client-secret');
    expect(await clientCredentials(id, first)).toBe(401);
    expect(await clientCredentials(id, second)).toBe(200);

    const edited = await browser.post(`/console/clients/${id}/edit`, {
      name: 'Billing v2',
      redirect_uris: '',
      scope: 'read write',
    });
    expect(edited.statusCode).toBe(303);
    const view = await t.app.inject({ method: 'GET', url: `/admin/clients/${id}`, headers: t.adminHeaders });
    expect(view.json()).toMatchObject({ name: 'Billing v2', scope: 'read write' });

    expect((await browser.post(`/console/clients/${id}/disable`, {})).statusCode).toBe(303);
    expect(await clientCredentials(id, second)).toBe(401);
    expect((await browser.post(`/console/clients/${id}/enable`, {})).statusCode).toBe(303);
    expect(await clientCredentials(id, second)).toBe(200);
    expect((await browser.post(`/console/clients/${id}/delete`, {})).statusCode).toBe(303);
    expect(await clientCredentials(id, second)).toBe(401);
    // A stale page acting on the deleted client is told so.
    const stale = await browser.post(`/console/clients/${id}/rotate`, { grace: '0' });
    expect(stale.statusCode).toBe(404);
    expect(stale.body).toContain('no longer exists');
  });

  it('search filters the list by name or id', async () => {
    t = await bootstrap({ issuer: ISSUER });
    await createTestClient(t, { name: 'Invoices' });
    await createTestClient(t, { name: 'Shipping' });
    const browser = await operator('ada', ['admin']);
    const found = await browser.get('/console/clients?q=invo');
    expect(found.body).toContain('Invoices');
    expect(found.body).not.toContain('Shipping');
  });

  it('a refused form keeps what was typed, says why, and creates nothing', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    const refused = await browser.post('/console/clients', {
      form_token: await formToken(browser, '/console/clients'),
      name: 'Web app',
      grant_types: 'authorization_code',
      redirect_uris: 'not a uri',
      scope: 'openid',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('role="alert"');
    expect(refused.body).toContain('redirect_uris');
    expect(refused.body).toContain('value="Web app"');
    expect(refused.body).toContain('>not a uri</textarea>');
    expect(await clientIdNamed('Web app')).toBe('');
  });

  it('a form post from another site is refused before the admin API is called (Fetch Metadata, Origin)', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    browser.headers['sec-fetch-site'] = 'cross-site';
    browser.headers.origin = 'https://evil.example';
    const forged = await browser.post('/console/clients', {
      name: 'Forged',
      grant_types: 'client_credentials',
    });
    expect(forged.statusCode).toBe(403);
    expect(await clientIdNamed('Forged')).toBe('');
    delete browser.headers['sec-fetch-site'];
    const byOrigin = await browser.post('/console/clients', {
      name: 'Forged',
      grant_types: 'client_credentials',
    });
    expect(byOrigin.statusCode).toBe(403);
    expect(await clientIdNamed('Forged')).toBe('');
  });

  it('a read-only operator sees clients without action buttons; a forged post is refused by the admin API (403)', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const target = await createTestClient(t, { name: 'Keep me' });
    const browser = await operator('lin', [...ADMIN_READ_SCOPES]);
    const list = await browser.get('/console/clients');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Keep me');
    expect(list.body).not.toContain('Create client');
    const page = await browser.get(`/console/clients/${target.id}`);
    expect(page.body).not.toMatch(/<form method="post" action="\/console\/clients/);
    const forged = await browser.post(`/console/clients/${target.id}/delete`, {});
    expect(forged.statusCode).toBe(403);
    expect(forged.body).toContain('does not allow');
    expect(await t.store.findClient(target.id)).toBeDefined();
  });
});

describe('/console/api-keys', () => {
  it('create shows the key once and /api-keys/verify accepts it; revoke makes it invalid', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const verifier = await createTestClient(t, { permissions: ['api_keys:verify'] });
    const owner = await createTestClient(t, { name: 'Owner' });
    const browser = await operator('ada', ['admin']);
    const created = await browser.post('/console/api-keys', {
      form_token: await formToken(browser, '/console/api-keys'),
      name: 'CI',
      owner: owner.id,
      scope: 'read',
      expires_in: '',
    });
    expect(created.statusCode, created.body.slice(0, 600)).toBe(200);
    const key = secretIn(created.body, 'api-key');
    const verify = async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api-keys/verify',
        headers: { authorization: verifier.basic, 'content-type': 'application/json' },
        payload: { key },
      });
      return (response.json() as { valid: boolean }).valid;
    };
    expect(await verify()).toBe(true);
    const list = await browser.get('/console/api-keys');
    expect(list.body).toContain('CI');
    expect(list.body).not.toContain(key);
    const id = /href="\/console\/api-keys\/([^/]+)\/confirm-revoke"/.exec(list.body)?.[1] ?? '';
    expect((await browser.post(`/console/api-keys/${id}/revoke`, {})).statusCode).toBe(303);
    expect(await verify()).toBe(false);
  });

  it('create with an anomaly policy (docs/api-keys.md, "Anomalies"): stored on the key and shown in the list', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const owner = await createTestClient(t, { name: 'Owner' });
    const browser = await operator('ada', ['admin']);
    const form = await browser.get('/console/api-keys');
    expect(form.body).toContain('<select id="key-anomaly-policy" name="anomaly_policy">');
    const created = await browser.post('/console/api-keys', {
      form_token: hiddenFields(form.body).form_token ?? '',
      name: 'Guarded',
      owner: owner.id,
      scope: '',
      expires_in: '',
      anomaly_policy: 'deny',
    });
    expect(created.statusCode, created.body.slice(0, 600)).toBe(200);
    const keys = await t.store.listApiKeys({ owner: owner.id, limit: 10 });
    expect(keys.items.map((key) => key.anomalyPolicy)).toEqual(['deny']);
    expect((await browser.get('/console/api-keys')).body).toContain('anomalies: deny');
  });

  it('a refused form keeps what was typed; a read-only operator gets no buttons and a forged revoke is 403', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const admin = await operator('ada', ['admin']);
    const refused = await admin.post('/console/api-keys', {
      form_token: await formToken(admin, '/console/api-keys'),
      name: 'Orphan',
      owner: 'cli_nobody',
      scope: '',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('value="cli_nobody"');
    expect(refused.body).toContain('role="alert"');
    const owner = await createTestClient(t, { name: 'Owner' });
    const made = await t.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: t.adminHeaders,
      payload: { name: 'Kept', owner: owner.id },
    });
    const keyId = (made.json() as { id: string }).id;
    const reader = await operator('lin', [...ADMIN_READ_SCOPES]);
    const list = await reader.get('/console/api-keys');
    expect(list.body).toContain('Kept');
    expect(list.body).not.toContain('Revoke');
    expect(list.body).not.toContain('Create API key');
    const forged = await reader.post(`/console/api-keys/${keyId}/revoke`, {});
    expect(forged.statusCode).toBe(403);
    const after = await t.app.inject({
      method: 'GET',
      url: `/admin/api-keys/${keyId}`,
      headers: t.adminHeaders,
    });
    expect((after.json() as { status: string }).status).toBe('active');
  });
});

describe('/console/users', () => {
  it('an operator ends a session, resets the authenticator app and disables a person; the admin API agrees', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    const sam = await createUser(t, 'sam');
    await enrolTotp(t, await accountSignIn(t, new Browser(t), 'sam'));
    const id = sam.id;
    const people = await browser.get('/console/users');
    expect(people.body).toContain(`href="/console/users/${id}"`);
    const page = await browser.get(`/console/users/${id}`);
    expect(page.body).toContain('authenticator app: yes');
    const sessionId = /sessions\/([^/]+)\/confirm-end/.exec(page.body)?.[1];
    expect(sessionId, page.body.slice(0, 800)).toBeDefined();
    expect((await browser.post(`/console/users/${id}/sessions/${sessionId}/end`, {})).statusCode).toBe(303);
    const sessions = await t.app.inject({
      method: 'GET',
      url: `/admin/sessions?user_id=${id}`,
      headers: t.adminHeaders,
    });
    expect((sessions.json() as { items: Array<{ id: string }> }).items.map((s) => s.id)).not.toContain(
      sessionId,
    );
    expect((await browser.post(`/console/users/${id}/mfa-reset`, {})).statusCode).toBe(303);
    expect((await browser.get(`/console/users/${id}`)).body).toContain('authenticator app: no');
    expect((await browser.post(`/console/users/${id}/disable`, {})).statusCode).toBe(303);
    const after = await t.app.inject({ method: 'GET', url: `/admin/users/${id}`, headers: t.adminHeaders });
    expect((after.json() as { disabled: boolean }).disabled).toBe(true);
  });

  it('a read-only operator sees a person without buttons; a forged disable is refused by the admin API (403)', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const target = await createUser(t, 'kim');
    const reader = await operator('lin', [...ADMIN_READ_SCOPES]);
    const page = await reader.get(`/console/users/${target.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>kim</h1>');
    expect(page.body).not.toMatch(/method="post" action="\/console\/(?!auth\/logout)/);
    const forged = await reader.post(`/console/users/${target.id}/disable`, {});
    expect(forged.statusCode).toBe(403);
    const after = await t.app.inject({
      method: 'GET',
      url: `/admin/users/${target.id}`,
      headers: t.adminHeaders,
    });
    expect((after.json() as { disabled: boolean }).disabled).toBe(false);
  });
});

describe('/console/signing-keys', () => {
  async function jwksKids(): Promise<string[]> {
    const jwks = await t.app.inject({ method: 'GET', url: '/jwks' });
    return (jwks.json() as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
  }

  it('rotate adds a key; pulling a key takes it out of the JWKS (RFC 7517) and a replacement signs', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    const page = await browser.get('/console/signing-keys');
    const kids = [...page.body.matchAll(/signing-keys\/([^/"]+)\/confirm-pull/g)].map((m) => m[1] ?? '');
    expect(kids.length).toBeGreaterThan(0);
    expect((await browser.post('/console/signing-keys/rotate', {})).statusCode).toBe(303);
    const after = await browser.get('/console/signing-keys');
    expect([...after.body.matchAll(/signing-keys\/([^/"]+)\/confirm-pull/g)].length).toBeGreaterThan(
      kids.length,
    );
    const pulled = kids[0] ?? '';
    expect(await jwksKids()).toContain(pulled);
    expect((await browser.post(`/console/signing-keys/${pulled}/revoke`, {})).statusCode).toBe(303);
    expect(await jwksKids()).not.toContain(pulled);
    const client = await createTestClient(t);
    const token = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials',
    });
    const jwt = (token.json() as { access_token: string }).access_token;
    const { kid } = JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString()) as {
      kid: string;
    };
    expect(kid).not.toBe(pulled);
    expect(await jwksKids()).toContain(kid);
  });

  it('a read-only operator sees the keys without buttons; a forged rotate is refused by the admin API (403)', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const reader = await operator('lin', [...ADMIN_READ_SCOPES]);
    const page = await reader.get('/console/signing-keys');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/method="post" action="\/console\/(?!auth\/logout)/);
    const before = await t.app.inject({ method: 'GET', url: '/admin/signing-keys', headers: t.adminHeaders });
    expect((await reader.post('/console/signing-keys/rotate', { now: 'true' })).statusCode).toBe(403);
    const after = await t.app.inject({ method: 'GET', url: '/admin/signing-keys', headers: t.adminHeaders });
    expect(after.json()).toEqual(before.json());
  });
});

describe('/console/risk', () => {
  async function decision(user: string, at: number, verdict: string, score: number): Promise<void> {
    await t.store.appendAudit({
      type: 'risk.decision',
      actor: user,
      subject: user,
      data: {
        decision: verdict,
        outcome: verdict === 'allow' ? 'proceed' : verdict,
        score,
        amr: ['pwd'],
        ip: '192.0.2.1',
        factors: [{ name: 'new_device', value: score }],
      },
      at,
      requestId: null,
    });
  }

  it('a read-only operator sees score, decision, outcome and factors, filtered by person, decision and UTC day; a bad day or decision is a 400 that keeps the form', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', [...ADMIN_READ_SCOPES]);
    const day = Date.parse('2026-03-01T00:00:00Z') / 1000;
    await decision('u-alice', day + 10, 'allow', 0.125);
    await decision('u-bob', day + 86_400 + 10, 'deny', 0.875);
    await decision('u-alice', day + 2 * 86_400 + 10, 'step_up', 0.5);

    const all = await browser.get('/console/risk');
    expect(all.statusCode, all.body.slice(0, 600)).toBe(200);
    expect(all.body).toContain('<td>deny · score 0.88<br>outcome deny</td>');
    expect(all.body).toContain('<td>new_device 0.88</td>');
    expect(all.body).toContain('<td>allow · score 0.13<br>outcome proceed</td>');

    const alice = await browser.get('/console/risk?user_id=u-alice');
    expect(alice.body).toContain('step_up');
    expect(alice.body).not.toContain('u-bob');
    const denied = await browser.get('/console/risk?decision=deny');
    expect(denied.body).toContain('u-bob');
    expect(denied.body).not.toContain('u-alice');
    // Both days inclusive: the second and third decision, not the first.
    const days = await browser.get('/console/risk?since=2026-03-02&until=2026-03-03');
    expect(days.body).toContain('2026-03-02T00:00:10Z');
    expect(days.body).toContain('2026-03-03T00:00:10Z');
    expect(days.body).not.toContain('2026-03-01T00:00:10Z');
    const oneDay = await browser.get('/console/risk?since=2026-03-02&until=2026-03-02');
    expect(oneDay.body).toContain('u-bob');
    expect(oneDay.body).not.toContain('u-alice');

    const badDay = await browser.get('/console/risk?since=2026-02-30&user_id=u-alice');
    expect(badDay.statusCode).toBe(400);
    expect(badDay.body).toContain('YYYY-MM-DD');
    expect(badDay.body).toContain('value="u-alice"');
    const badDecision = await browser.get('/console/risk?decision=maybe');
    expect(badDecision.statusCode).toBe(400);
    expect(badDecision.body).toContain('role="alert"');
  });

  it('pages through older decisions with the filters kept', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    for (let i = 0; i < 51; i++) {
      await decision(i === 0 ? 'u-first' : 'u-other', 1_000_000 + i, 'allow', 0.1);
    }
    const first = await browser.get('/console/risk?decision=allow');
    expect(first.body).not.toContain('u-first');
    const next = /<a href="([^"]+)">Older decisions<\/a>/.exec(first.body)?.[1]?.replaceAll('&#38;', '&');
    expect(next).toContain('decision=allow');
    const second = await browser.get(String(next));
    expect(second.body).toContain('u-first');
    expect(second.body).not.toContain('Older decisions');
  });

  it('an operator without risk:read is told the role does not allow it', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['users:read', 'clients:read']);
    const page = await browser.get('/console/risk');
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('Your admin role does not allow this.');
  });
});
