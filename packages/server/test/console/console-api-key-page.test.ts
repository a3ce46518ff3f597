/**
 * One API key's console page (/console/api-keys/{id}): edit, rotate with a grace period, disable and
 * enable, acknowledge anomalies, all through the admin API via the BFF proxy with the operator's
 * token. The effects are checked through GET /admin/api-keys/{id} and at POST /api-keys/verify. A
 * read-only operator sees no forms and a forged post is refused; a post from another site is
 * refused before the admin API is called; a revoked or unknown key's page says so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_READ_SCOPES } from '../../src/tokens/admin-tokens/scopes.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient } from '../support/clients.js';
import { consoleOperator } from '../support/console.js';

const ISSUER = 'http://localhost:9';

let t: TestServer;

afterEach(async () => {
  await t.close();
});

/** A browser signed in to /console as an operator with `scopes` (password + authenticator app). */
const operator = (username: string, scopes: string[]) => consoleOperator(t, ISSUER, username, scopes);

function secretIn(body: string, id: string): string {
  const found = new RegExp(`id="${id}">([^<]+)<`).exec(body);
  expect(found, body.slice(0, 600)).not.toBeNull();
  return found?.[1] ?? '';
}

/** A key made through the admin API, and a verifier for it at POST /api-keys/verify. */
async function apiKey(name: string): Promise<{ id: string; key: string }> {
  const owner = await createTestClient(t, { name: `${name} owner` });
  const made = await t.app.inject({
    method: 'POST',
    url: '/admin/api-keys',
    headers: t.adminHeaders,
    payload: { name, owner: owner.id, scope: 'read' },
  });
  expect(made.statusCode).toBe(201);
  return made.json() as { id: string; key: string };
}

async function verifier(): Promise<(key: string) => Promise<boolean>> {
  const client = await createTestClient(t, { permissions: ['api_keys:verify'] });
  return async (key) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api-keys/verify',
      headers: { authorization: client.basic, 'content-type': 'application/json' },
      payload: { key },
    });
    return (response.json() as { valid: boolean }).valid;
  };
}

async function adminView(id: string): Promise<Record<string, unknown>> {
  const view = await t.app.inject({ method: 'GET', url: `/admin/api-keys/${id}`, headers: t.adminHeaders });
  return view.json() as Record<string, unknown>;
}

