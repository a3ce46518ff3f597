/**
 * The console's people and sessions pages, its confirm pages and its create forms' one-time tokens
 * (issue "Admin console"): an operator adds a person (a typed password, or a generated one shown
 * once) with an admin role, sees a person's consents, API keys and sessions and revokes or ends them,
 * lists every active session; every destructive action asks first on a page of its own; a double
 * submit of a create form makes one object and never shows a secret twice; a stale page acting on
 * a deleted object is told it no longer exists. Every change goes through the admin API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_READ_SCOPES } from '../../src/tokens/admin-tokens/scopes.js';
import { accountSignIn } from '../support/account.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient } from '../support/clients.js';
import { consoleOperator } from '../support/console.js';
import { Browser, createUser, hiddenFields } from '../support/login.js';

const ISSUER = 'http://localhost:9';

let t: TestServer;

afterEach(async () => {
  await t.close();
});

/** A browser signed in to /console as an operator with `scopes` (password + authenticator app). */
const operator = (username: string, scopes: string[]) => consoleOperator(t, ISSUER, username, scopes);

async function formToken(browser: Browser, path: string): Promise<string> {
  const token = hiddenFields((await browser.get(path)).body).form_token;
  expect(token, `a form token on ${path}`).toMatch(/^[\w-]{32}$/);
  return token ?? '';
}

async function adminGet<T>(url: string): Promise<T> {
  const response = await t.app.inject({ method: 'GET', url, headers: t.adminHeaders });
  return response.json() as T;
}

async function usersNamed(username: string): Promise<Array<{ id: string; admin_scopes: string[] | null }>> {
  return (
    await adminGet<{ items: Array<{ id: string; admin_scopes: string[] | null }> }>(
      `/admin/users?username=${username}`,
    )
  ).items;
}

/** Signs in on /account/login with `password`: true when it is accepted. */
async function passwordWorks(username: string, password: string): Promise<boolean> {
  const browser = new Browser(t);
  const page = await browser.get('/account/login');
  const response = await browser.post('/account/login', {
    csrf_token: hiddenFields(page.body).csrf_token ?? '',
    username,
    password,
  });
  return response.statusCode === 303 && response.headers.location === '/account';
}

function textIn(body: string, id: string): string {
  return new RegExp(`id="${id}">([^<]+)<`).exec(body)?.[1] ?? '';
}

