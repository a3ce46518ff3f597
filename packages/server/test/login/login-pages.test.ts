/**
 * The login and consent pages (issue 6 §3): CSRF on every form (RFC 9700 §4.7 / RFC 6749 §10.12),
 * cookie attributes, clickjacking headers (RFC 9700 §4.16), no user enumeration, throttling with
 * backoff, consent in words and remembered, first-party clients, single-use interactions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '../../src/users/password-hasher.js';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import type { TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  createUser,
  hiddenFields,
  PASSWORD,
  pkcePair,
  signIn,
} from '../support/login.js';

let t: TestServer;
let c: TestClient;
const pkce = pkcePair();
const PKCE = { code_challenge: pkce.challenge, code_challenge_method: 'S256' };

beforeEach(async () => {
  t = await bootstrap();
  await createUser(t);
  c = await createCodeClient(t);
});
afterEach(async () => {
  await t.close();
});

/** Opens the login page of a fresh authorization request; returns the browser and the form fields. */
async function loginPage(browser = new Browser(t), params: Record<string, string> = {}) {
  const start = await browser.get(
    authorizeUrl(c.client, { ...PKCE, scope: 'openid profile read', ...params }),
  );
  const page = await browser.get(String(start.headers.location));
  expect(page.statusCode).toBe(200);
  return { browser, page, fields: hiddenFields(page.body) };
}

describe('CSRF on the login form (RFC 9700 §4.7, RFC 6749 §10.12)', () => {
  it('RFC 6749 §10.12 — a login post without csrf_token → 403 page, no session', async () => {
    const { browser, fields } = await loginPage();
    const response = await browser.post('/login', {
      interaction: fields.interaction ?? '',
      username: 'alice',
      password: PASSWORD,
    });
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect((await t.store.listSessions({})).items).toHaveLength(0);
  });

  it('RFC 6749 §10.12 — a wrong csrf_token → 403', async () => {
    const { browser, fields } = await loginPage();
    const response = await browser.post('/login', {
      ...fields,
      csrf_token: 'A'.repeat(43),
      username: 'alice',
      password: PASSWORD,
    });
    expect(response.statusCode).toBe(403);
  });

  it("RFC 9700 §4.7 (login CSRF) — a cross-site post with the attacker's own form and token fails in the victim's browser", async () => {
    // The attacker starts a flow in their own browser and copies the form into a page the victim opens.
    const attacker = await loginPage();
    const victim = new Browser(t);
    await victim.get(authorizeUrl(c.client, PKCE)); // the victim has a CSRF cookie of their own
    const forged = await victim.post('/login', { ...attacker.fields, username: 'alice', password: PASSWORD });
    expect(forged.statusCode).toBe(403);
    // Even with the token guessed right, the interaction is bound to the attacker's browser.
    const victimCookie = [...victim.cookies].find(([name]) => name.endsWith('tessera_csrf'))?.[1] ?? '';
    const bound = await victim.post('/login', {
      ...attacker.fields,
      csrf_token: victimCookie,
      username: 'alice',
      password: PASSWORD,
    });
    expect(bound.statusCode).toBe(400);
    expect(bound.body).toContain('another browser');
    expect((await t.store.listSessions({})).items).toHaveLength(0);
  });

  it('a tampered interaction → error page (it is sealed)', async () => {
    const { browser, fields } = await loginPage();
    const tampered = `${(fields.interaction ?? '').slice(0, -4)}AAAA`;
    const response = await browser.post('/login', {
      ...fields,
      interaction: tampered,
      username: 'alice',
      password: PASSWORD,
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers.location).toBeUndefined();
  });

  it('an expired interaction (login.interactionTtl) → error page', async () => {
    const { browser, fields } = await loginPage();
    t.clock.advance(16 * 60);
    const response = await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('expired');
  });
});

describe('CSRF on the consent form', () => {
  async function consentPage() {
    const { browser, fields } = await loginPage();
    const afterLogin = await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD });
    expect(String(afterLogin.headers.location)).toMatch(/\/consent\?interaction=/);
    const page = await browser.get(String(afterLogin.headers.location));
    return { browser, page, fields: hiddenFields(page.body) };
  }

  it('RFC 6749 §10.12 — a consent post without the CSRF token → 403, nothing remembered, no code', async () => {
    const { browser, fields } = await consentPage();
    const response = await browser.post('/consent', {
      interaction: fields.interaction ?? '',
      decision: 'allow',
    });
    expect(response.statusCode).toBe(403);
    const user = await t.store.findUserByUsername('alice');
    expect(await t.store.findConsent(user?.id ?? '', c.id)).toBeUndefined();
  });

  it('OIDC Core §3.1.2.4 — the consent page lists the scopes in words, escaped, with Allow and Deny', async () => {
    await t.close();
    t = await bootstrap();
    await createUser(t);
    c = await createCodeClient(t, { name: '<script>alert(1)</script> App' });
    const { page } = await consentPage();
    expect(page.body).toContain('Confirm that it is you');
    expect(page.body).toContain('See your name and username');
    expect(page.body).toContain('Use the permission “read”');
    expect(page.body).toContain('&#60;script&#62;alert(1)&#60;/script&#62; App');
    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain('value="allow"');
    expect(page.body).toContain('value="deny"');
  });

  it('RFC 6749 §4.1.2.1 — Deny → access_denied back to the client with state and iss', async () => {
    const { browser, fields } = await consentPage();
    const response = await browser.post('/consent', { ...fields, decision: 'deny' });
    const location = new URL(String(response.headers.location));
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('st-123');
    expect(location.searchParams.get('iss')).toBe(TEST_ISSUER);
  });

  it('an interaction completes once: replaying the consent post gives no second code', async () => {
    const { browser, fields } = await consentPage();
    const first = await browser.post('/consent', { ...fields, decision: 'allow' });
    expect(new URL(String(first.headers.location)).searchParams.get('code')).toMatch(/^tsr_ac_/);
    const replay = await browser.post('/consent', { ...fields, decision: 'allow' });
    expect(replay.statusCode).toBe(400);
    expect(replay.headers.location).toBeUndefined();
  });
});

