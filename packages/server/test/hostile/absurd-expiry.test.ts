/**
 * Absurd expiries at the admin API. An expiry is kept as Unix seconds and shown as a date (the
 * account page, the console, the CLI); a JavaScript date ends at 8.64e15 ms (ECMAScript §21.4.1.1),
 * year 275760. An expiry past it was accepted, and every page that showed the key then failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountSignIn } from '../support/account.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createUser } from '../support/login.js';

let t: TestServer;
let aliceId: string;

beforeAll(async () => {
  t = await bootstrap();
  aliceId = (await createUser(t)).id;
});
afterAll(async () => {
  await t.close();
});

describe('an API key expiry beyond any date is refused, never stored', () => {
  it.each([
    ['expires_at in the year 285 million', { expires_at: 9e15 }],
    ['expires_at at the largest safe integer', { expires_at: Number.MAX_SAFE_INTEGER }],
    ['expires_in of 99999999999 days', { expires_in: '99999999999d' }],
  ])('POST /admin/api-keys with %s → 400 invalid_request, no key written', async (_name, expiry) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: t.adminHeaders,
      payload: { name: 'far future', owner: aliceId, ...expiry },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
    const listed = await t.app.inject({
      method: 'GET',
      url: `/admin/api-keys?owner=${aliceId}`,
      headers: t.adminHeaders,
    });
    expect(listed.json().items.filter((key: { name: string }) => key.name === 'far future')).toEqual([]);
  });

  it('the owner’s account page still renders (it showed the expiry as a date and answered 500)', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: t.adminHeaders,
      payload: { name: 'far future', owner: aliceId, expires_at: 9e15 },
    });
    const browser = await accountSignIn(t);
    const page = await browser.get('/account');
    expect(page.statusCode).toBe(200);
  });

  it('an expiry in the year 9999 is still accepted', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/api-keys',
      headers: t.adminHeaders,
      payload: { name: 'long lived', owner: aliceId, expires_at: 253_402_300_799 },
    });
    expect(response.statusCode).toBe(201);
  });
});

describe('an admin token expiry beyond any date is refused, never stored', () => {
  it.each([
    ['expires_in of the largest safe integer', Number.MAX_SAFE_INTEGER],
    ['expires_in of 99999999999 days', '99999999999d'],
  ])('POST /admin/admin-tokens with %s → 400 invalid_request, no token written', async (_name, expiresIn) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/admin-tokens',
      headers: t.adminHeaders,
      payload: { name: 'far future', scopes: ['clients:read'], expires_in: expiresIn },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('invalid_request');
    const listed = await t.app.inject({ method: 'GET', url: '/admin/admin-tokens', headers: t.adminHeaders });
    expect(listed.json().items.filter((token: { name: string }) => token.name === 'far future')).toEqual([]);
  });

  it('an admin token for 100 years is still accepted', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/admin/admin-tokens',
      headers: t.adminHeaders,
      payload: { name: 'long lived', scopes: ['clients:read'], expires_in: '36500d' },
    });
    expect(response.statusCode).toBe(201);
  });
});
