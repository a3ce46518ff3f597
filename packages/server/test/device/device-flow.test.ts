/**
 * The device authorization grant (RFC 8628) over HTTP: `POST /device_authorization` (§3.1–3.2),
 * the verification page (§3.3, §5.1 guess bounds, §5.4 remote phishing), and the device polling
 * `/token` (§3.4–3.5) with every error it can get.
 */
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/ids.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { createTestClient, FORM, form, type TestClient } from '../support/clients.js';
import { dpopKey, dpopProof } from '../support/dpop.js';
import { Browser, createUser, hiddenFields } from '../support/login.js';
import {
  createDeviceClient,
  DEVICE_GRANT,
  enterCode,
  poll,
  requestDeviceAuthorization,
  startDevice,
  verifyInBrowser,
} from './device-support.js';

let t: TestServer;
let device: TestClient;

beforeEach(async () => {
  t = await bootstrap();
  await createUser(t);
  device = await createDeviceClient(t);
});
afterEach(async () => {
  await t.close();
});

async function pendingRecord(userCode: string) {
  const normalised = userCode.replace('-', '');
  const [record] = await t.store.findPendingDeviceAuthorizations(normalised.slice(0, 4), t.clock.now());
  return record;
}

describe('POST /device_authorization (RFC 8628 §3.1–3.2)', () => {
  it('RFC 8628 §3.2 — answers device_code, user_code, verification URIs, expires_in and interval, never cached', async () => {
    const response = await requestDeviceAuthorization(t, device, { scope: 'openid profile' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body).toEqual({
      device_code: expect.stringMatching(/^tsr_dc_/),
      user_code: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/),
      verification_uri: `${TEST_ISSUER}/device`,
      verification_uri_complete: `${TEST_ISSUER}/device?user_code=${body.user_code}`,
      expires_in: 600,
      interval: 5,
    });
    // Stored hashed: the row holds the SHA-256 of the device code, never the code.
    const record = await pendingRecord(body.user_code);
    expect(record?.deviceCodeHash).toBe(hashSecret(body.device_code));
    expect(JSON.stringify(record)).not.toContain(body.device_code);
    expect(JSON.stringify(record)).not.toContain(body.user_code.replace('-', ''));
    expect(record).toMatchObject({ scope: ['openid', 'profile'], deviceInfo: 'LivingRoomTV/2.1 (webOS)' });
  });

  it('RFC 8628 §3.1 — a confidential client authenticates as at /token; without its secret → invalid_client 401', async () => {
    const confidential = await createTestClient(t, { grantTypes: [DEVICE_GRANT] });
    expect((await requestDeviceAuthorization(t, confidential)).statusCode).toBe(200);
    const bare = await t.app.inject({
      method: 'POST',
      url: '/device_authorization',
      headers: FORM,
      payload: form({ client_id: confidential.id }),
    });
    expect(bare.statusCode).toBe(401);
    expect(bare.json().error).toBe('invalid_client');
  });

  it('RFC 8628 §3.1 / RFC 6749 §5.2 — a client not registered for the grant → unauthorized_client', async () => {
    const other = await createTestClient(t);
    const response = await requestDeviceAuthorization(t, other);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('unauthorized_client');
  });

  it('RFC 8628 §3.1 / RFC 6749 §3.3 — scope beyond the client → invalid_scope; RFC 8707 foreign resource → invalid_target', async () => {
    const scope = await requestDeviceAuthorization(t, device, { scope: 'admin' });
    expect(scope.statusCode).toBe(400);
    expect(scope.json().error).toBe('invalid_scope');
    const resource = await requestDeviceAuthorization(t, device, { resource: 'https://evil.example' });
    expect(resource.statusCode).toBe(400);
    expect(resource.json().error).toBe('invalid_target');
  });

  it('malformed requests: repeated parameter, wrong content type, GET, unknown client → clear errors, nothing stored', async () => {
    const repeated = await requestDeviceAuthorization(t, device, { scope: ['read', 'read'] });
    expect(repeated.json().error).toBe('invalid_request');
    const json = await t.app.inject({
      method: 'POST',
      url: '/device_authorization',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ client_id: device.id }),
    });
    expect(json.statusCode).toBe(400);
    expect(json.json().error).toBe('invalid_request');
    const get = await t.app.inject({ method: 'GET', url: '/device_authorization' });
    expect(get.statusCode).toBe(405);
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/device_authorization',
      headers: FORM,
      payload: form({ client_id: 'cli_nobody' }),
    });
    expect(unknown.statusCode).toBe(401);
    expect(await t.store.purgeExpiredDeviceAuthorizations(t.clock.now() + 10_000)).toBe(0);
  });

  it('RFC 8628 §4 — discovery lists device_authorization_endpoint and the device_code grant', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const meta = (await t.app.inject({ method: 'GET', url: path })).json();
      expect(meta.device_authorization_endpoint).toBe(`${TEST_ISSUER}/device_authorization`);
      expect(meta.grant_types_supported).toContain(DEVICE_GRANT);
    }
  });
});