describe('consent is remembered; first-party clients skip it', () => {
  it('the same scopes again → no consent page; a new scope → asked again', async () => {
    const browser = new Browser(t);
    await signIn(browser, authorizeUrl(c.client, { ...PKCE, scope: 'openid read' }));
    const same = await browser.get(authorizeUrl(c.client, { ...PKCE, scope: 'read' }));
    expect(new URL(String(same.headers.location)).searchParams.get('code')).toMatch(/^tsr_ac_/);
    const more = await browser.get(authorizeUrl(c.client, { ...PKCE, scope: 'read write' }));
    expect(String(more.headers.location)).toMatch(/\/consent\?interaction=/);
  });

  it('OIDC Core §3.1.2.1 prompt=consent shows the page even when remembered', async () => {
    const browser = new Browser(t);
    await signIn(browser, authorizeUrl(c.client, PKCE));
    const again = await browser.get(authorizeUrl(c.client, { ...PKCE, prompt: 'consent' }));
    expect(String(again.headers.location)).toMatch(/\/consent\?interaction=/);
  });

  it('a first-party client never shows the consent page', async () => {
    const first = await createCodeClient(t, { firstParty: true });
    const { browser, fields } = await loginPage(new Browser(t), { client_id: first.id });
    const response = await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD });
    expect(new URL(String(response.headers.location)).searchParams.get('code')).toMatch(/^tsr_ac_/);
  });
});

