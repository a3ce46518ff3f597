/**
 * The account pages speak the browser's language: Accept-Language (RFC 9110 §12.5.4) picks the
 * texts (there is no authorization request, so no ui_locales), `<html lang>` and Content-Language
 * say which, and the passkey and wallet scripts get their status lines in it (`data-*`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountSignIn } from '../support/account.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { Browser, createUser, hiddenFields } from '../support/login.js';
import { beginTotp, confirmTotp } from '../support/totp.js';

let t: TestServer;

beforeEach(async () => {
  t = await bootstrap({ 'siwe.enabled': true });
  await createUser(t);
});
afterEach(async () => {
  await t.close();
});

async function germanBrowser(): Promise<Browser> {
  const browser = new Browser(t);
  browser.headers['accept-language'] = 'de-AT, en;q=0.5';
  const signIn = await browser.get('/account/login');
  expect(signIn.body).toContain('<html lang="de">');
  expect(signIn.body).toContain('um Ihr Konto zu verwalten');
  expect(signIn.body).toContain('data-failed="Die Anmeldung mit dem Passkey wurde nicht abgeschlossen.');
  expect(signIn.body).toContain('data-no-wallet="In diesem Browser wurde keine Ethereum-Wallet gefunden."');
  return accountSignIn(t, browser);
}

describe('the account pages in German (Accept-Language: de)', () => {
  it('the account page: headings, tables, buttons, the scripts’ status lines, no English left', async () => {
    const browser = await germanBrowser();
    const page = await browser.get('/account');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-language']).toBe('de');
    expect(page.body).toContain('<html lang="de">');
    expect(page.body).toContain('<title>Ihr Konto</title>');
    expect(page.body).toContain('Angemeldet als <strong>alice</strong>.');
    expect(page.body).toContain('<h2>Wo Sie angemeldet sind</h2>');
    expect(page.body).toContain('<strong>(dieser Browser)</strong>');
    expect(page.body).toContain('<td>gerade eben</td>');
    expect(page.body).toContain('<h2>Persönliche API-Schlüssel</h2>');
    expect(page.body).toContain(
      '<button type="button" class="secondary" id="siwe-button">Ethereum-Wallet verknüpfen</button>',
    );
    expect(page.body).toContain('data-failed="Die Wallet wurde nicht verknüpft. Versuchen Sie es erneut."');
    expect(page.body).toContain('data-duplicate="Dieser Passkey ist bereits registriert."');
    expect(page.body).toContain('Mein Konto löschen');
    for (const english of ['Your account', 'Signed in as', 'Connected applications', 'Delete my account']) {
      expect(page.body).not.toContain(english);
    }

    const csrf = hiddenFields(page.body).csrf_token ?? '';
    const saved = await browser.post('/account/profile', { csrf_token: csrf, name: 'Alice', email: '' });
    expect(saved.statusCode).toBe(303);
    expect((await browser.get(String(saved.headers.location))).body).toContain(
      'Ihr Profil wurde gespeichert.',
    );
    const refused = await browser.post('/account/api-keys', {
      csrf_token: csrf,
      name: 'k',
      expires_in_days: 'x',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('Die Laufzeit muss eine ganze Zahl von Tagen sein, oder leer.');
  });

  it('the authenticator-app status and set-up pages, and the wrong-code answer', async () => {
    const browser = await germanBrowser();
    const status = await browser.get('/account/security/totp');
    expect(status.body).toContain('<html lang="de">');
    expect(status.body).toContain('<button type="submit">Authenticator-App einrichten</button>');
    const { html } = await beginTotp(browser);
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('<h1>Authenticator-App einrichten</h1>');
    expect(html).toContain('<p>Scannen Sie diesen Code mit Ihrer Authenticator-App:</p>');
    expect(html).toContain('aria-label="QR-Code des Einrichtungsschlüssels"');
    expect(html).toContain('Geben Sie den sechsstelligen Code ein, den die App anzeigt');
    expect(html).not.toContain('Scan this code');
    const wrong = await confirmTotp(browser, 'abcdef');
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('Dieser Code stimmt nicht.');
  });
});
