/**
 * The device cookie of risk-based sign-in (issue 15 §1, "the device's own long-lived signed
 * cookie"; docs/risk.md "The device cookie"): with `risk.enabled` (and `risk.deviceCookie`, on by
 * default) the login pages give each browser a random id authenticated by the server, and every
 * scored sign-in carries it (as a per-person keyed digest) as `Device ID`, so a device the person
 * signed in on before lowers the score (the `device` factor) and an unknown one raises it a little.
 * Real SQLite, through HTTP with inject.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDeviceIds } from '../../src/users/device-ids.js';
import { retrainRisk } from '../../src/users/risk-retrain.js';
import { accountSignIn } from '../support/account.js';
import { bootstrap, TEST_MASTER_KEY, type TestServer } from '../support/bootstrap.js';
import { Device } from '../support/device.js';
import {
  authorizeUrl,
  createCodeClient,
  createUser,
  hiddenFields,
  PASSWORD,
  pkcePair,
  signIn,
} from '../support/login.js';
import { enrolTotp, oathtoolCode } from '../support/totp.js';

let servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers) {
    await server.close();
  }
  servers = [];
});

const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const HOME = { ip: '203.0.113.5', userAgent: CHROME };
const AWAY = { ip: '198.51.100.7', userAgent: CHROME };
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0';
/** A new network and a new browser: a step-up at `risk.stepUpScore` 1. */
const ELSEWHERE = { ip: '198.51.100.7', userAgent: FIREFOX };
const COOKIE = 'tessera_device';
/** A fixed start, so two servers fed the same sign-ins hold the same histories. */
const START = 1_800_000_000;

interface Decision {
  score: number;
  decision: string;
  outcome: string;
  factors: { name: string; value: number }[];
}

async function start(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  const server = await bootstrap(
    { 'risk.enabled': true, 'risk.stepUpScore': 100, 'risk.denyScore': 100, ...overrides },
    { startSeconds: START },
  );
  servers.push(server);
  await createUser(server);
  return server;
}

async function lastDecision(server: TestServer): Promise<Decision | undefined> {
  await server.audit.flush();
  const [last] = (await server.store.listAudit({ type: 'risk.decision', limit: 1 })).items;
  return last?.data as unknown as Decision | undefined;
}

function deviceFactor(decision: Decision | undefined): number | undefined {
  return decision?.factors.find((factor) => factor.name === 'device')?.value;
}

/**
 * One whole sign-in through /authorize from `where`, in a browser holding only `deviceCookie` (no
 * session, so the login page is shown); returns the decision and the device cookie afterwards.
 */
async function signInWith(
  server: TestServer,
  where: typeof HOME,
  deviceCookie: string | undefined,
  options: Parameters<typeof signIn>[2] = {},
): Promise<{ decision: Decision | undefined; cookie: string | undefined; code: string | null }> {
  const browser = new Device(server, where);
  if (deviceCookie !== undefined) {
    browser.cookies.set(COOKIE, deviceCookie);
  }
  const { client } = await createCodeClient(server);
  const pkce = pkcePair();
  const result = await signIn(
    browser,
    authorizeUrl(client, { scope: 'read', code_challenge: pkce.challenge, code_challenge_method: 'S256' }),
    options,
  );
  return { decision: await lastDecision(server), cookie: browser.cookies.get(COOKIE), code: result.code };
}

/** Three sign-ins at home on one device, an hour apart; returns its cookie. */
async function homeDevice(server: TestServer): Promise<string> {
  let cookie: string | undefined;
  for (let i = 0; i < 3; i++) {
    ({ cookie } = await signInWith(server, HOME, cookie));
    server.clock.advance(3600);
  }
  expect(cookie).toBeDefined();
  return cookie as string;
}

