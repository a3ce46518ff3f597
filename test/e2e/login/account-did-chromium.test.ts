/**
 * End to end (issue "Decentralized identity" item 5): in headless Chromium, a person signed in to
 * the account page reads the DID challenge it shows (aud and nonce), signs it outside the browser
 * with the key of a fresh did:key (jose, as the docs/decentralized.md §6 snippet does), pastes the
 * DID and the JWS into the form, and sees the DID linked; the same proof pasted again is refused.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { base58btc } from 'multiformats/bases/base58';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable } from '../support/chromium.js';
import { useE2eSite } from '../support/site.js';
import { ALICE } from '../support/tessera.js';

const available = chromiumAvailable();

// Conditional, never skipped: without Chromium (outside CI, which requires it) the file defines nothing.
if (available) {
  describe('Linking a did:key on the account page in Chromium', () => {
    const site = useE2eSite({ overrides: { 'account.didMethods': 'key,jwk' } });

    it('challenge on /account, JWS made outside the browser, DID linked; the replayed proof is refused', {
      timeout: 120_000,
    }, async () => {
      const { issuer, browser, admin } = site;
      await admin('POST', '/admin/users', ALICE);
      const { publicKey, privateKey } = await generateKeyPair('EdDSA');
      const x = Buffer.from((await exportJWK(publicKey)).x ?? '', 'base64url');
      const id = base58btc.encode(Uint8Array.from([0xed, 0x01, ...x]));
      const did = `did:key:${id}`;

      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${issuer}/account/login`);
      await page.getByLabel('Username').fill(ALICE.username);
      await page.getByLabel('Password').fill(ALICE.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(`${issuer}/account`);

      const aud = await page.locator('#did-aud').textContent();
      const nonce = await page.locator('#did-nonce').textContent();
      expect(aud).toBe(issuer);
      const jws = await new SignJWT({ aud: aud ?? '', nonce })
        .setProtectedHeader({ alg: 'EdDSA', kid: `${did}#${id}` })
        .setIssuedAt()
        .sign(privateKey);

      await page.getByLabel('Your DID').fill(did);
      await page.getByLabel('Signed challenge (compact JWS)').fill(jws);
      await page.getByRole('button', { name: 'Link the DID' }).click();
      await page.waitForURL(`${issuer}/account?done=did_linked#identifiers`);
      await expect(page.locator('#identifiers').textContent()).resolves.toContain(did);
      await expect(page.getByRole('status').first().textContent()).resolves.toContain('The DID was linked');

      await page.getByLabel('Your DID').fill(did);
      await page.getByLabel('Signed challenge (compact JWS)').fill(jws);
      await page.getByRole('button', { name: 'Link the DID' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toContain('used already');
      await context.close();
    });
  });
}
