/**
 * The console overview's usage charts in a real headless Chromium (issue "Admin console"): after
 * tokens are issued (and one refused), an operator signed in with password and authenticator app
 * sees uPlot draw a chart canvas under the page's own strict CSP (no inline script, no CSP
 * violation); the range switch leads to the last hour; axe-core finds no serious or critical
 * violation at 1280 px and 390 px in the light scheme and at 1280 px in the dark one, where the page
 * and its chart follow `prefers-color-scheme: dark`. Screenshots: console-overview-1280.png,
 * console-overview-390.png and console-overview-dark-1280.png (docs/img/ with TESSERA_SCREENSHOTS=docs).
 * The setup (TOTP enrolment, sign-in, axe-core) is test/e2e/support/console.ts.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { consoleBrowserAvailable, enrolTotp, openConsole, seriousViolations } from '../support/console.js';
import { screenshotPath } from '../support/screenshots.js';
import { useE2eSite } from '../support/site.js';
import { PASSWORD } from '../support/tessera.js';

const available = consoleBrowserAvailable();

// Declared only where Chromium and oathtool exist (TESSERA_REQUIRE_SERVICES=1 makes their absence fail).
if (available) {
  describe('the console overview charts in Chromium', () => {
    const site = useE2eSite();

    async function token(id: string, secret: string): Promise<number> {
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

    async function checkWidths(page: Page, widths: number[], name: string): Promise<void> {
      for (const width of widths) {
        await page.setViewportSize({ width, height: 900 });
        // The chart is drawn again for the new width.
        await page.waitForFunction((w) => {
          const canvas = document.querySelector('.plot canvas') as HTMLCanvasElement | null;
          return canvas !== null && canvas.getBoundingClientRect().width <= w;
        }, width);
        expect(await seriousViolations(page), `${name} ${width}px`).toEqual([]);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${name} ${width}px fits`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: screenshotPath(`${name}-${width}.png`), fullPage: true });
      }
    }

    it('tokens issued are charted under the strict CSP; accessible in light and dark; screenshots', {
      timeout: 180_000,
    }, async () => {
      const dee = await site.admin<{ id: string }>('POST', '/admin/users', {
        username: 'dee',
        password: PASSWORD,
      });
      await site.admin('PUT', `/admin/users/${dee.id}/admin`, { scopes: ['admin'] });
      const client = await site.admin<{ client_id: string; client_secret: string }>(
        'POST',
        '/admin/clients',
        {
          name: 'Reports',
          grant_types: ['client_credentials'],
          scope: 'read',
        },
      );
      for (let i = 0; i < 5; i++) {
        expect(await token(client.client_id, client.client_secret)).toBe(200);
      }
      expect(await token(client.client_id, 'tsr_cs_wrong')).toBe(401);
      const totp = await enrolTotp(site.issuer, site.browser, 'dee');

      // The page's own CSP: the charts come from same-origin files only, with no violation.
      const strict = await site.browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await strict.newPage();
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) {
          refused.push(message.text());
        }
      });
      await openConsole(page, { issuer: site.issuer, username: 'dee', totp, path: '/console?range=hour' });
      await page.waitForSelector('#tokens-h + .plot canvas');
      const drawn = await page.evaluate(() => {
        const canvas = document.querySelector('#tokens-h + .plot canvas') as HTMLCanvasElement;
        return {
          width: canvas.width,
          height: canvas.height,
          label: canvas.closest('[role=img]')?.getAttribute('aria-label'),
        };
      });
      expect(drawn.width).toBeGreaterThan(100);
      expect(drawn.height).toBeGreaterThan(100);
      expect(drawn.label).toContain('client_credentials 5');
      expect(await page.textContent('#rejections-h')).toBe('Rejections by reason (1)');
      expect(refused).toEqual([]);
      expect(new URL(page.url()).search).toBe('?range=hour');
      await page.click('nav.range >> text=Last day');
      await page.waitForURL((url) => url.search === '?range=day');
      await page.waitForSelector('#tokens-h + .plot canvas');
      // The same session (its cookie), in a context where axe-core's script may pass the CSP.
      const session = await strict.storageState();
      await strict.close();
      const context = await site.browser.newContext({
        bypassCSP: true,
        storageState: session,
        viewport: { width: 1280, height: 900 },
      });
      const light = await context.newPage();
      await light.goto(`${site.issuer}/console?range=hour`);
      await light.waitForSelector('.plot canvas');
      await checkWidths(light, [1280, 390], 'console-overview');

      await light.setViewportSize({ width: 1280, height: 900 });
      // Past the redraw that follows a resize (150 ms after the last one), so only the scheme redraws.
      await light.waitForTimeout(600);
      await light.waitForSelector('.plot canvas');
      await light.evaluate(() => {
        document.querySelectorAll<HTMLCanvasElement>('.plot canvas').forEach((canvas) => {
          canvas.dataset.scheme = 'light';
        });
      });
      await light.emulateMedia({ colorScheme: 'dark' });
      const dark = await light.evaluate(() => ({
        page: getComputedStyle(document.body).backgroundColor,
        series: getComputedStyle(document.documentElement).getPropertyValue('--s0').trim(),
      }));
      expect(dark).toEqual({ page: 'rgb(18, 18, 22)', series: '#9db9ff' });
      // The chart is drawn again, in the dark scheme's colours: a new canvas replaces the light one.
      await light.waitForSelector('.plot canvas:not([data-scheme])', { timeout: 10_000 });
      expect(await light.locator('.plot canvas[data-scheme]').count()).toBe(0);
      await checkWidths(light, [1280], 'console-overview-dark');
      await context.close();
    });
  });
}