describe('/console/api-keys/{id}', () => {
  it('the list links each key to its page; the page shows its details', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const { id } = await apiKey('CI');
    const browser = await operator('ada', ['admin']);
    const list = await browser.get('/console/api-keys');
    expect(list.body).toContain(`<a href="/console/api-keys/${id}">CI</a>`);
    const page = await browser.get(`/console/api-keys/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>CI</h1>');
    expect(page.body).toContain('<span id="key-state">active</span>');
    expect(page.body).toContain('no rate limit');
    expect(page.body).toContain('action="/console/auth/logout"');
  });

  it('edit (name, scopes, anomaly policy) is applied through PATCH /admin/api-keys/{id}; a refused edit keeps what was typed and says why', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const { id } = await apiKey('CI');
    const browser = await operator('ada', ['admin']);
    const edited = await browser.post(`/console/api-keys/${id}/edit`, {
      name: 'CI v2',
      scope: 'read write',
      anomaly_policy: 'alert',
    });
    expect(edited.statusCode, edited.body.slice(0, 600)).toBe(303);
    expect(String(edited.headers.location)).toBe(`/console/api-keys/${id}`);
    expect(await adminView(id)).toMatchObject({
      name: 'CI v2',
      scope: 'read write',
      anomaly_policy: 'alert',
    });
    const page = await browser.get(`/console/api-keys/${id}`);
    expect(page.body).toContain('value="CI v2"');
    expect(page.body).toContain('<option value="alert" selected>');

    const refused = await browser.post(`/console/api-keys/${id}/edit`, {
      name: 'Shown again',
      scope: 'read',
      anomaly_policy: 'panic',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('role="alert"');
    expect(refused.body).toContain('anomaly_policy');
    expect(refused.body).toContain('value="Shown again"');
    expect(await adminView(id)).toMatchObject({ name: 'CI v2', anomaly_policy: 'alert' });
  });

  it('rotate shows the new key once; the old key works during the grace period and stops after it; grace 0 ends it at once', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const verify = await verifier();
    const { id, key: first } = await apiKey('CI');
    const browser = await operator('ada', ['admin']);
    const page = await browser.get(`/console/api-keys/${id}`);
    expect(page.body).toContain('<input type="text" id="grace" name="grace" value="24h" required>');

    const rotated = await browser.post(`/console/api-keys/${id}/rotate`, { grace: '24h' });
    expect(rotated.statusCode, rotated.body.slice(0, 600)).toBe(200);
    expect(rotated.body).toContain('shown only this once');
    const second = secretIn(rotated.body, 'api-key');
    const secondId = secretIn(rotated.body, 'api-key-id');
    expect(second).not.toBe(first);
    expect(await verify(first)).toBe(true);
    expect(await verify(second)).toBe(true);
    // Shown once: the new key's page never holds it.
    const newPage = await browser.get(`/console/api-keys/${secondId}`);
    expect(newPage.statusCode).toBe(200);
    expect(newPage.body).not.toContain(second);
    // The old key was already rotated: the admin API refuses (409) and the page says why.
    const again = await browser.post(`/console/api-keys/${id}/rotate`, { grace: '1h' });
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('already rotated');
    expect((await browser.get(`/console/api-keys/${id}`)).body).toContain(
      `replaced by <a href="/console/api-keys/${secondId}">`,
    );

    t.clock.advance(24 * 3600 + 1);
    expect(await verify(first)).toBe(false);
    expect(await verify(second)).toBe(true);

    const badGrace = await browser.post(`/console/api-keys/${secondId}/rotate`, { grace: 'soon' });
    expect(badGrace.statusCode).toBe(400);
    expect(badGrace.body).toContain('value="soon"');
    expect(await verify(second)).toBe(true);

    const now = await browser.post(`/console/api-keys/${secondId}/rotate`, { grace: '0' });
    expect(now.statusCode).toBe(200);
    expect(now.body).toContain('The previous key no longer works.');
    const third = secretIn(now.body, 'api-key');
    expect(await verify(second)).toBe(false);
    expect(await verify(third)).toBe(true);
  });

  it('disable makes /api-keys/verify answer invalid, enable restores it; open anomalies can be acknowledged', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const verify = await verifier();
    const { id, key } = await apiKey('CI');
    const browser = await operator('ada', ['admin']);
    expect((await browser.get(`/console/api-keys/${id}`)).body).not.toContain('Acknowledge anomalies');
    const disabled = await browser.post(`/console/api-keys/${id}/disable`, {});
    expect(disabled.statusCode).toBe(303);
    expect(await verify(key)).toBe(false);
    const page = await browser.get(`/console/api-keys/${id}`);
    expect(page.body).toContain('<span id="key-state">disabled</span>');
    expect(page.body).toContain('Enable key');
    expect((await browser.post(`/console/api-keys/${id}/enable`, {})).statusCode).toBe(303);
    expect(await verify(key)).toBe(true);

    await t.store.touchApiKeys([
      {
        id,
        lastUsedAt: 0,
        count: 0,
        anomalies: [{ at: t.clock.now(), kind: 'new_country', value: 'BR', action: 'alerted' }],
      },
    ]);
    const open = await browser.get(`/console/api-keys/${id}`);
    expect(open.body).toContain('new_country BR (alerted, open)');
    expect(open.body).toContain('Acknowledge anomalies');
    expect((await browser.post(`/console/api-keys/${id}/acknowledge-anomalies`, {})).statusCode).toBe(303);
    expect(await adminView(id)).toMatchObject({ open_anomalies: 0 });
    expect((await browser.get(`/console/api-keys/${id}`)).body).not.toContain('Acknowledge anomalies');
  });

  it('a read-only operator sees the page without forms; forged posts are refused by the admin API (403)', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const verify = await verifier();
    const { id, key } = await apiKey('Kept');
    const reader = await operator('lin', [...ADMIN_READ_SCOPES]);
    const page = await reader.get(`/console/api-keys/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Kept</h1>');
    expect(page.body).not.toMatch(/<form method="post"/);
    expect(page.body).not.toContain('confirm-revoke');
    for (const [action, form] of [
      ['edit', { name: 'Forged', scope: '', anomaly_policy: 'off' }],
      ['rotate', { grace: '0' }],
      ['disable', {}],
    ] as const) {
      const forged = await reader.post(`/console/api-keys/${id}/${action}`, form);
      expect(forged.statusCode, action).toBe(403);
      expect(forged.body).toContain('does not allow');
    }
    expect(await adminView(id)).toMatchObject({ name: 'Kept', status: 'active', replaced_by: null });
    expect(await verify(key)).toBe(true);
  });

  it('a post from another site is refused before the admin API is called (Fetch Metadata, Origin)', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const { id } = await apiKey('CI');
    const browser = await operator('ada', ['admin']);
    browser.headers['sec-fetch-site'] = 'cross-site';
    browser.headers.origin = 'https://evil.example';
    expect((await browser.post(`/console/api-keys/${id}/disable`, {})).statusCode).toBe(403);
    delete browser.headers['sec-fetch-site'];
    expect((await browser.post(`/console/api-keys/${id}/rotate`, { grace: '0' })).statusCode).toBe(403);
    expect(await adminView(id)).toMatchObject({ status: 'active', replaced_by: null });
  });

  it("a revoked key's page says so and offers no forms; an unknown key's page and a stale post say it no longer exists (404)", async () => {
    t = await bootstrap({ issuer: ISSUER });
    const { id } = await apiKey('Gone');
    const browser = await operator('ada', ['admin']);
    expect((await browser.post(`/console/api-keys/${id}/revoke`, {})).statusCode).toBe(303);
    const page = await browser.get(`/console/api-keys/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('This API key is revoked');
    expect(page.body).not.toMatch(/<form method="post"/);
    // A stale page (opened before the revoke) still posts: the admin API refuses (409), said on the page.
    const stale = await browser.post(`/console/api-keys/${id}/disable`, {});
    expect(stale.statusCode).toBe(400);
    expect(stale.body).toContain('role="alert" id="form-error"');

    const unknown = await browser.get('/console/api-keys/key_doesnotexist');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('no longer exists');
    const gone = await browser.post('/console/api-keys/key_doesnotexist/rotate', { grace: '0' });
    expect(gone.statusCode).toBe(404);
    expect(gone.body).toContain('no longer exists');
  });
});
