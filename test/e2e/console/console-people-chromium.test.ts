/**
 * The console's people, sessions and confirm pages in a real headless Chromium (issue "Admin
 * console"): an operator (password + authenticator app, the code from Debian's `oathtool`) adds a
 * person with a generated password shown once; that person signs in to an app and allows it; the
 * operator sees their consent, API key and session, ends the session on a confirm page, lists every
 * session, posts the same create form twice and gets one person, and acts from a stale confirm page
 * on a client deleted meanwhile. axe-core finds no serious or critical violation on each new page at
 * 1280 px and 390 px, and nothing scrolls sideways. Screenshots: screenshotPath (docs/img/ with
 * TESSERA_SCREENSHOTS=docs). The setup is test/e2e/support/console.ts.
 */
import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { consoleBrowserAvailable, enrolTotp, openConsole, seriousViolations } from '../support/console.js';
import { screenshotPath } from '../support/screenshots.js';
import { useE2eSite } from '../support/site.js';
import { ADMIN_TOKEN, PASSWORD } from '../support/tessera.js';

const available = consoleBrowserAvailable();

describe('the console people, sessions and confirm pages in Chromium', () => {
  // Where Chromium or oathtool is missing, requireService has said so (and fails under CI).
  if (available) {
    defineTests();
  }
});