describe('polling /token (RFC 8628 §3.4–3.5)', () => {
  it('RFC 8628 §3.5 — authorization_pending while the person has not answered', async () => {
    const started = await startDevice(t, device);
    const response = await poll(t, device, started.device_code);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('authorization_pending');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('RFC 8628 §3.5 — slow_down raises the interval by 5 seconds for this and every later poll', async () => {
    const started = await startDevice(t, device);
    expect((await poll(t, device, started.device_code)).json().error).toBe('authorization_pending');
    t.clock.advance(1);
    expect((await poll(t, device, started.device_code)).json().error).toBe('slow_down');
    // The interval is now 10 s: a poll 6 s later (fine under the old 5 s) is still too fast.
    t.clock.advance(6);
    const again = await poll(t, device, started.device_code);
    expect(again.json().error).toBe('slow_down');
    expect(again.json().error_description).toContain('15 seconds');
    t.clock.advance(15);
    expect((await poll(t, device, started.device_code)).json().error).toBe('authorization_pending');
  });

  it('RFC 8628 §3.5 — expired_token once expires_in has passed (test clock)', async () => {
    const started = await startDevice(t, device);
    t.clock.advance(started.expires_in);
    const response = await poll(t, device, started.device_code);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('expired_token');
    // Nor can the person approve it any more.
    const page = await verifyInBrowser(new Browser(t), started.user_code);
    expect(page.statusCode).toBe(400);
  });

  it('RFC 8628 §3.4 — device_code missing → invalid_request; malformed or unknown → invalid_grant', async () => {
    const missing = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: FORM,
      payload: form({ grant_type: DEVICE_GRANT, client_id: device.id }),
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toBe('invalid_request');
    expect((await poll(t, device, 'not-a-device-code')).json().error).toBe('invalid_grant');
    const started = await startDevice(t, device);
    const forged = `${started.device_code.slice(0, -8)}AAAAAAAA`;
    expect((await poll(t, device, forged)).json().error).toBe('invalid_grant');
  });

  it('RFC 8628 §3.4 / RFC 6749 §5.2 — a client not registered for the grant cannot poll → unauthorized_client', async () => {
    const started = await startDevice(t, device);
    const other = await createTestClient(t);
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, authorization: other.basic },
      payload: form({ grant_type: DEVICE_GRANT, device_code: started.device_code }),
    });
    expect(response.json().error).toBe('unauthorized_client');
  });

  it('RFC 8628 §3.4 — another client polling this client’s device code → invalid_grant, and the code is not burned', async () => {
    const started = await startDevice(t, device);
    const thief = await createDeviceClient(t);
    expect((await verifyInBrowser(new Browser(t), started.user_code)).statusCode).toBe(200);
    const stolen = await poll(t, thief, started.device_code);
    expect(stolen.statusCode).toBe(400);
    expect(stolen.json().error).toBe('invalid_grant');
    const rightful = await poll(t, device, started.device_code);
    expect(rightful.statusCode).toBe(200);
  });

  it('RFC 8628 §3.5 — the person denies → access_denied (400) on every later poll', async () => {
    const started = await startDevice(t, device);
    const page = await verifyInBrowser(new Browser(t), started.user_code, { decision: 'deny' });
    expect(page.body).toContain('Access denied');
    const response = await poll(t, device, started.device_code);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe('access_denied');
    t.clock.advance(10);
    expect((await poll(t, device, started.device_code)).json().error).toBe('access_denied');
  });

  it('RFC 8628 §3.5 — approved: access, refresh and ID token carrying the approving session’s context; the code is single-use', async () => {
    const started = await startDevice(t, device, { scope: 'openid offline_access profile' });
    const page = await verifyInBrowser(new Browser(t), started.user_code);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Device connected');
    const response = await poll(t, device, started.device_code);
    expect(response.statusCode).toBe(200);
    const tokens = response.json();
    expect(tokens).toMatchObject({
      token_type: 'Bearer',
      scope: 'openid offline_access profile',
      refresh_token: expect.stringMatching(/^tsr_rt_/),
      id_token: expect.any(String),
    });
    const alice = await t.store.findUserByUsername('alice');
    const access = decodeJwt(tokens.access_token);
    expect(access).toMatchObject({
      sub: alice?.id,
      client_id: device.id,
      sid: expect.stringMatching(/^ses_/),
    });
    const id = decodeJwt(tokens.id_token);
    expect(id).toMatchObject({ sub: alice?.id, aud: device.id, amr: ['pwd'], auth_time: expect.any(Number) });
    // Used once: a second poll gets invalid_grant.
    t.clock.advance(10);
    const second = await poll(t, device, started.device_code);
    expect(second.statusCode).toBe(400);
    expect(second.json().error).toBe('invalid_grant');
    // The refresh token works (RFC 6749 §6).
    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: FORM,
      payload: form({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: device.id,
      }),
    });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json().refresh_token).toMatch(/^tsr_rt_/);
  });

  it('RFC 9449 §5 — a device that polls with a DPoP proof gets tokens bound to its key; its refresh token needs the key (§5, public client)', async () => {
    const key = await dpopKey('ES256');
    const started = await startDevice(t, device, { scope: 'offline_access read' });
    await verifyInBrowser(new Browser(t), started.user_code);
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...FORM, dpop: await dpopProof(key, { iat: t.clock.now(), htu: `${TEST_ISSUER}/token` }) },
      payload: form({ grant_type: DEVICE_GRANT, device_code: started.device_code, client_id: device.id }),
    });
    expect(response.statusCode).toBe(200);
    const tokens = response.json();
    expect(tokens.token_type).toBe('DPoP');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });
    const withoutKey = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: FORM,
      payload: form({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: device.id,
      }),
    });
    expect(withoutKey.statusCode).toBe(400);
    expect(withoutKey.json().error).toBe('invalid_grant');
  });

  it('RFC 8628 §3.5 — ten concurrent polls of an approved code: exactly one gets tokens', async () => {
    const started = await startDevice(t, device);
    await verifyInBrowser(new Browser(t), started.user_code);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => poll(t, device, started.device_code)),
    );
    expect(responses.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.json().error === 'invalid_grant')).toHaveLength(9);
  });

  it('a session ended after the approval yields no tokens', async () => {
    const started = await startDevice(t, device);
    await verifyInBrowser(new Browser(t), started.user_code);
    const alice = await t.store.findUserByUsername('alice');
    await t.store.deleteSessions({ userId: alice?.id ?? '' });
    expect((await poll(t, device, started.device_code)).json().error).toBe('invalid_grant');
  });
});

