/**
 * Operators (issue 17): people with an admin role call the admin API with an access token Tessera
 * issued to them for the admin API's audience (RFC 9068 JWT, RFC 8707 `aud`), worth the admin scopes
 * both the token and their role allow; the role needs a second factor (`console.requireMfa`). The
 * role is set with `PUT/DELETE /admin/users/{id}/admin` and `tessera users create --admin…`,
 * `grant-admin`, `revoke-admin`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_READ_SCOPES } from '../../src/tokens/admin-tokens/scopes.js';
import { OPERATOR_MFA_MESSAGE } from '../../src/users/operator-tokens.js';
import { accountSignIn } from '../support/account.js';
import { runUsersCommand } from '../support/admin-token-file.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { form, type TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  PASSWORD,
  pkcePair,
  REDIRECT_URI,
  signIn,
} from '../support/login.js';
import { enrolTotp, oathtoolCode } from '../support/totp.js';

const ADMIN_AUDIENCE = `${TEST_ISSUER}/admin`;

let t: TestServer;
let c: TestClient;

async function start(overrides: Record<string, unknown> = {}) {
  t = await bootstrap(overrides);
  c = await createCodeClient(t, {
    tokenFormat: 'jwt',
    firstParty: true,
    scope: ['openid', 'admin'],
    audiences: [ADMIN_AUDIENCE, 'https://api.example.com'],
  });
}

afterEach(async () => {
  await t.close();
});

async function setRole(userId: string, scopes: readonly string[] | null, headers = t.adminHeaders) {
  return t.app.inject({
    method: scopes === null ? 'DELETE' : 'PUT',
    url: `/admin/users/${userId}/admin`,
    headers,
    ...(scopes === null ? {} : { payload: { scopes } }),
  });
}

/** A person with a confirmed authenticator app; returns its secret. */
async function withTotp(username: string): Promise<string> {
  const { secret } = await enrolTotp(t, await accountSignIn(t, new Browser(t), username));
  // The enrolment used this time step; RFC 6238 §5.2: a step is accepted once.
  t.clock.advance(30);
  return secret;
}

/** Signs in through /authorize (password, then the TOTP code when asked) and redeems the code. */
async function accessToken(username: string, secret?: string, resource = ADMIN_AUDIENCE): Promise<string> {
  const pkce = pkcePair();
  const { code } = await signIn(
    new Browser(t),
    authorizeUrl(c.client, {
      scope: 'openid admin',
      resource,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    }),
    {
      username,
      ...(secret === undefined
        ? {}
        : { secondFactor: () => ({ code: oathtoolCode(secret, t.clock.now()) }) }),
    },
  );
  const response = await t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization: c.basic, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce.verifier,
      resource,
    }),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ access_token: string }>().access_token;
}

function asOperator(token: string, method: 'GET' | 'POST', url: string, payload?: object) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload === undefined ? {} : { payload }),
  });
}

const NEW_CLIENT = { name: 'made by an operator', grant_types: ['client_credentials'], scope: 'read' };

describe('operators at the admin API (RFC 6750 §2.1 Bearer, RFC 9068 access tokens)', () => {
  beforeEach(() => start());

  it('RFC 6750 §2.1 — an operator with a second factor reads and writes with their access token', async () => {
    const alice = await createUser(t, 'alice');
    expect((await setRole(alice.id, ['admin'])).json()).toMatchObject({ admin_scopes: ['admin'] });
    const token = await accessToken('alice', await withTotp('alice'));
    expect((await asOperator(token, 'GET', '/admin/clients')).statusCode).toBe(200);
    const created = await asOperator(token, 'POST', '/admin/clients', NEW_CLIENT);
    expect(created.statusCode, created.body).toBe(201);
    // Audited as the person.
    await t.audit.flush();
    const events = await t.store.listAudit({ type: 'admin.request' });
    expect(events.items.some((event) => event.actor === alice.id)).toBe(true);
  });

  it('RFC 6750 §3.1 — a read-only operator reads; a write is insufficient_scope and changes nothing', async () => {
    const bob = await createUser(t, 'bob');
    await setRole(bob.id, ADMIN_READ_SCOPES);
    const token = await accessToken('bob', await withTotp('bob'));
    expect((await asOperator(token, 'GET', '/admin/clients')).statusCode).toBe(200);
    expect((await asOperator(token, 'GET', '/admin/users')).statusCode).toBe(200);
    const before = (await asOperator(token, 'GET', '/admin/clients')).json<{ items: unknown[] }>().items
      .length;
    const refused = await asOperator(token, 'POST', '/admin/clients', NEW_CLIENT);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: 'insufficient_scope' });
    expect(
      (await asOperator(token, 'GET', '/admin/clients')).json<{ items: unknown[] }>().items,
    ).toHaveLength(before);
  });

  it('the role as stored now counts: narrowed, the token loses writes; revoked or disabled, it is refused', async () => {
    const carol = await createUser(t, 'carol');
    await setRole(carol.id, ['admin']);
    const token = await accessToken('carol', await withTotp('carol'));
    await setRole(carol.id, ['clients:read']);
    expect((await asOperator(token, 'GET', '/admin/clients')).statusCode).toBe(200);
    expect((await asOperator(token, 'GET', '/admin/users')).statusCode).toBe(403);
    expect((await setRole(carol.id, null)).json()).toMatchObject({ admin_scopes: null });
    const revoked = await asOperator(token, 'GET', '/admin/clients');
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('a person without an admin role, or an operator token for another audience (RFC 8707), is refused', async () => {
    await createUser(t, 'dave');
    const daveSecret = await withTotp('dave');
    expect(
      (await asOperator(await accessToken('dave', daveSecret), 'GET', '/admin/clients')).statusCode,
    ).toBe(401);
    const erin = await createUser(t, 'erin');
    await setRole(erin.id, ['admin']);
    const secret = await withTotp('erin');
    const elsewhere = await accessToken('erin', secret, 'https://api.example.com');
    expect((await asOperator(elsewhere, 'GET', '/admin/clients')).statusCode).toBe(401);
  });

  it('RFC 9470 §3 — console.requireMfa: an operator signed in with a password alone gets 403 and where to go', async () => {
    const frank = await createUser(t, 'frank');
    await setRole(frank.id, ['admin']);
    const refused = await asOperator(await accessToken('frank'), 'GET', '/admin/clients');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({
      error: 'insufficient_user_authentication',
      error_description: OPERATOR_MFA_MESSAGE,
    });
    expect(OPERATOR_MFA_MESSAGE).toContain('/account');
  });
});

