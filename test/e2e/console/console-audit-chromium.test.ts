/**
 * The console's audit log page in a real headless Chromium (issue "Admin console", audit log): an
 * operator signs in (password + authenticator app, the code computed by Debian's `oathtool`), opens
 * the audit log from the nav, filters by event with the keyboard alone (the form keeps what was
 * typed), downloads the CSV export (only the filtered events, RFC 4180 header), and axe-core finds no
 * serious or critical violation at 1280 px or 390 px, where the page does not scroll sideways.
 * Screenshots: console-audit-1280.png and -390.png (into docs/img/ with TESSERA_SCREENSHOTS=docs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { requireService } from '../../../packages/server/test/support/requirements.js';
import { OATHTOOL } from '../../../packages/server/test/support/totp.js';
import { chromiumAvailable } from '../support/chromium.js';
import { screenshotPath } from '../support/screenshots.js';
import { useE2eSite } from '../support/site.js';
import { PASSWORD } from '../support/tessera.js';

const available = chromiumAvailable() && requireService('oathtool', existsSync(OATHTOOL));
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

function oathtool(secret: string, epoch: number): string {
  return execFileSync(OATHTOOL, ['--totp', '-b', secret, '-N', `@${epoch}`], { encoding: 'utf8' }).trim();
}

interface AxeViolation {
  id: string;
  impact: string | null;
}

/** axe-core's serious and critical violations on the page (its script added past the page's CSP). */
async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

if (available) {
  describe('the console audit log page in Chromium', () => {
    const site = useE2eSite();

    /** Signs in on /account and turns on an authenticator app; returns its secret and the step used. */
    async function enrolTotp(
      browser: Browser,
      username: string,
    ): Promise<{ secret: string; usedAt: number }> {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${site.issuer}/account/login`);
      await page.fill('#username', username);
      await page.fill('#password', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(`${site.issuer}/account`);
      await page.goto(`${site.issuer}/account/security/totp`);
      await page.click('text=Set up an authenticator app');
      const secret = (await page.textContent('#totp-secret')) ?? '';
      const usedAt = Math.floor(Date.now() / 1000);
      await page.fill('#code', oathtool(secret, usedAt));
      await page.click('text=Turn on');
      await page.waitForSelector('#recovery-codes');
      await context.close();
      return { secret, usedAt };
    }

    /** Opens /console and signs in through the login page and the second factor. */
    async function openConsole(page: Page, username: string, totp: { secret: string; usedAt: number }) {
      await page.goto(`${site.issuer}/console`);
      await page.waitForSelector('#username');
      await page.fill('#username', username);
      await page.fill('#password', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForSelector('#code');
      // A later step than the enrolment's (RFC 6238 §5.2: a step is accepted once; one step of drift).
      await page.fill(
        '#code',
        oathtool(totp.secret, Math.max(totp.usedAt + 30, Math.floor(Date.now() / 1000))),
      );
      await page.click('text=Verify');
      await page.waitForURL(`${site.issuer}/console/**`);
    }

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
      const totp = await enrolTotp(site.browser, 'ada');
      const context = await site.browser.newContext({
        bypassCSP: true,
        acceptDownloads: true,
        viewport: { width: 1280, height: 900 },
      });
      const page = await context.newPage();
      await openConsole(page, 'ada', totp);

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