describe('/console/users: adding a person', () => {
  it('an empty password is generated and shown once, the role is granted, and the password signs in', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    const list = await browser.get('/console/users');
    expect(list.body).toContain('id="new-role"');
    const created = await browser.post('/console/users', {
      form_token: hiddenFields(list.body).form_token ?? '',
      username: 'newcomer',
      name: 'New Comer',
      email: '',
      password: '',
      role: 'read',
    });
    expect(created.statusCode, created.body.slice(0, 800)).toBe(200);
    const password = textIn(created.body, 'user-password');
    expect(password).toMatch(/^[\w-]{20}$/);
    const [user] = await usersNamed('newcomer');
    expect(user?.admin_scopes).toEqual([...ADMIN_READ_SCOPES]);
    expect(await passwordWorks('newcomer', password)).toBe(true);
    // Shown once: the person's page does not hold it.
    const page = await browser.get(`/console/users/${user?.id}`);
    expect(page.body).toContain('<h1>newcomer</h1>');
    expect(page.body).not.toContain(password);
  });

  it('a typed password is used and never shown; an operator without admin is offered no role', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['users:write', 'clients:read']);
    const list = await browser.get('/console/users');
    expect(list.body).toContain('Add person');
    expect(list.body).not.toContain('id="new-role"');
    const created = await browser.post('/console/users', {
      form_token: hiddenFields(list.body).form_token ?? '',
      username: 'typed',
      password: 'a typed long passphrase',
    });
    expect(created.statusCode).toBe(200);
    expect(created.body).not.toContain('a typed long passphrase');
    expect(created.body).not.toContain('id="user-password"');
    expect(await passwordWorks('typed', 'a typed long passphrase')).toBe(true);
    expect((await usersNamed('typed'))[0]?.admin_scopes).toBeNull();
  });

  it('a refused form (a username taken) keeps what was typed but not the password, says why, and its token can be sent again', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    await createUser(t, 'taken');
    const token = await formToken(browser, '/console/users');
    const refused = await browser.post('/console/users', {
      form_token: token,
      username: 'taken',
      name: 'Second Taken',
      password: 'secret passphrase typed',
      role: 'admin',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('role="alert"');
    expect(refused.body).toContain('value="taken"');
    expect(refused.body).toContain('value="Second Taken"');
    expect(refused.body).toContain('<option value="admin" selected>');
    expect(refused.body).not.toContain('secret passphrase typed');
    expect(await usersNamed('taken')).toHaveLength(1);
    const fixed = await browser.post('/console/users', {
      form_token: token,
      username: 'untaken',
      password: '',
    });
    expect(fixed.statusCode).toBe(200);
    expect(await usersNamed('untaken')).toHaveLength(1);
  });

  it('a role the operator may not give (a forged post) is refused by the admin API: the person is added without one, and the page says so', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['users:write', 'clients:read']);
    const created = await browser.post('/console/users', {
      form_token: await formToken(browser, '/console/users'),
      username: 'climber',
      password: '',
      role: 'admin',
    });
    expect(created.statusCode).toBe(200);
    expect(created.body).toContain('The admin role was not given');
    expect((await usersNamed('climber'))[0]?.admin_scopes).toBeNull();
  });

  it('a role that is not offered is refused with the form kept, and nobody is added', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    const refused = await browser.post('/console/users', {
      form_token: await formToken(browser, '/console/users'),
      username: 'rolled',
      role: 'root',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Choose one of the admin roles offered.');
    expect(refused.body).toContain('value="rolled"');
    expect(await usersNamed('rolled')).toHaveLength(0);
  });
});

describe('a double submit creates one object', () => {
  it('person: the second post of the same form says it was already created, without the password', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    const fields = {
      form_token: await formToken(browser, '/console/users'),
      username: 'twice',
      password: '',
    };
    const first = await browser.post('/console/users', fields);
    const password = textIn(first.body, 'user-password');
    expect(password).not.toBe('');
    const second = await browser.post('/console/users', fields);
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('<h1>Already created</h1>');
    expect(second.body).toContain('shown once');
    expect(second.body).not.toContain('id="user-password"');
    const [user] = await usersNamed('twice');
    expect(second.body).toContain(`href="/console/users/${user?.id}"`);
    expect(await usersNamed('twice')).toHaveLength(1);
  });

  it('client: two posts at once make one client, and the secret is in one answer only', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    const fields = {
      form_token: await formToken(browser, '/console/clients'),
      name: 'Once only',
      grant_types: 'client_credentials',
      redirect_uris: '',
      scope: '',
    };
    const answers = await Promise.all([
      browser.post('/console/clients', fields),
      browser.post('/console/clients', fields),
    ]);
    const clients = await adminGet<{ items: Array<{ name: string; client_id: string }> }>('/admin/clients');
    const made = clients.items.filter((c) => c.name === 'Once only');
    expect(made).toHaveLength(1);
    expect(answers.filter((a) => a.body.includes('id="client-secret"'))).toHaveLength(1);
    const repeat = answers.find((a) => a.body.includes('<h1>Already created</h1>'));
    expect(repeat?.body).toContain(`href="/console/clients/${made[0]?.client_id}"`);
  });

  it('API key: the second post makes no second key and shows no key', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const owner = await createTestClient(t, { name: 'Owner' });
    const browser = await operator('ada', ['admin']);
    const fields = {
      form_token: await formToken(browser, '/console/api-keys'),
      name: 'Nightly',
      owner: owner.id,
      scope: '',
      expires_in: '',
    };
    const first = await browser.post('/console/api-keys', fields);
    expect(textIn(first.body, 'api-key')).toMatch(/^tsr_key_/);
    const second = await browser.post('/console/api-keys', fields);
    expect(second.body).toContain('<h1>Already created</h1>');
    expect(second.body).not.toMatch(/tsr_key_/);
    const keys = await adminGet<{ items: Array<{ name: string }> }>(`/admin/api-keys?owner=${owner.id}`);
    expect(keys.items.filter((k) => k.name === 'Nightly')).toHaveLength(1);
  });

  it('a form without a token, with a made-up one, or with one from another console session creates nothing and keeps what was typed', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const ada = await operator('ada', ['admin']);
    const bob = await operator('bob', ['admin']);
    const adasToken = await formToken(ada, '/console/clients');
    for (const token of [undefined, 'x'.repeat(32), adasToken]) {
      const refused = await bob.post('/console/clients', {
        ...(token === undefined ? {} : { form_token: token }),
        name: 'Stale form',
        grant_types: 'client_credentials',
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).toContain('This form has expired');
      expect(refused.body).toContain('value="Stale form"');
    }
    const clients = await adminGet<{ items: Array<{ name: string }> }>('/admin/clients');
    expect(clients.items.filter((c) => c.name === 'Stale form')).toHaveLength(0);
  });
});