describe('no user enumeration; throttling with backoff', () => {
  it('an unknown user and a wrong password get the same answer', async () => {
    const one = await loginPage();
    const unknown = await one.browser.post('/login', {
      ...one.fields,
      username: 'mallory',
      password: PASSWORD,
    });
    const two = await loginPage();
    const wrong = await two.browser.post('/login', {
      ...two.fields,
      username: 'alice',
      password: 'not the password',
    });
    expect(unknown.statusCode).toBe(400);
    expect(wrong.statusCode).toBe(400);
    const message = (body: string) => /<p class="error"[^>]*>([^<]*)</.exec(body)?.[1];
    expect(message(unknown.body)).toBe('Incorrect username or password.');
    expect(message(wrong.body)).toBe(message(unknown.body));
  });

  it('a failed login is audited by account id, never with what was typed', async () => {
    const { browser, fields } = await loginPage();
    await browser.post('/login', { ...fields, username: 'alice', password: 'typed-secret-1' });
    await browser.post('/login', { ...fields, username: 'typed-secret-2', password: 'x' });
    await t.audit.flush();
    const events = (await t.store.listAudit({ type: 'login.failed' })).items;
    expect(events).toHaveLength(2);
    const user = await t.store.findUserByUsername('alice');
    expect(events.map((e) => e.subject)).toEqual(expect.arrayContaining([user?.id, null]));
    expect(JSON.stringify(events)).not.toMatch(/typed-secret/);
  });

  it('after login.freeAttempts failures a username waits (429 + Retry-After), even with the right password', async () => {
    const { browser, fields } = await loginPage();
    for (let i = 0; i < 5; i++) {
      const failed = await browser.post('/login', { ...fields, username: 'alice', password: `wrong-${i}` });
      expect(failed.statusCode).toBe(400);
    }
    const blocked = await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(blocked.body).toContain('Too many attempts');
    // A refusal makes no passkey ceremony: the page's button fetches one (for this browser) when pressed.
    expect(blocked.body).toContain('data-options-url="/login/passkey/options"');
    expect(blocked.body).not.toContain('data-options="');
    expect(String(blocked.headers['content-security-policy'])).toContain("connect-src 'self'");
    const options = await browser.post('/login/passkey/options', { csrf_token: fields.csrf_token ?? '' });
    expect(options.statusCode).toBe(200);
    expect(options.json()).toMatchObject({
      options: { userVerification: 'required' },
      state: expect.any(String),
    });
    // An unknown username is throttled the same way (nothing to learn from the throttle).
    for (let i = 0; i < 5; i++) {
      await browser.post('/login', { ...fields, username: 'nobody', password: `wrong-${i}` });
    }
    expect((await browser.post('/login', { ...fields, username: 'nobody', password: 'x' })).statusCode).toBe(
      429,
    );
  });

  it('issue 12 item 1 — 20 parallel wrong passwords inside one backoff window: only login.freeAttempts are checked, the rest 429 + Retry-After', async () => {
    const { browser, fields } = await loginPage();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        browser.post('/login', { ...fields, username: 'alice', password: `parallel-${i}` }),
      ),
    );
    const checked = answers.filter((a) => a.statusCode === 400);
    const refused = answers.filter((a) => a.statusCode === 429);
    expect(checked).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const answer of refused) {
      expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(answer.body).toContain('Too many attempts');
    }
    // Every password that was checked is audited as a failure: exactly the free attempts.
    await t.audit.flush();
    expect((await t.store.listAudit({ type: 'login.failed' })).items).toHaveLength(5);
  });

  it('issue 12 item 1 — the counters live in the store: a second server on the same database sees the backoff', async () => {
    const { browser, fields } = await loginPage();
    for (let i = 0; i < 5; i++) {
      await browser.post('/login', { ...fields, username: 'alice', password: `wrong-${i}` });
    }
    // What another worker or node would ask: the shared store refuses the next attempt.
    const next = await t.store.takeAttempt({
      key: 'login:user:alice',
      now: t.clock.now(),
      freeAttempts: 5,
      maxBackoff: 900,
      window: 3600,
    });
    expect(next).toMatchObject({ allowed: false, retryAfter: 1 });
  });

  it('a successful login clears the username count and gives the IP its attempt back', async () => {
    const { browser, fields } = await loginPage();
    for (let i = 0; i < 4; i++) {
      expect(
        (await browser.post('/login', { ...fields, username: 'alice', password: `wrong-${i}` })).statusCode,
      ).toBe(400);
    }
    const ok = await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD });
    expect(ok.statusCode).toBe(303);
    const again = await loginPage();
    for (let i = 0; i < 4; i++) {
      const failed = await again.browser.post('/login', {
        ...again.fields,
        username: 'alice',
        password: `w-${i}`,
      });
      expect(failed.statusCode).toBe(400);
    }
  });

  it('issue 12 item 1 — password checks are bounded: 2 run, 3 wait, the other 15 of 20 parallel posts get 503 + Retry-After before any argon2 work', async () => {
    await t.close();
    const real = createPasswordHasher();
    const held: Array<() => void> = [];
    let started = 0;
    const hold = async () => {
      started += 1;
      await new Promise<void>((resolve) => held.push(resolve));
    };
    t = await bootstrap(
      { 'login.verifyConcurrency': 2, 'login.verifyQueue': 3 },
      {
        passwordHasher: {
          hash: (password) => real.hash(password),
          verify: async () => {
            await hold();
            return false;
          },
          verifyDummy: hold,
        },
      },
    );
    await createUser(t);
    c = await createCodeClient(t);
    const { browser, fields } = await loginPage();
    let settled = 0;
    const answers = Array.from({ length: 20 }, (_, i) =>
      browser.post('/login', { ...fields, username: `nobody-${i}`, password: 'x' }).finally(() => {
        settled += 1;
      }),
    );
    // Wait for the refusals (an upper bound that only fails on a hang), then let the checks finish.
    const deadline = Date.now() + 10_000;
    while (settled < 15 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(started).toBe(2);
    while (held.length > 0 || started < 5) {
      held.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (Date.now() > deadline) {
        throw new Error('verifications never drained');
      }
    }
    const statuses = (await Promise.all(answers)).map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 400)).toHaveLength(5);
    const busy = (await Promise.all(answers)).filter((a) => a.statusCode === 503);
    expect(busy).toHaveLength(15);
    for (const answer of busy) {
      expect(answer.headers['retry-after']).toBe('1');
      expect(answer.body).toContain('Too many people are signing in');
    }
    expect(started).toBe(5);
  });

  it('the backoff doubles with each further failure', async () => {
    await t.close();
    t = await bootstrap({ 'login.freeAttempts': 1 });
    await createUser(t);
    c = await createCodeClient(t);
    const { browser, fields } = await loginPage();
    const first = await browser.post('/login', { ...fields, username: 'alice', password: 'wrong' });
    expect(first.statusCode).toBe(400);
    const second = await browser.post('/login', { ...fields, username: 'alice', password: 'wrong' });
    expect(second.statusCode).toBe(429);
    expect(Number(second.headers['retry-after'])).toBe(1);
  });
});