function defineTests(): void {
  // biome-ignore lint/correctness/useHookAtTopLevel: a vitest beforeAll/afterAll pair, not a React hook; defined only where Chromium runs (no skipped tests)
  const site = useE2eSite();

  /** axe-core and the 390 px fit at both widths; a screenshot of each width named in `shots`. */
  async function checkPage(page: Page, name: string, shots: readonly number[] = [1280, 390]): Promise<void> {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await seriousViolations(page), `${name} ${width}px`).toEqual([]);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${name} ${width}px fits`).toBeLessThanOrEqual(0);
      if (shots.includes(width)) {
        await page.screenshot({ path: screenshotPath(`console-${name}-${width}.png`), fullPage: true });
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  /** The person signs in to an app by authorization code + PKCE and allows it (a session, a consent). */
  async function signInToApp(username: string, password: string, clientId: string): Promise<void> {
    const context = await site.browser.newContext();
    const page = await context.newPage();
    const url = new URL(`${site.issuer}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: `${site.appUrl}/callback`,
      scope: 'openid',
      state: 'st',
      code_challenge: createHash('sha256')
        .update('a-verifier-never-redeemed-0123456789abcdef')
        .digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    await page.goto(url.href);
    await page.waitForURL(`${site.issuer}/login?**`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/(consent|callback)\?/);
    if (page.url().includes('/consent?')) {
      await page.getByRole('button', { name: 'Allow' }).click();
    }
    await page.waitForURL(`${site.appUrl}/callback?**`);
    await context.close();
  }

  it('an operator adds a person, sees their consent, API key and session, ends the session after confirming, and lists every session', {
    timeout: 240_000,
  }, async () => {
    const dee = await site.admin<{ id: string }>('POST', '/admin/users', {
      username: 'dee',
      password: PASSWORD,
    });
    await site.admin('PUT', `/admin/users/${dee.id}/admin`, { scopes: ['admin'] });
    const app = await site.admin<{ client_id: string }>('POST', '/admin/clients', {
      name: 'Photo app',
      grant_types: ['authorization_code'],
      redirect_uris: [`${site.appUrl}/callback`],
      token_endpoint_auth_method: 'none',
    });
    const totp = await enrolTotp(site.issuer, site.browser, 'dee');
    const context = await site.browser.newContext({
      bypassCSP: true,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    await openConsole(page, { issuer: site.issuer, username: 'dee', totp });

    // Add a person; the generated password is shown once.
    await page.click('nav >> text=People');
    await page.waitForURL(`${site.issuer}/console/users`);
    await checkPage(page, 'users', []);
    await page.fill('#new-username', 'erin');
    await page.fill('#new-name', 'Erin Example');
    await page.click('text=Add person');
    await page.waitForSelector('#user-password');
    const erinId = (await page.textContent('#user-id')) ?? '';
    const password = (await page.textContent('#user-password')) ?? '';
    expect(password).toMatch(/^[\w-]{20}$/);
    await checkPage(page, 'user-created', []);

    // Erin signs in to the app with it and allows it; an API key is made for her.
    await signInToApp('erin', password, app.client_id);
    await site.admin('POST', '/admin/api-keys', { name: 'Erin laptop', owner: erinId });

    await page.click('text=Go to erin');
    await page.waitForURL(`${site.issuer}/console/users/${erinId}`);
    expect(await page.textContent('#consents-h')).toBe('Consents (1)');
    expect(await page.textContent('main')).toContain(app.client_id);
    expect(await page.textContent('#keys-h')).toBe('API keys (1)');
    expect(await page.textContent('main')).toContain('Erin laptop');
    expect(await page.textContent('#sessions-h')).toBe('Sessions (1)');
    await checkPage(page, 'user-full', []);

    // End her session: a confirm page first, then back on her page with none left.
    await page.click('a[aria-label^="End the session since"]');
    await page.waitForURL(`${site.issuer}/console/sessions/**/confirm-end?**`);
    expect(await page.textContent('h1')).toBe('End this session?');
    expect(await page.textContent('#confirm-what')).toContain('The session of erin since');
    await checkPage(page, 'confirm', [390]);
    await page.click('#confirm');
    await page.waitForURL(`${site.issuer}/console/users/${erinId}`);
    expect(await page.textContent('#sessions-h')).toBe('Sessions (0)');
    const left = await site.admin<{ items: unknown[] }>('GET', `/admin/sessions?user_id=${erinId}`);
    expect(left.items).toHaveLength(0);

    // Every active session, with its person; filtered by username.
    await signInToApp('erin', password, app.client_id);
    await page.click('nav >> text=Sessions');
    await page.waitForURL(`${site.issuer}/console/sessions`);
    expect(await page.locator('main tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('main')).toContain('erin');
    expect(await page.textContent('main')).toContain('dee');
    await checkPage(page, 'sessions');
    await page.fill('#user', 'erin');
    await page.click('text=Show');
    await page.waitForURL(`${site.issuer}/console/sessions?**`);
    expect(await page.locator('main tbody tr').count()).toBe(1);
    expect(await page.inputValue('#user')).toBe('erin');
    await context.close();
  });

  it('the same create form posted twice makes one person; a stale confirm page for a deleted client says it no longer exists', {
    timeout: 180_000,
  }, async () => {
    const fay = await site.admin<{ id: string }>('POST', '/admin/users', {
      username: 'fay',
      password: PASSWORD,
    });
    await site.admin('PUT', `/admin/users/${fay.id}/admin`, { scopes: ['admin'] });
    const totp = await enrolTotp(site.issuer, site.browser, 'fay');
    const context = await site.browser.newContext({
      bypassCSP: true,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    await openConsole(page, { issuer: site.issuer, username: 'fay', totp });

    await page.goto(`${site.issuer}/console/users`);
    await page.fill('#new-username', 'gus');
    await page.fill('#new-password', 'gus has a long passphrase');
    // The first post of the form, as a double click's first request would make it ...
    const first = await page.evaluate(async () => {
      const form = document.querySelector('form[action="/console/users"]') as HTMLFormElement;
      const body = new URLSearchParams(new FormData(form) as unknown as Record<string, string>);
      const response = await fetch(form.action, { method: 'POST', body });
      return { status: response.status, text: await response.text() };
    });
    expect(first.status).toBe(200);
    expect(first.text).toContain('Person added');
    // ... and the second, by the button, on the same form (same one-time token).
    await page.click('text=Add person');
    await page.waitForSelector('text=Already created');
    expect(await page.textContent('main')).toContain('shown once');
    expect(await page.textContent('main')).not.toContain('gus has a long passphrase');
    await checkPage(page, 'already-created', []);
    const found = await site.admin<{ items: unknown[] }>('GET', '/admin/users?username=gus');
    expect(found.items).toHaveLength(1);
    await page.click('#created-link');
    expect(await page.textContent('h1')).toBe('gus');

    // A confirm page left open while the client is deleted elsewhere.
    const doomed = await site.admin<{ client_id: string }>('POST', '/admin/clients', { name: 'Doomed' });
    await page.goto(`${site.issuer}/console/clients/${doomed.client_id}`);
    await page.click('text=Delete client');
    await page.waitForURL(`${site.issuer}/console/clients/${doomed.client_id}/confirm-delete`);
    expect(await page.textContent('#confirm-what')).toContain('The client Doomed');
    const deleted = await fetch(`${site.issuer}/admin/clients/${doomed.client_id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(deleted.status).toBe(204);
    await page.click('#confirm');
    await page.waitForSelector('text=no longer exists');
    expect(await page.textContent('h1')).toBe('Not found');
    await checkPage(page, 'stale', []);
    await context.close();
  });
}