describe("a person's consents, API keys and sessions", () => {
  it('the page lists them; revoking a consent, revoking a key (asked first, then back to the person) and ending a session go through the admin API', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    const sam = await createUser(t, 'sam');
    await accountSignIn(t, new Browser(t), 'sam');
    const app = await createTestClient(t, { name: 'Photos' });
    await t.store.grantConsent(sam.id, app.id, ['openid', 'photos:read'], t.clock.now());
    const key = await t.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: t.adminHeaders,
      payload: { name: 'Sam laptop', owner: sam.id },
    });
    const keyId = (key.json() as { id: string }).id;

    const path = `/console/users/${sam.id}`;
    const page = await browser.get(path);
    expect(page.body).toContain(`<code>${app.id}</code>: openid photos:read`);
    expect(page.body).toContain('Sam laptop');
    expect(page.body).toContain('Sessions (1)');

    expect((await browser.post(`${path}/consents/${app.id}/revoke`, {})).statusCode).toBe(303);
    expect(await t.store.findConsent(sam.id, app.id)).toBeUndefined();
    const staleConsent = await browser.post(`${path}/consents/${app.id}/revoke`, {});
    expect(staleConsent.statusCode).toBe(404);
    expect(staleConsent.body).toContain('no longer exists');

    const revokeLink = /href="(\/console\/api-keys\/[^"]+\/confirm-revoke\?back=[^"]+)"/.exec(page.body)?.[1];
    expect(revokeLink).toBeDefined();
    const confirm = await browser.get(String(revokeLink));
    expect(confirm.body).toContain('Revoke this API key?');
    expect(confirm.body).toContain(`The API key Sam laptop (${keyId})`);
    const revoked = await browser.post(`/console/api-keys/${keyId}/revoke`, hiddenFields(confirm.body));
    expect(revoked.statusCode).toBe(303);
    expect(revoked.headers.location).toBe(path);
    expect((await adminGet<{ status: string }>(`/admin/api-keys/${keyId}`)).status).toBe('revoked');

    const endLink = /href="(\/console\/sessions\/[^"]+\/confirm-end\?back=[^"]+)"/.exec(page.body)?.[1];
    const endPage = await browser.get(String(endLink).replaceAll('&#38;', '&'));
    expect(endPage.body).toContain('The session of sam since');
    const action = /<form method="post" action="([^"]+)"/.exec(endPage.body)?.[1] ?? '';
    const ended = await browser.post(action, hiddenFields(endPage.body));
    expect(ended.statusCode).toBe(303);
    expect(ended.headers.location).toBe(path);
    expect((await adminGet<{ items: unknown[] }>(`/admin/sessions?user_id=${sam.id}`)).items).toHaveLength(0);
  });

  it('a back address outside the console is not followed', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    const owner = await createTestClient(t, { name: 'Owner' });
    const key = await t.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: t.adminHeaders,
      payload: { name: 'K', owner: owner.id },
    });
    const keyId = (key.json() as { id: string }).id;
    const confirm = await browser.get(`/console/api-keys/${keyId}/confirm-revoke?back=//evil.example/x`);
    expect(hiddenFields(confirm.body).back).toBe('/console/api-keys');
    const revoked = await browser.post(`/console/api-keys/${keyId}/revoke`, {
      back: 'https://evil.example/',
    });
    expect(revoked.headers.location).toBe('/console/api-keys');
  });
});

