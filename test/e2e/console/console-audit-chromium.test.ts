/**
 * The console's audit log page in a real headless Chromium (issue "Admin console", audit log): an
 * operator signs in (password + authenticator app, the code computed by Debian's `oathtool`), opens
 * the audit log from the nav, filters by event with the keyboard alone (the form keeps what was
 * typed), downloads the CSV export (only the filtered events, RFC 4180 header), and axe-core finds no
 * serious or critical violation at 1280 px or 390 px, where the page does not scroll sideways.
 * Screenshots: console-audit-1280.png and -390.png (into docs/img/ with TESSERA_SCREENSHOTS=docs).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { consoleBrowserAvailable, enrolTotp, openConsole, seriousViolations } from '../support/console.js';
import { screenshotPath } from '../support/screenshots.js';
import { useE2eSite } from '../support/site.js';
import { PASSWORD } from '../support/tessera.js';

const available = consoleBrowserAvailable();

if (available) {
  describe('the console audit log page in Chromium', () => {
    const site = useE2eSite();

    it('an operator filters the audit log by event with the keyboard, exports CSV; accessible and fits 390 px', {
      timeout: 120_000,
    }, async () => {
      const ada = await site.admin<{ id: string }>('POST', '/admin/users', {
        username: 'ada',
        password: PASSWORD,
      });
      await site.admin('PUT', `/admin/users/${ada.id}/admin`, { scopes: ['admin'] });
      const billing = await site.admin<{ client_id: string }>('POST', '/admin/clients', {
        name: 'Billing <b>v2</b>',
      });
      await site.admin('POST', '/admin/clients', { name: 'Shipping' });
      const totp = await enrolTotp(site.issuer, site.browser, 'ada');
      const context = await site.browser.newContext({
        bypassCSP: true,
        acceptDownloads: true,
        viewport: { width: 1280, height: 900 },
      });
      const page = await context.newPage();
      await openConsole(page, { issuer: site.issuer, username: 'ada', totp });

      await page.click('nav >> text=Audit log');
      await page.waitForURL(`${site.issuer}/console/audit`);
      expect(await page.textContent('h1')).toBe('Audit log');
      // Audit events are written in batches (about a second): wait for the clients' events.
      for (let i = 0; i < 20 && !((await page.textContent('main')) ?? '').includes('client.created'); i++) {
        await page.waitForTimeout(250);
        await page.reload();
      }

      // Keyboard only: Tab to the event field, type, Enter submits the GET form.
      for (let i = 0; i < 30 && (await page.evaluate(() => document.activeElement?.id)) !== 'type'; i++) {
        await page.keyboard.press('Tab');
      }
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('type');
      await page.keyboard.type('client.created');
      await page.keyboard.press('Enter');
      // A GET form sends its empty fields too (`&actor=&…`).
      await page.waitForURL(
        (url) => url.pathname === '/console/audit' && url.searchParams.get('type') === 'client.created',
      );
      expect(await page.inputValue('#type')).toBe('client.created');
      const events = await page.locator('tbody tr td:first-child').allTextContents();
      expect(events.length).toBe(2);
      expect(events.every((cell) => cell.startsWith('client.created'))).toBe(true);
      const main = (await page.textContent('main')) ?? '';
      expect(main).toContain(billing.client_id);
      expect(main).toContain('name: Billing <b>v2</b>');

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=CSV')]);
      expect(download.suggestedFilename()).toBe('tessera-audit.csv');
      const csv = readFileSync((await download.path()) ?? '', 'utf8');
      const lines = csv.split('\r\n');
      expect(lines[0]).toBe('id,time,at,type,actor,subject,request_id,data');
      expect(lines.filter((line) => line !== '').length).toBe(3);
      expect(lines.slice(1, 3).every((line) => line.split(',')[3] === 'client.created')).toBe(true);
      expect(csv).toContain(billing.client_id);

      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        expect(await seriousViolations(page), `${width}px`).toEqual([]);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${width}px fits`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: screenshotPath(`console-audit-${width}.png`), fullPage: true });
      }
      await context.close();
    });
  });
}
