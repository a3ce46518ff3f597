/**
 * The admin console in a real headless Chromium (issue 17): an operator sets up an authenticator app,
 * signs in to /console through Tessera's own login (password + TOTP, the code computed by Debian's
 * `oathtool`), sees the overview; axe-core finds no serious or critical violation at 1280 px or
 * 390 px; localStorage, sessionStorage and document.cookie hold no token. A person
 * without an admin role is refused. Through the clients and API keys pages an operator creates,
 * rotates, disables and deletes a client and creates, rotates and revokes an API key, each checked at /token
 * and /api-keys/verify; a read-only operator sees no buttons and a forged post is refused. Screenshots: screenshotPath (docs/img/ with TESSERA_SCREENSHOTS=docs).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { consoleBrowserAvailable, enrolTotp, openConsole, seriousViolations } from '../support/console.js';
import { screenshotPath } from '../support/screenshots.js';
import { useE2eSite } from '../support/site.js';
import { PASSWORD } from '../support/tessera.js';

const available = consoleBrowserAvailable();

describe.skipIf(!available)('the admin console in Chromium', () => {
  const site = useE2eSite();

  it('an operator with a second factor signs in and sees the overview: accessible, no token in the page', {
    timeout: 120_000,
  }, async () => {
    const ada = await site.admin<{ id: string }>('POST', '/admin/users', {
      username: 'ada',
      password: PASSWORD,
    });
    await site.admin('PUT', `/admin/users/${ada.id}/admin`, { scopes: ['admin'] });
    const totp = await enrolTotp(site.issuer, site.browser, 'ada');

    const context = await site.browser.newContext({
      bypassCSP: true,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    await openConsole(page, { issuer: site.issuer, username: 'ada', totp });
    expect(await page.textContent('h1')).toBe('Tessera console');
    expect(await page.textContent('main')).toContain('ada');
    const held = await page.evaluate(() => ({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      cookie: document.cookie,
    }));
    for (const value of Object.values(held)) {
      expect(value).not.toMatch(/eyJ|tsr_(at|rt)_/);
    }
    // The session cookie is HttpOnly: page script cannot read it at all.
    expect(held.cookie).not.toContain('tessera-console');
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await seriousViolations(page), `${width}px`).toEqual([]);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${width}px fits`).toBeLessThanOrEqual(0);
      await page.screenshot({
        path: screenshotPath(`console-overview-${width}.png`),
        fullPage: true,
      });
    }
    await context.close();
  });

  /** axe-core and the 390 px fit on the page at both widths, with a screenshot of each. */
  async function checkPage(page: Page, name: string): Promise<void> {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await seriousViolations(page), `${name} ${width}px`).toEqual([]);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${name} ${width}px fits`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: screenshotPath(`console-${name}-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  async function noTokenHeld(page: Page): Promise<void> {
    const held = await page.evaluate(() => ({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      cookie: document.cookie,
    }));
    for (const value of Object.values(held)) {
      expect(value).not.toMatch(/eyJ|tsr_(at|rt|cs|key)_/);
    }
  }

  /** RFC 6749 §4.4 at the public token endpoint, client_secret_basic (§2.3.1). */
  async function clientCredentials(id: string, secret: string): Promise<number> {
    const response = await fetch(`${site.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    await response.arrayBuffer();
    return response.status;
  }

  it('an operator creates, rotates, disables and deletes a client and creates, rotates and revokes an API key through the console; the public endpoints agree; the people and signing keys pages', {
    timeout: 180_000,
  }, async () => {
    const cy = await site.admin<{ id: string }>('POST', '/admin/users', {
      username: 'cy',
      password: PASSWORD,
    });
    await site.admin('PUT', `/admin/users/${cy.id}/admin`, { scopes: ['admin'] });
    const verifier = await site.admin<{ client_id: string; client_secret: string }>(
      'POST',
      '/admin/clients',
      {
        name: 'Key verifier',
        permissions: ['api_keys:verify'],
      },
    );
    const totp = await enrolTotp(site.issuer, site.browser, 'cy');
    const context = await site.browser.newContext({
      bypassCSP: true,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    await openConsole(page, { issuer: site.issuer, username: 'cy', totp });

    await page.click('nav >> text=Clients');
    await page.waitForURL(`${site.issuer}/console/clients`);
    await page.fill('#new-name', 'Billing');
    await page.fill('#new-scope', 'read');
    await page.click('text=Create client');
    await page.waitForSelector('#client-secret');
    const id = (await page.textContent('#client-id')) ?? '';
    const first = (await page.textContent('#client-secret')) ?? '';
    expect(await clientCredentials(id, first)).toBe(200);
    await noTokenHeld(page);

    await page.click('text=Back to Billing');
    await page.fill('#grace', '0');
    await page.click('text=Rotate secret');
    await page.waitForSelector('#client-secret');
    const second = (await page.textContent('#client-secret')) ?? '';
    expect(second).not.toBe(first);
    expect(await clientCredentials(id, first)).toBe(401);
    expect(await clientCredentials(id, second)).toBe(200);

    await page.click('text=Back to Billing');
    await checkPage(page, 'client');
    await page.click('text=Disable client');
    await page.waitForSelector('text=Enable client');
    expect(await clientCredentials(id, second)).toBe(401);
    await page.click('text=Enable client');
    await page.waitForSelector('text=Disable client');
    expect(await clientCredentials(id, second)).toBe(200);
    await page.click('text=Delete client');
    await page.click('#confirm');
    await page.waitForURL(`${site.issuer}/console/clients`);
    expect(await page.textContent('main')).not.toContain(id);
    expect(await clientCredentials(id, second)).toBe(401);
    await checkPage(page, 'clients');

    await page.click('nav >> text=API keys');
    await page.waitForURL(`${site.issuer}/console/api-keys`);
    await page.fill('#key-name', 'Nightly export');
    await page.fill('#key-owner', verifier.client_id);
    await page.click('text=Create API key');
    await page.waitForSelector('#api-key');
    const key = (await page.textContent('#api-key')) ?? '';
    await noTokenHeld(page);
    const verify = async (presented = key): Promise<boolean> => {
      const response = await fetch(`${site.issuer}/api-keys/verify`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${verifier.client_id}:${verifier.client_secret}`).toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ key: presented }),
      });
      return ((await response.json()) as { valid: boolean }).valid;
    };
    expect(await verify()).toBe(true);
    await page.click('text=Back to API keys');
    await checkPage(page, 'api-keys');
    // The key's page: rotate with grace 0, so the old key stops at once and the new one works.
    await page.click('main a:text-is("Nightly export")');
    await page.waitForSelector('#grace');
    await checkPage(page, 'api-key');
    await page.fill('#grace', '0');
    await page.click('text=Rotate key');
    await page.waitForSelector('#api-key');
    const rotated = (await page.textContent('#api-key')) ?? '';
    expect(rotated).not.toBe(key);
    await noTokenHeld(page);
    expect(await verify(key)).toBe(false);
    expect(await verify(rotated)).toBe(true);
    await page.click('text=Back to Nightly export');
    await page.click('a[aria-label="Revoke Nightly export"]');
    await page.click('#confirm');
    await page.waitForURL(`${site.issuer}/console/api-keys`);
    expect(await verify(rotated)).toBe(false);

    await page.click('nav >> text=People');
    await page.waitForURL(`${site.issuer}/console/users`);
    await checkPage(page, 'users');
    await page.click(`a[href="/console/users/${cy.id}"]`);
    expect(await page.textContent('#mfa-state')).toContain('authenticator app: yes');
    await checkPage(page, 'user');
    await page.click('nav >> text=Signing keys');
    await page.waitForURL(`${site.issuer}/console/signing-keys`);
    await checkPage(page, 'signing-keys');
    await page.click('nav >> text=Risk decisions');
    await page.waitForURL(`${site.issuer}/console/risk`);
    await page.selectOption('#decision', 'deny');
    await page.fill('#since', '2026-01-01');
    await page.click('text=Show');
    await page.waitForURL(`${site.issuer}/console/risk?**`);
    expect(await page.inputValue('#since')).toBe('2026-01-01');
    await checkPage(page, 'risk');
    await context.close();
  });

  it('a read-only operator sees the clients and API keys pages without buttons; a forged post is refused (403)', {
    timeout: 120_000,
  }, async () => {
    const lin = await site.admin<{ id: string }>('POST', '/admin/users', {
      username: 'lin',
      password: PASSWORD,
    });
    await site.admin('PUT', `/admin/users/${lin.id}/admin`, {
      scopes: ['clients:read', 'api_keys:read', 'users:read'],
    });
    const target = await site.admin<{ client_id: string }>('POST', '/admin/clients', { name: 'Keep me' });
    const totp = await enrolTotp(site.issuer, site.browser, 'lin');
    const context = await site.browser.newContext({
      bypassCSP: true,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    await openConsole(page, { issuer: site.issuer, username: 'lin', totp });
    await page.goto(`${site.issuer}/console/clients/${target.client_id}`);
    expect(await page.textContent('h1')).toBe('Keep me');
    expect(await page.locator('main form[method=post]:not([action="/console/auth/logout"])').count()).toBe(0);
    await page.goto(`${site.issuer}/console/api-keys`);
    expect(await page.locator('main button', { hasText: /Revoke|Create/ }).count()).toBe(0);
    const status = await page.evaluate(async (path) => {
      const response = await fetch(path, { method: 'POST' });
      return response.status;
    }, `/console/clients/${target.client_id}/delete`);
    expect(status).toBe(403);
    await site.admin('GET', `/admin/clients/${target.client_id}`);
    await context.close();
  });

  it('a person without an admin role is refused with a clear page', { timeout: 60_000 }, async () => {
    await site.admin('POST', '/admin/users', { username: 'bob', password: PASSWORD });
    const context = await site.browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await openConsole(page, { issuer: site.issuer, username: 'bob' });
    expect(await page.textContent('h1')).toBe('No access to the console');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath('console-refused-390.png'), fullPage: true });
    await context.close();
  });
});