describe('the verification page /device (RFC 8628 §3.3, §5)', () => {
  it('RFC 8628 §3.3 — the person signs in through the normal login and sees the app, the device and the scopes', async () => {
    const started = await startDevice(t, device, { scope: 'openid profile' });
    const browser = new Browser(t);
    const entered = await enterCode(browser, started.user_code.toLowerCase().replace('-', ' '));
    expect(entered.statusCode).toBe(303);
    const confirm = String(entered.headers.location);
    expect(confirm).toMatch(/\/device\/confirm\?ticket=/);
    // Not signed in: the login page, naming the application, then back.
    const toLogin = await browser.get(confirm);
    expect(toLogin.statusCode).toBe(303);
    const login = await browser.get(String(toLogin.headers.location));
    expect(login.body).toContain('Living Room TV');
    const signedIn = await browser.post('/login', {
      ...hiddenFields(login.body),
      username: 'alice',
      password: 'correct horse battery',
    });
    expect(signedIn.statusCode).toBe(303);
    expect(String(signedIn.headers.location)).toBe(
      `${TEST_ISSUER}${new URL(confirm, TEST_ISSUER).pathname}${new URL(confirm, TEST_ISSUER).search}`,
    );
    const page = await browser.get(String(signedIn.headers.location));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Living Room TV');
    expect(page.body).toContain('LivingRoomTV/2.1 (webOS)');
    expect(page.body).toContain('See your name and username');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    // Nothing is decided until Allow is pressed.
    expect((await poll(t, device, started.device_code)).json().error).toBe('authorization_pending');
  });

  it('RFC 8628 §5.4 — verification_uri_complete only pre-fills the code: opening it decides nothing', async () => {
    const started = await startDevice(t, device);
    const browser = new Browser(t);
    const page = await browser.get(started.verification_uri_complete);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`value="${started.user_code}"`);
    expect((await pendingRecord(started.user_code))?.status).toBe('pending');
  });

  it('RFC 8628 §5.4 — a confirmation link opened in another browser (a phished link) is refused', async () => {
    const started = await startDevice(t, device);
    const entered = await enterCode(new Browser(t), started.user_code);
    const victim = new Browser(t);
    // The victim's browser has its own cookies (it has been here before), just not the attacker's.
    await victim.get('/device');
    expect(victim.cookies.size).toBeGreaterThan(0);
    const page = await victim.get(String(entered.headers.location));
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('expired or was already answered');
  });

  it('RFC 6749 §10.12 — a form post without the CSRF token is refused (403)', async () => {
    const started = await startDevice(t, device);
    const response = await t.app.inject({
      method: 'POST',
      url: '/device',
      headers: FORM,
      payload: form({ user_code: started.user_code }),
    });
    expect(response.statusCode).toBe(403);
  });

  it('RFC 8628 §5.1 — wrong codes from one address are throttled (429 with Retry-After)', async () => {
    const browser = new Browser(t);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await enterCode(browser, 'BCDF-GHJK')).statusCode);
    }
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
    expect(statuses).toContain(429);
  });

  it('RFC 8628 §5.1 — wrong guesses at one live code lock it (from any address); its device gets access_denied', async () => {
    const started = await startDevice(t, device);
    const [first, second] = started.user_code.split('-') as [string, string];
    const wrongSecond = [...'BCDFG'].map((c) => (second.startsWith(c) ? 'HHHH' : c.repeat(4)));
    for (const [i, guess] of wrongSecond.entries()) {
      const response = await t.app.inject({
        method: 'GET',
        url: '/device',
        remoteAddress: `198.51.100.${i + 1}`,
      });
      const csrf = hiddenFields(response.body).csrf_token ?? '';
      const cookie = String(response.headers['set-cookie']).split(';')[0];
      const post = await t.app.inject({
        method: 'POST',
        url: '/device',
        remoteAddress: `198.51.100.${i + 1}`,
        headers: { ...FORM, cookie },
        payload: form({ csrf_token: csrf, user_code: `${first}-${guess}` }),
      });
      expect(post.statusCode).toBe(400);
    }
    expect((await poll(t, device, started.device_code)).json().error).toBe('access_denied');
    // The right code no longer opens it.
    expect((await enterCode(new Browser(t), started.user_code)).statusCode).toBe(400);
    await t.audit.flush();
    expect((await t.store.listAudit({ type: 'device_authorization.locked' })).items).toHaveLength(1);
  });

  it('audit: requested, approved, denied and exchanged are recorded, with no code in them', async () => {
    const approved = await startDevice(t, device);
    await verifyInBrowser(new Browser(t), approved.user_code);
    await poll(t, device, approved.device_code);
    const denied = await startDevice(t, device);
    await verifyInBrowser(new Browser(t), denied.user_code, { decision: 'deny' });
    await t.audit.flush();
    for (const type of ['requested', 'approved', 'denied', 'exchanged']) {
      const events = (await t.store.listAudit({ type: `device_authorization.${type}` })).items;
      expect(events.length, type).toBeGreaterThanOrEqual(1);
      const text = JSON.stringify(events);
      expect(text).not.toContain(approved.device_code);
      expect(text).not.toContain(approved.user_code);
    }
  });

  it('the maintenance job purges expired device authorizations', async () => {
    const started = await startDevice(t, device);
    const id = (await pendingRecord(started.user_code))?.id ?? '';
    t.clock.advance(started.expires_in + 1);
    const purged = await t.maintenance.run();
    expect(purged.device_authorizations).toBe(1);
    expect(await t.store.findDeviceAuthorization(id)).toBeUndefined();
  });
});