describe('page security headers and cookies', () => {
  it("RFC 9700 §4.16 (clickjacking) — frame-ancestors 'none', X-Frame-Options DENY, no inline script", async () => {
    const { page } = await loginPage();
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    // Passkey sign-in loads same-origin script files; nothing inline, nothing from elsewhere.
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|script-src 'self' /);
    expect(csp).toContain("form-action 'self' https://app.example.com");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    const scripts = [...page.body.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, inline] of scripts) {
      expect(attributes).toMatch(/^ src="\/assets\/[a-z-]+\.js" defer$/);
      expect(inline).toBe('');
    }
  });

  it('pages are accessible and fit a phone: lang, viewport, labelled inputs, autocomplete', async () => {
    const { page } = await loginPage();
    expect(page.body).toContain('<html lang="en">');
    expect(page.body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page.body).toContain('<label for="username">');
    expect(page.body).toContain('<label for="password">');
    expect(page.body).toContain('autocomplete="current-password"');
    expect(page.body).toMatch(/id="username"[^>]*autofocus/);
  });

  it('--dev on http — tessera_session: HttpOnly, SameSite=Lax, Path=/, no Secure (browsers drop Secure on http)', async () => {
    const { browser, fields } = await loginPage();
    const response = await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD });
    const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    const session = cookies.find((line) => line.startsWith('tessera_session='));
    expect(session).toBeDefined();
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).toMatch(/Path=\//);
    expect(session).not.toMatch(/Secure|Domain/);
  });

  it('RFC 6265bis §4.1.3.2 — on an https issuer: __Host-tessera_session; Secure; HttpOnly; SameSite=Lax; Path=/', async () => {
    await t.close();
    t = await bootstrap({ issuer: 'https://tessera.test' });
    await createUser(t);
    c = await createCodeClient(t);
    const browser = new Browser(t);
    const start = await browser.get(authorizeUrl(c.client, PKCE));
    const csrfLine = ([] as string[])
      .concat(start.headers['set-cookie'] ?? [])
      .find((l) => l.startsWith('__Host-tessera_csrf='));
    expect(csrfLine).toMatch(/Secure/);
    const page = await browser.get(String(start.headers.location));
    const response = await browser.post('/login', {
      ...hiddenFields(page.body),
      username: 'alice',
      password: PASSWORD,
    });
    const session = ([] as string[])
      .concat(response.headers['set-cookie'] ?? [])
      .find((l) => l.startsWith('__Host-tessera_session='));
    expect(session).toMatch(/Secure/);
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).toMatch(/Path=\//);
    expect(session).not.toMatch(/Domain/);
  });

  it('a new login gets a new session secret (no session fixation)', async () => {
    const browser = new Browser(t);
    browser.cookies.set('tessera_session', 'attacker-chosen-value');
    await signIn(browser, authorizeUrl(c.client, PKCE));
    expect(browser.cookies.get('tessera_session')).not.toBe('attacker-chosen-value');
  });
});