describe('/console/sessions', () => {
  it('lists every active session with its person, filters by username, and ends one after asking', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    const sam = await createUser(t, 'sam');
    await accountSignIn(t, new Browser(t), 'sam');
    const all = await browser.get('/console/sessions');
    expect(all.statusCode).toBe(200);
    expect(all.body).toContain(`<a href="/console/users/${sam.id}">sam</a>`);
    expect(all.body).toMatch(/<a href="\/console\/users\/[^"]+">ada<\/a>/);
    const only = await browser.get('/console/sessions?user=sam');
    expect(only.body).toContain('>sam</a>');
    expect(only.body).not.toContain('>ada</a>');
    const nobody = await browser.get('/console/sessions?user=nobody');
    expect(nobody.statusCode).toBe(404);
    expect(nobody.body).toContain('Nobody has the username');
    expect(nobody.body).toContain('value="nobody"');

    const sessionId = /\/console\/sessions\/([^/]+)\/confirm-end/.exec(only.body)?.[1] ?? '';
    const confirm = await browser.get(`/console/sessions/${sessionId}/confirm-end`);
    expect(confirm.body).toContain('End this session?');
    expect(confirm.body).toContain('The session of sam since');
    const ended = await browser.post(`/console/sessions/${sessionId}/end`, hiddenFields(confirm.body));
    expect(ended.statusCode).toBe(303);
    expect(ended.headers.location).toBe('/console/sessions');
    expect((await browser.get('/console/sessions?user=sam')).body).not.toContain(sessionId);
  });

  it('pages through sessions, 50 at a time', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    await createUser(t, 'sam');
    for (let i = 0; i < 51; i++) {
      await accountSignIn(t, new Browser(t), 'sam');
    }
    const first = await browser.get('/console/sessions?user=sam');
    expect(first.body.match(/confirm-end/g)).toHaveLength(50);
    const next = /<a href="([^"]+)">More sessions<\/a>/.exec(first.body)?.[1]?.replaceAll('&#38;', '&');
    expect(next).toContain('user=sam');
    const second = await browser.get(String(next));
    expect(second.body.match(/confirm-end/g)).toHaveLength(1);
    expect(second.body).not.toContain('More sessions');
  });

  it('a read-only operator sees the sessions without "End"', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const reader = await operator('lin', [...ADMIN_READ_SCOPES]);
    const page = await reader.get('/console/sessions');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('>lin</a>');
    expect(page.body).not.toContain('confirm-end');
  });
});

