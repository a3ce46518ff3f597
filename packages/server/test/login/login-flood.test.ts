/**
 * Sign-ins beyond the argon2 bound (issue 18, `flood.login`): every post gets a prompt answer. The
 * ones the bound cannot take get 503 + Retry-After at once; the ones that waited `login.verifyMaxWait`
 * without a turn get the same 503, unverified, instead of an answer long after the client gave up;
 * the admitted ones sign in. A refused person still gets in with a passkey (no argon2): the busy
 * page carries no ceremony, its passkey button fetches one when pressed.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createPasswordHasher } from '../../src/users/password-hasher.js';
import { accountSignIn } from '../support/account.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { Browser, createUser, hiddenFields, PASSWORD } from '../support/login.js';
import { dataOptions, formFields, SoftAuthenticator } from '../support/soft-authenticator.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the account sign-in under a flood', () => {
  it('1 running, 2 waiting: of 5 posts 2 are refused at once, 2 after verifyMaxWait (never verified), the running one signs in', async () => {
    const real = createPasswordHasher();
    let started = 0;
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const server = await bootstrap(
      { 'login.verifyConcurrency': 1, 'login.verifyQueue': 2, 'login.verifyMaxWait': '300ms' },
      {
        passwordHasher: {
          hash: (password) => real.hash(password),
          // Every verification holds until the test opens the gate, then is the real one.
          verify: async (encoded, password) => {
            started += 1;
            await gate;
            return real.verify(encoded, password);
          },
          verifyDummy: async (password) => {
            started += 1;
            await gate;
            await real.verifyDummy(password);
          },
        },
      },
    );
    t = server;
    const names = ['alice', 'bob', 'carol', 'dave', 'erin'];
    for (const name of names) {
      await createUser(server, name);
    }
    const people = await Promise.all(
      names.map(async (username) => {
        const browser = new Browser(server);
        const page = await browser.get('/account/login');
        return { browser, username, csrf: hiddenFields(page.body).csrf_token ?? '' };
      }),
    );
    const sent = Date.now();
    const answers = people.map(({ browser, username, csrf }) =>
      browser
        .post('/account/login', { csrf_token: csrf, username, password: PASSWORD })
        .then((response) => ({ response, ms: Date.now() - sent })),
    );
    const settled: Array<{ status: number; ms: number }> = [];
    for (const answer of answers) {
      void answer.then(({ response, ms }) => settled.push({ status: response.statusCode, ms }));
    }
    // Four answers come while the running verification is still held (an upper bound that only
    // fails on a hang: without the deadline the two waiting posts would wait for the gate).
    const limit = Date.now() + 10_000;
    while (settled.length < 4 && Date.now() < limit) {
      await sleep(10);
    }
    expect(settled.map((s) => s.status)).toEqual([503, 503, 503, 503]);
    // Two of them waited out the deadline (the other two were refused without waiting for it).
    expect(settled.filter((s) => s.ms >= 290).length).toBeGreaterThanOrEqual(2);
    // Only the running one reached argon2: the refused ones were never verified.
    expect(started).toBe(1);
    open();
    const final = await Promise.all(answers);
    for (const { response } of final.filter((a) => a.response.statusCode === 503)) {
      expect(response.headers['retry-after']).toBe('1');
      expect(response.body).toContain('Too many people are signing in');
    }
    const signedIn = final.filter((a) => a.response.statusCode === 303);
    expect(signedIn).toHaveLength(1);
    expect(signedIn[0]?.response.headers.location).toBe('/account');
    expect(started).toBe(1);
    expect((await server.store.listSessions({})).items).toHaveLength(1);
    // The bound is free again: a refused person signs in at the next try.
    const again = people[final.findIndex((a) => a.response.statusCode === 503)];
    const retry = await again?.browser.post('/account/login', {
      csrf_token: again.csrf,
      username: again.username,
      password: PASSWORD,
    });
    expect(retry?.statusCode).toBe(303);
    expect((await server.store.listSessions({})).items).toHaveLength(2);
  });

  it('while every check is taken, a post is refused before the throttle: 503 + Retry-After, no attempt counted', async () => {
    const real = createPasswordHasher();
    let started = 0;
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      }),
    });
    const server = await bootstrap(
      { 'login.verifyConcurrency': 1, 'login.verifyQueue': 0 },
      {
        logger,
        passwordHasher: {
          hash: (password) => real.hash(password),
          verify: async (encoded, password) => {
            started += 1;
            await gate;
            return real.verify(encoded, password);
          },
          verifyDummy: async (password) => {
            started += 1;
            await gate;
            await real.verifyDummy(password);
          },
        },
      },
    );
    t = server;
    await createUser(server, 'alice');
    await createUser(server, 'dave');
    const signIn = async (username: string) => {
      const browser = new Browser(server);
      const page = await browser.get('/account/login');
      const csrf = hiddenFields(page.body).csrf_token ?? '';
      return browser.post('/account/login', { csrf_token: csrf, username, password: PASSWORD });
    };
    const alice = signIn('alice');
    const limit = Date.now() + 10_000;
    while (started < 1 && Date.now() < limit) {
      await sleep(5);
    }
    // Alice's check runs and none may wait: Dave is refused at once, before his attempt is counted.
    const dave = await signIn('dave');
    expect(dave.statusCode).toBe(503);
    expect(dave.headers['retry-after']).toBe('1');
    expect(dave.body).toContain('Too many people are signing in');
    expect(started).toBe(1);
    const next = await server.store.takeAttempt({
      key: 'login:user:dave',
      now: Math.floor(Date.now() / 1000),
      freeAttempts: 5,
      maxBackoff: 900,
      window: 3600,
    });
    expect(next).toMatchObject({ allowed: true, count: 1 });
    open();
    expect((await alice).statusCode).toBe(303);
    // The refusal is counted in the access log's per-second line, not logged on its own.
    await server.close();
    t = undefined;
    const access = lines.filter((line) => line.msg === 'request completed' || line.msg === 'requests shed');
    expect(access).toEqual([
      expect.objectContaining({ msg: 'requests shed', route: '/account/login', statusCode: 503, count: 1 }),
    ]);
  });

  it('the busy page makes no passkey ceremony; one fetched when asked for (CSRF checked) signs in while every check is still taken', async () => {
    const real = createPasswordHasher();
    let started = 0;
    let gate: Promise<void> | undefined;
    let open: () => void = () => {};
    const server = await bootstrap(
      { 'login.verifyConcurrency': 1, 'login.verifyQueue': 0 },
      {
        passwordHasher: {
          hash: (password) => real.hash(password),
          // Holds every verification while the test keeps the gate shut.
          verify: async (encoded, password) => {
            started += 1;
            await gate;
            return real.verify(encoded, password);
          },
          verifyDummy: async (password) => {
            started += 1;
            await gate;
            await real.verifyDummy(password);
          },
        },
      },
    );
    t = server;
    await createUser(server, 'alice');
    await createUser(server, 'dave');
    // Dave adds a passkey (signed in with his password while nothing is held).
    const authenticator = new SoftAuthenticator(new URL(TEST_ISSUER).hostname, TEST_ISSUER);
    const account = await accountSignIn(server, new Browser(server), 'dave');
    const registration = await account.get('/account');
    const added = await account.post('/account/passkeys', {
      ...formFields(registration.body, 'passkey-register'),
      name: 'Laptop',
      response: JSON.stringify(authenticator.register(dataOptions(registration.body, 'passkey-register'))),
    });
    expect(added.statusCode).toBe(303);

    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const before = started;
    const aliceBrowser = new Browser(server);
    const alicePage = await aliceBrowser.get('/account/login');
    const alice = aliceBrowser.post('/account/login', {
      csrf_token: hiddenFields(alicePage.body).csrf_token ?? '',
      username: 'alice',
      password: PASSWORD,
    });
    const limit = Date.now() + 10_000;
    while (started === before && Date.now() < limit) {
      await sleep(5);
    }
    // Every check is taken: Dave's password is refused, and the page offers the passkey without a
    // challenge of its own (no data-options, no sealed state), with a CSP that lets it fetch one.
    const browser = new Browser(server);
    const page = await browser.get('/account/login');
    const csrf = hiddenFields(page.body).csrf_token ?? '';
    const busy = await browser.post('/account/login', {
      csrf_token: csrf,
      username: 'dave',
      password: PASSWORD,
    });
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('1');
    expect(busy.body).toContain('Too many people are signing in');
    expect(busy.body).toContain('Sign in with a passkey');
    expect(busy.body).toContain('data-options-url="/account/login/passkey/options"');
    expect(busy.body).not.toContain('data-options="');
    expect(formFields(busy.body, 'passkey-form')).toMatchObject({ csrf_token: csrf, state: '' });
    expect(String(busy.headers['content-security-policy'])).toContain("connect-src 'self'");
    expect(String(busy.headers['content-security-policy'])).toContain("form-action 'self'");

    // The options: only with this browser's CSRF token, never cached.
    expect(
      (await browser.post('/account/login/passkey/options', { csrf_token: 'x'.repeat(43) })).statusCode,
    ).toBe(403);
    expect(
      (await new Browser(server).post('/account/login/passkey/options', { csrf_token: csrf })).statusCode,
    ).toBe(403);
    const fetched = await browser.post('/account/login/passkey/options', { csrf_token: csrf });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.headers['cache-control']).toBe('no-store');
    const ceremony = JSON.parse(fetched.body) as { options: { challenge: string }; state: string };
    expect(ceremony.options).not.toHaveProperty('allowCredentials');

    // The passkey signs Dave in while Alice's check still holds the bound: no argon2 needed.
    const signedIn = await browser.post('/account/login/passkey', {
      ...formFields(busy.body, 'passkey-form'),
      state: ceremony.state,
      response: JSON.stringify(authenticator.assert(ceremony.options)),
    });
    expect(signedIn.statusCode).toBe(303);
    expect(signedIn.headers.location).toBe('/account');
    expect(started).toBe(before + 1);
    const sessions = (await server.store.listSessions({})).items;
    expect(sessions.map((session) => session.amr)).toContainEqual(['hwk', 'user']);
    open();
    expect((await alice).statusCode).toBe(303);
  });
});