describe('the device cookie in risk-based sign-in (issue 15 §1)', () => {
  it('a known device signing in from a new network scores lower than the same sign-in without its cookie (factor device −3, against +0.5 unknown)', async () => {
    const known = await start();
    const withCookie = await signInWith(known, AWAY, await homeDevice(known));
    const unknown = await start();
    await homeDevice(unknown);
    const withoutCookie = await signInWith(unknown, AWAY, undefined);

    expect(deviceFactor(withCookie.decision)).toBe(-3);
    expect(deviceFactor(withoutCookie.decision)).toBe(0.5);
    expect(withCookie.decision?.score).toBeLessThan(withoutCookie.decision?.score ?? Number.NaN);
    expect(withoutCookie.cookie, 'the browser without one was given a device cookie').toBeDefined();
  });

  it('a forged, tampered or malformed cookie counts as unknown, never as an error, and is replaced by a valid one', async () => {
    const server = await start();
    const genuine = await homeDevice(server);
    const [id, mac] = genuine.split('.') as [string, string];
    const flip = (text: string, at: number) =>
      `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
    const otherServer = createDeviceIds(Buffer.alloc(32, 7)).mint().value;
    const presented = [
      `${id}.${flip(mac, 5)}`, // the MAC changed
      `${id}.${flip(mac, 42)}`, // only the spare low bits of the MAC's last character changed
      `${flip(id, 0)}.${mac}`, // another id under this id's MAC
      `${id.slice(0, 21)}.${mac}`, // truncated
      otherServer, // minted under another master key
      'not-a-device-cookie',
      `${id}.${mac}.${mac}`,
    ];
    for (const value of presented) {
      const result = await signInWith(server, HOME, value);
      expect(result.code, value).toBeTruthy();
      expect(deviceFactor(result.decision), value).toBe(0.5);
      expect(result.cookie, value).not.toBe(value);
      expect(createDeviceIds(Buffer.from(TEST_MASTER_KEY, 'hex')).open(result.cookie), value).toBeDefined();
      server.clock.advance(60);
    }
    // The genuine one is still known.
    expect(deviceFactor((await signInWith(server, HOME, genuine)).decision)).toBe(-3);
  });

  it('the device is learned only after a granted session: a refused sign-in teaches nothing, the next granted one does', async () => {
    const server = await start({ 'risk.stepUpScore': 1 });
    await homeDevice(server);
    // A new device from another network: a step-up, and alice has no second factor: refused.
    const refused = await signInWith(server, ELSEWHERE, undefined).catch((error: Error) => error);
    expect(String(refused)).toMatch(/unexpected 403/);
    const decision = await lastDecision(server);
    expect(decision).toMatchObject({ decision: 'step_up', outcome: 'no_second_factor' });
    expect(deviceFactor(decision)).toBe(0.5);
    // The refused browser's cookie: still unknown at home, where the sign-in is granted.
    const browser = new Device(server, ELSEWHERE);
    const page = await browser.get('/account/login');
    const cookie = browser.cookies.get(COOKIE) as string;
    expect(cookie).toBeDefined();
    const refusedAgain = await browser.post('/account/login', {
      csrf_token: hiddenFields(page.body).csrf_token ?? '',
      username: 'alice',
      password: 'correct horse battery',
    });
    expect(refusedAgain.statusCode).toBe(403);
    expect(deviceFactor(await lastDecision(server))).toBe(0.5);
    server.clock.advance(3600);
    const granted = await signInWith(server, HOME, cookie);
    expect(granted.code).toBeTruthy();
    expect(deviceFactor(granted.decision), 'two refusals taught nothing').toBe(0.5);
    server.clock.advance(3600);
    expect(deviceFactor((await signInWith(server, HOME, cookie)).decision), 'the granted one did').toBe(-3);
  });

  it('a sign-in stepped up and abandoned teaches nothing; the same device finishing its step-up is learned', async () => {
    const server = await start({ 'risk.stepUpScore': 1, 'risk.secondFactor': 'on_risk' });
    const cookie = await homeDevice(server);
    const home = new Device(server, HOME);
    home.cookies.set(COOKIE, cookie);
    await accountSignIn(server, home);
    const { secret } = await enrolTotp(server, home);
    server.clock.advance(3600);
    // A new device elsewhere: asked for the code, and the person walks away.
    const elsewhere = new Device(server, ELSEWHERE);
    const { client } = await createCodeClient(server);
    const pkce = pkcePair();
    let page = await elsewhere.get(
      authorizeUrl(client, { scope: 'read', code_challenge: pkce.challenge, code_challenge_method: 'S256' }),
    );
    page = await elsewhere.get(String(page.headers.location));
    const asked = await elsewhere.post('/login', {
      ...hiddenFields(page.body),
      username: 'alice',
      password: PASSWORD,
    });
    expect(asked.body).toContain('action="/login/second-factor"');
    expect(await lastDecision(server)).toMatchObject({ decision: 'step_up', outcome: 'second_factor' });
    const abandoned = elsewhere.cookies.get(COOKIE) as string;
    expect(abandoned).toBeDefined();
    server.clock.advance(3600);
    const code = () => ({ code: oathtoolCode(secret, server.clock.now()) });
    const finished = await signInWith(server, ELSEWHERE, abandoned, { secondFactor: code });
    expect(finished.code).toBeTruthy();
    expect(finished.decision).toMatchObject({ decision: 'step_up', outcome: 'proceed' });
    expect(deviceFactor(finished.decision), 'the abandoned sign-in taught nothing').toBe(0.5);
    server.clock.advance(3600);
    const next = await signInWith(server, ELSEWHERE, abandoned, { secondFactor: code });
    expect(deviceFactor(next.decision), 'the finished one did').toBe(-3);
  });

  it('/account/login sets the cookie and scores with it like the authorization login', async () => {
    const server = await start();
    // The first sign-in ever is scored without history (no device factor), and teaches the device.
    const first = await accountSignIn(server, new Device(server, HOME));
    const cookie = first.cookies.get(COOKIE) as string;
    expect(cookie).toBeDefined();
    server.clock.advance(3600);
    const again = new Device(server, AWAY);
    again.cookies.set(COOKIE, cookie);
    await accountSignIn(server, again);
    expect(deviceFactor(await lastDecision(server))).toBe(-3);
    server.clock.advance(3600);
    await accountSignIn(server, new Device(server, AWAY));
    expect(deviceFactor(await lastDecision(server))).toBe(0.5);
  });

  it('erasure (DELETE /admin/users/{id}/risk-profile) forgets the device', async () => {
    const server = await start();
    const cookie = await homeDevice(server);
    const alice = await server.store.findUserByUsername('alice');
    const erased = await server.app.inject({
      method: 'DELETE',
      url: `/admin/users/${alice?.id}/risk-profile`,
      headers: server.adminHeaders,
    });
    expect(erased.statusCode, erased.body).toBe(204);
    // Without history a sign-in has no device factor; one on another device starts the new history.
    const other = await signInWith(server, HOME, undefined);
    expect(deviceFactor(other.decision)).toBeUndefined();
    server.clock.advance(3600);
    expect(deviceFactor((await signInWith(server, HOME, other.cookie)).decision)).toBe(-3);
    server.clock.advance(3600);
    expect(deviceFactor((await signInWith(server, HOME, cookie)).decision), 'erased').toBe(0.5);
  });

  it('the raw id goes into neither the audit log nor the store: both hold a per-person digest', async () => {
    const server = await start();
    const cookie = await homeDevice(server);
    const [id] = cookie.split('.') as [string];
    await server.audit.flush();
    const audit = await server.store.listAudit({ limit: 500 });
    const learned = audit.items.filter((event) => event.type === 'risk.learned');
    expect(learned).toHaveLength(3);
    const digests = new Set(learned.map((event) => event.data.device));
    expect(digests.size).toBe(1);
    expect([...digests][0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(audit.items)).not.toContain(id);
    expect(JSON.stringify(await server.store.findRiskProfile(String(learned[0]?.subject)))).not.toContain(id);
    // Another person on the same browser is another digest.
    await createUser(server, 'bob');
    const bob = await signInWithUser(server, cookie, 'bob');
    expect(bob).toBeTruthy();
    await server.audit.flush();
    const [bobLearned] = (await server.store.listAudit({ type: 'risk.learned', limit: 1 })).items;
    expect(bobLearned?.data.device).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(digests.has(bobLearned?.data.device)).toBe(false);
  });
});

describe('the device cookie’s attributes', () => {
  function deviceLine(setCookie: string | string[] | undefined, name: string): string | undefined {
    return ([] as string[]).concat(setCookie ?? []).find((line) => line.startsWith(`${name}=`));
  }

  it('RFC 6265bis §4.1.3.2 — on an https issuer: __Host-tessera_device; Secure; HttpOnly; SameSite=Lax; Path=/; no Domain; Max-Age 400 days (§5.6.2), on the authorization login page and /account/login', async () => {
    const server = await start({ issuer: 'https://tessera.test' });
    const { client } = await createCodeClient(server);
    const pkce = pkcePair();
    const browser = new Device(server, HOME);
    const authorize = await browser.get(
      authorizeUrl(client, { scope: 'read', code_challenge: pkce.challenge, code_challenge_method: 'S256' }),
    );
    const loginPage = await browser.get(String(authorize.headers.location));
    expect(loginPage.statusCode).toBe(200);
    const account = await new Device(server, HOME).get('/account/login');
    for (const response of [loginPage, account]) {
      const line = deviceLine(response.headers['set-cookie'], `__Host-${COOKIE}`);
      expect(line).toBeDefined();
      expect(line).toMatch(/; Secure/);
      expect(line).toMatch(/; HttpOnly/);
      expect(line).toMatch(/; SameSite=Lax/);
      expect(line).toMatch(/; Path=\/(;|$)/);
      expect(line).not.toMatch(/Domain/i);
      expect(line).toMatch(/; Max-Age=34560000(;|$)/);
      expect(deviceLine(response.headers['set-cookie'], COOKIE)).toBeUndefined();
    }
  });

  it('on an http issuer (--dev): tessera_device without the prefix and without Secure, still HttpOnly, SameSite=Lax, Path=/', async () => {
    const server = await start();
    const line = deviceLine(
      (await new Device(server, HOME).get('/account/login')).headers['set-cookie'],
      COOKIE,
    );
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
    expect(line).toMatch(/; Path=\//);
    expect(line).not.toMatch(/Secure|Domain/);
  });

  it('risk.deviceCookie false, or risk off: no device cookie and no device factor', async () => {
    const off = await start({ 'risk.deviceCookie': false });
    const result = await signInWith(off, HOME, undefined);
    expect(result.code).toBeTruthy();
    expect(result.cookie).toBeUndefined();
    expect(deviceFactor(result.decision)).toBeUndefined();
    const riskOff = await bootstrap();
    servers.push(riskOff);
    const page = await new Device(riskOff, HOME).get('/account/login');
    expect(deviceLine(page.headers['set-cookie'], COOKIE)).toBeUndefined();
  });
});

async function signInWithUser(server: TestServer, deviceCookie: string, username: string) {
  const browser = new Device(server, HOME);
  browser.cookies.set(COOKIE, deviceCookie);
  const { client } = await createCodeClient(server);
  const pkce = pkcePair();
  const result = await signIn(
    browser,
    authorizeUrl(client, { scope: 'read', code_challenge: pkce.challenge, code_challenge_method: 'S256' }),
    { username },
  );
  return result.code;
}

describe('tessera risk retrain and the device', () => {
  it('the learned devices come back from the audit log (risk.learned carries the digest)', async () => {
    const server = await start();
    const cookie = await homeDevice(server);
    const alice = await server.store.findUserByUsername('alice');
    const read = async () => {
      const response = await server.app.inject({
        method: 'GET',
        url: `/admin/users/${alice?.id}/risk-profile`,
        headers: server.adminHeaders,
      });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ profile: { levels: { deviceId: { hash: string }[] } } }>().profile.levels
        .deviceId;
    };
    const before = await read();
    expect(before).toHaveLength(1);
    await server.audit.flush();
    const result = await retrainRisk({ store: server.store, clock: server.clock });
    expect(result.events).toBe(3);
    expect((await read()).map((value) => value.hash)).toEqual(before.map((value) => value.hash));
    expect(deviceFactor((await signInWith(server, AWAY, cookie)).decision)).toBe(-3);
  });
});
