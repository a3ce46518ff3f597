/**
 * End to end (issue 19, "Done when"): the login page rendered by headless Chromium with an
 * operator's template folder (docs/customize-example: theme.css, logo.svg, texts) and in German
 * (Accept-Language), each saved as a screenshot (docs/img/ with TESSERA_SCREENSHOTS=docs) for
 * docs/customize.md. The browser applies the page's CSP, so the theme and logo showing at all
 * proves they pass it; a CSP violation would be reported on the console and fail the test.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable } from '../support/chromium.js';
import { screenshotPath } from '../support/screenshots.js';
import { useE2eSite } from '../support/site.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', '..', 'docs', 'customize-example');

describe.skipIf(!chromiumAvailable())('pages made your own, in Chromium', () => {
  const site = useE2eSite({
    overrides: {
      'pages.templateDir': EXAMPLE,
      'pages.brandName': 'The Cookie Jar',
      'pages.privacyUrl': 'https://cookies.example/privacy',
      'pages.termsUrl': 'https://cookies.example/terms',
      'pages.helpUrl': 'https://cookies.example/help',
    },
  });

  async function openLogin(locale: string): Promise<{ page: Page; violations: string[] }> {
    const client = await site.admin<{ client_id: string }>('POST', '/admin/clients', {
      name: 'Cookie Jar',
      grant_types: ['authorization_code'],
      redirect_uris: [`${site.appUrl}/callback`],
      token_endpoint_auth_method: 'none',
    });
    const context = await site.browser.newContext({ locale, viewport: { width: 520, height: 760 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) {
        violations.push(message.text());
      }
    });
    const url = new URL(`${site.issuer}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: `${site.appUrl}/callback`,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    await page.goto(url.href);
    await page.waitForURL(`${site.issuer}/login?**`);
    return { page, violations };
  }

  it("the operator's theme, logo, texts and links, in English", { timeout: 120_000 }, async () => {
    const { page, violations } = await openLogin('en-GB');
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Welcome back');
    // The theme applied: the button takes the operator's accent colour (#8a3b12).
    const background = await page
      .getByRole('button', { name: 'Sign in', exact: true })
      .evaluate((button) => getComputedStyle(button).backgroundColor);
    expect(background).toBe('rgb(138, 59, 18)');
    // The logo loaded (same-origin, allowed by img-src 'self').
    const logoWidth = await page
      .getByRole('img', { name: 'The Cookie Jar' })
      .evaluate((img) => (img as HTMLImageElement).naturalWidth);
    expect(logoWidth).toBeGreaterThan(0);
    await expect(page.getByRole('link', { name: 'Privacy' }).getAttribute('href')).resolves.toBe(
      'https://cookies.example/privacy',
    );
    expect(violations).toEqual([]);
    await page.screenshot({ path: screenshotPath('customize-login.png'), fullPage: true });
    await page.context().close();
  });

  it('the same login page in German (Accept-Language from the browser locale)', {
    timeout: 120_000,
  }, async () => {
    const { page, violations } = await openLogin('de-DE');
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('de');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Willkommen zurück');
    await expect(page.getByLabel('Benutzername').isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Passwort').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Anmelden', exact: true }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('link', { name: 'Datenschutz' }).isVisible()).resolves.toBe(true);
    expect(violations).toEqual([]);
    await page.screenshot({ path: screenshotPath('customize-login-de.png'), fullPage: true });
    await page.context().close();
  });

  it('prefers-color-scheme: dark — the dark scheme of the theme', { timeout: 120_000 }, async () => {
    const { page } = await openLogin('en');
    await page.emulateMedia({ colorScheme: 'dark' });
    const background = await page
      .getByRole('button', { name: 'Sign in', exact: true })
      .evaluate((button) => getComputedStyle(button).backgroundColor);
    expect(background).toBe('rgb(240, 167, 102)');
    await page.screenshot({ path: screenshotPath('customize-login-dark.png'), fullPage: true });
    await page.context().close();
  });
});