describe('operators without the MFA requirement', () => {
  beforeEach(() => start({ 'console.requireMfa': false }));

  it('console.requireMfa=false — a password sign-in is enough', async () => {
    const gina = await createUser(t, 'gina');
    await setRole(gina.id, ['clients:read']);
    expect((await asOperator(await accessToken('gina'), 'GET', '/admin/clients')).statusCode).toBe(200);
  });
});

describe('granting the admin role', () => {
  beforeEach(() => start());

  async function limitedHeaders(scopes: string[]) {
    const made = await t.app.inject({
      method: 'POST',
      url: '/admin/admin-tokens',
      headers: t.adminHeaders,
      payload: { name: 'limited', scopes },
    });
    return { authorization: `Bearer ${made.json<{ token: string }>().token}` };
  }

  it('the caller may only grant, or change a role holding, scopes it holds; bad scopes are 400', async () => {
    const hana = await createUser(t, 'hana');
    const limited = await limitedHeaders(['users:write']);
    const beyond = await setRole(hana.id, ['admin'], limited);
    expect(beyond.statusCode).toBe(403);
    expect(beyond.json()).toMatchObject({ error: 'insufficient_scope' });
    expect((await t.store.findUser(hana.id))?.adminScopes).toBeNull();
    expect((await setRole(hana.id, ['users:read'], limited)).json()).toMatchObject({
      admin_scopes: ['users:read'],
    });
    await setRole(hana.id, ['admin']);
    expect((await setRole(hana.id, null, limited)).statusCode).toBe(403);
    expect((await t.store.findUser(hana.id))?.adminScopes).toEqual(['admin']);
    const bad = await setRole(hana.id, ['root']);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'invalid_request' });
    expect((await setRole(hana.id, [])).statusCode).toBe(400);
    expect((await setRole('usr_missing', ['admin'])).statusCode).toBe(404);
    expect((await t.store.findUser(hana.id))?.adminScopes).toEqual(['admin']);
  });

  it('tessera users create --admin / --admin-read-only / --admin-scopes, grant-admin, revoke-admin', async () => {
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const run = (args: string[], stdin = '', adminToken = t.adminToken) =>
      runUsersCommand({ config: t.config, adminToken }, url, args, stdin);
    const create = (name: string, ...flags: string[]) =>
      run(['users', 'create', '--username', name, ...flags, '--password-stdin', '--json'], `${PASSWORD}\n`);

    expect(JSON.parse(await create('ivan', '--admin')).admin_scopes).toEqual(['admin']);
    expect(JSON.parse(await create('judy', '--admin-read-only')).admin_scopes).toEqual([
      ...ADMIN_READ_SCOPES,
    ]);
    expect(
      JSON.parse(await create('kim', '--admin-scopes', 'clients:write,users:read')).admin_scopes,
    ).toEqual(['clients:write', 'users:read']);
    expect(JSON.parse(await create('lee')).admin_scopes).toBeNull();
    await expect(create('mo', '--admin', '--admin-read-only')).rejects.toThrow(/one of --admin/);
    expect(await t.store.findUserByUsername('mo')).toBeUndefined();

    expect(JSON.parse(await run(['users', 'grant-admin', 'lee', '--json'])).admin_scopes).toEqual(['admin']);
    expect(
      JSON.parse(await run(['users', 'grant-admin', 'lee', '--scopes', 'api_keys:read', '--json']))
        .admin_scopes,
    ).toEqual(['api_keys:read']);
    expect(await run(['users', 'list'])).toMatch(/lee .* admin: api_keys:read/);
    expect(JSON.parse(await run(['users', 'revoke-admin', 'lee', '--json'])).admin_scopes).toBeNull();

    // A role the caller may not grant: one command, one outcome, no person left behind.
    const limited = (await limitedHeaders(['users:write'])).authorization.slice('Bearer '.length);
    await expect(
      run(['users', 'create', '--username', 'nia', '--admin', '--password-stdin'], `${PASSWORD}\n`, limited),
    ).rejects.toThrow(/Cannot grant admin/);
    expect(await t.store.findUserByUsername('nia')).toBeUndefined();
  });
});
