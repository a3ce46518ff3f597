/**
 * The admin side of second factors: `POST /admin/users/{id}/mfa/reset` (common admin-route checks,
 * the OpenAPI document), `tessera users mfa reset USER`, `tessera users create|update --mfa-required`
 * and the client's `require_mfa` through the admin API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommonRouteTests } from '../support/admin-routes.js';
import { runUsersCommand } from '../support/admin-token-file.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  PASSWORD,
  pkcePair,
  signIn,
} from '../support/login.js';
import { enrolTotp } from '../support/totp.js';

describe('tessera users mfa / --mfa-required (admin API)', () => {
  let t: TestServer;
  let url: string;

  beforeAll(async () => {
    t = await bootstrap();
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t.close();
  });

  function run(args: string[], stdin = ''): Promise<string> {
    return runUsersCommand(t, url, args, stdin);
  }

  it('create --mfa-required, update --no-mfa-required, show (with the MFA state), mfa reset', async () => {
    const created = JSON.parse(
      await run(
        ['users', 'create', '--username', 'erin', '--mfa-required', '--password-stdin', '--json'],
        `${PASSWORD}\n`,
      ),
    );
    expect(created.mfa_required).toBe(true);
    const c = await createCodeClient(t, { firstParty: true });
    const browser = new Browser(t);
    const pkce = pkcePair();
    // Must enrol first: the sign-in stops at the enrolment page (a password session).
    await expect(
      signIn(
        browser,
        authorizeUrl(c.client, {
          scope: 'openid',
          code_challenge: pkce.challenge,
          code_challenge_method: 'S256',
        }),
        {
          username: 'erin',
        },
      ),
    ).rejects.toThrow(/unexpected 403/);
    await enrolTotp(t, browser);
    const shown = JSON.parse(await run(['users', 'show', 'erin', '--json']));
    expect(shown).toMatchObject({ mfa_required: true, mfa: { totp: true, recovery_codes_left: 10 } });
    const updated = JSON.parse(await run(['users', 'update', 'erin', '--no-mfa-required', '--json']));
    expect(updated.mfa_required).toBe(false);
    expect(await run(['users', 'mfa', 'reset', 'erin'])).toBe('Second factors removed.\n');
    expect(await run(['users', 'mfa', 'reset', 'erin'])).toBe('The user had no second factor.\n');
    expect(JSON.parse(await run(['users', 'show', 'erin', '--json'])).mfa).toEqual({
      totp: false,
      recovery_codes_left: 0,
      passkeys: [],
    });
  });

  it('require_mfa is client metadata: set by POST/PATCH /admin/clients, shown, validated', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: t.adminHeaders,
      payload: {
        name: 'Bank',
        grant_types: ['authorization_code'],
        redirect_uris: ['https://bank.example/cb'],
        require_mfa: true,
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().require_mfa).toBe(true);
    const id = created.json().client_id;
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/admin/clients/${id}`,
      headers: t.adminHeaders,
      payload: { require_mfa: false },
    });
    expect(patched.json().require_mfa).toBe(false);
    const bad = await t.app.inject({
      method: 'PATCH',
      url: `/admin/clients/${id}`,
      headers: t.adminHeaders,
      payload: { require_mfa: 'yes' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('the OpenAPI document lists the reset route and the MFA fields', async () => {
    const doc = (
      await t.app.inject({ method: 'GET', url: '/admin/openapi.json', headers: t.adminHeaders })
    ).json();
    expect(doc.paths['/admin/users/{id}/mfa/reset']?.post).toBeDefined();
    expect(JSON.stringify(doc.paths['/admin/users/{id}'].get)).toContain('recovery_codes_left');
  });
});

describe('POST /admin/users/:id/mfa/reset — common admin-route checks', () => {
  runCommonRouteTests({
    setup: async (server) => ({ id: (await createUser(server)).id }),
    snapshot: async (server) => ({
      users: await server.store.listUsers({ limit: 100 }),
    }),
    routes: [
      {
        name: 'POST /admin/users/:id/mfa/reset',
        method: 'POST',
        url: (f) => `/admin/users/${f.id}/mfa/reset`,
        unknownIdUrl: '/admin/users/usr_unknown/mfa/reset',
        malformedBodies: [],
      },
    ],
  });
});