describe('confirm pages and stale pages', () => {
  it('every destructive action asks first with the object named; once the object is gone, the confirm page and the post both say it no longer exists (404)', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    const client = await createTestClient(t, { name: 'Doomed client' });
    const person = await createUser(t, 'doomed');
    await accountSignIn(t, new Browser(t), 'doomed');
    const key = await t.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: t.adminHeaders,
      payload: { name: 'Doomed key', owner: client.id },
    });
    const keyId = (key.json() as { id: string }).id;
    const session = (await adminGet<{ items: Array<{ id: string }> }>(`/admin/sessions?user_id=${person.id}`))
      .items[0]?.id;
    const signing = await adminGet<{ items: Array<{ kid: string }> }>('/admin/signing-keys');
    const kid = signing.items[0]?.kid ?? '';

    const cases = [
      {
        page: `/console/api-keys/${keyId}/confirm-revoke`,
        named: 'The API key Doomed key',
        post: `/console/api-keys/${keyId}/revoke`,
        linkedFrom: '/console/api-keys',
      },
      {
        page: `/console/clients/${client.id}/confirm-delete`,
        named: 'The client Doomed client',
        post: `/console/clients/${client.id}/delete`,
        linkedFrom: `/console/clients/${client.id}`,
      },
      {
        page: `/console/sessions/${session}/confirm-end`,
        named: 'The session of doomed since',
        post: `/console/sessions/${session}/end`,
        linkedFrom: '/console/sessions',
      },
      {
        page: `/console/users/${person.id}/confirm-delete`,
        named: `doomed (${person.id})`,
        post: `/console/users/${person.id}/delete`,
        linkedFrom: `/console/users/${person.id}`,
      },
      {
        page: `/console/signing-keys/${kid}/confirm-pull`,
        named: `signing key ${kid}`,
        post: `/console/signing-keys/${kid}/revoke`,
        linkedFrom: '/console/signing-keys',
      },
    ];
    for (const c of cases) {
      const from = await browser.get(c.linkedFrom);
      expect(from.body, c.linkedFrom).toContain(`href="${c.page}`);
      const confirm = await browser.get(c.page);
      expect(confirm.statusCode, c.page).toBe(200);
      expect(confirm.body).toContain(c.named);
      expect(confirm.body).toContain(`<form method="post" action="${c.post}">`);
      expect(confirm.body).toContain('Cancel, go back');
    }
    // The session is ended before its person is deleted (which would end it too).
    for (const c of cases) {
      const acted = await browser.post(c.post, {});
      expect(acted.statusCode, `${c.post}: ${acted.body.slice(0, 300)}`).toBe(303);
    }
    for (const c of cases.filter((one) => !one.post.includes('/api-keys/'))) {
      const stale = await browser.get(c.page);
      expect(stale.statusCode, c.page).toBe(404);
      expect(stale.body).toContain('no longer exists');
      const again = await browser.post(c.post, {});
      expect(again.statusCode, c.post).toBe(404);
      expect(again.body).toContain('no longer exists');
    }
  });

  it('a stale page acting on a deleted API key or person is told it no longer exists', async () => {
    t = await bootstrap({ issuer: ISSUER });
    const browser = await operator('ada', ['admin']);
    const missingKey = await browser.get('/console/api-keys/key_gone/confirm-revoke');
    expect(missingKey.statusCode).toBe(404);
    expect(missingKey.body).toContain('This API key no longer exists');
    const revoke = await browser.post('/console/api-keys/key_gone/revoke', {});
    expect(revoke.statusCode).toBe(404);
    expect(revoke.body).toContain('This API key no longer exists');
    for (const action of ['disable', 'mfa-reset', 'delete']) {
      const stale = await browser.post(`/console/users/usr_gone/${action}`, {});
      expect(stale.statusCode, action).toBe(404);
      expect(stale.body).toContain('no longer exists');
    }
    const page = await browser.get('/console/users/usr_gone');
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('This person no longer exists');
  });
});

describe('GET /admin/sessions/{id}', () => {
  it('reads one session; an unknown id is 404 not_found', async () => {
    t = await bootstrap();
    const sam = await createUser(t, 'sam');
    await accountSignIn(t, new Browser(t), 'sam');
    const listed = await adminGet<{ items: Array<{ id: string }> }>(`/admin/sessions?user_id=${sam.id}`);
    const id = listed.items[0]?.id ?? '';
    const one = await t.app.inject({ method: 'GET', url: `/admin/sessions/${id}`, headers: t.adminHeaders });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id, user_id: sam.id });
    const none = await t.app.inject({
      method: 'GET',
      url: '/admin/sessions/ses_nobody',
      headers: t.adminHeaders,
    });
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ error: 'not_found' });
    const anonymous = await t.app.inject({ method: 'GET', url: `/admin/sessions/${id}` });
    expect(anonymous.statusCode).toBe(401);
  });
});
