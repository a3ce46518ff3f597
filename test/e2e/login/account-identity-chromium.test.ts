/**
 * End to end (issue 16 item 5): in headless Chromium, a person signed in to the account page with
 * their password links an Ethereum wallet (an injected EIP-1193 provider backed by a viem local
 * account signs the EIP-4361 message the page's script builds), signs out, signs back in with the
 * wallet alone, and deletes the account (typed confirmation): the person is gone from the admin API.
 */
import { type Hex, hexToString } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable } from '../support/chromium.js';
import { useE2eSite } from '../support/site.js';
import { ALICE } from '../support/tessera.js';

describe.skipIf(!chromiumAvailable())('Linking a wallet and deleting the account in Chromium', () => {
  const site = useE2eSite({ overrides: { 'siwe.enabled': true } });

  it('EIP-4361 link on /account, wallet sign-in at /account/login, account deletion', {
    timeout: 120_000,
  }, async () => {
    const { issuer, browser, admin } = site;
    const wallet = privateKeyToAccount(generatePrivateKey());
    const alice = await admin<{ id: string }>('POST', '/admin/users', ALICE);

    const context = await browser.newContext();
    const signed: string[] = [];
    // EIP-191 personal_sign: the page sends the message hex-encoded; the key never enters the page.
    await context.exposeFunction('walletSign', async (hex: string) => {
      const message = hexToString(hex as Hex);
      signed.push(message);
      return wallet.signMessage({ message });
    });
    await context.addInitScript((address: string) => {
      const w = window as unknown as { ethereum: unknown; walletSign(hex: string): Promise<string> };
      w.ethereum = {
        request({ method, params }: { method: string; params?: unknown[] }) {
          if (method === 'eth_requestAccounts') {
            return Promise.resolve([address.toLowerCase()]);
          }
          if (method === 'eth_chainId') {
            return Promise.resolve('0x1');
          }
          if (method === 'personal_sign' && params !== undefined) {
            return w.walletSign(String(params[0]));
          }
          return Promise.reject(new Error(`unsupported ${method}`));
        },
      };
    }, wallet.address);

    const page = await context.newPage();
    await page.goto(`${issuer}/account/login`);
    await page.getByLabel('Username').fill(ALICE.username);
    await page.getByLabel('Password').fill(ALICE.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${issuer}/account`);

    await page.getByRole('button', { name: 'Link an Ethereum wallet' }).click();
    await page.waitForURL(`${issuer}/account?done=wallet_linked#identifiers`);
    const did = `did:pkh:eip155:1:${wallet.address}`;
    await expect(page.locator('#identifiers').textContent()).resolves.toContain(did);
    expect(signed).toHaveLength(1);
    expect(signed[0]).toContain(`${new URL(issuer).host} wants you to sign in with your Ethereum account:`);

    await page.locator('form[action="/account/logout"] button').click();
    await page.waitForURL(`${issuer}/account/login`);
    await page.getByRole('button', { name: 'Sign in with Ethereum' }).click();
    await page.waitForURL(`${issuer}/account`);
    await expect(page.getByText('Signed in as').textContent()).resolves.toContain(ALICE.username);
    expect(signed).toHaveLength(2);

    await page.getByLabel('Type delete my account to confirm').fill('delete my account');
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await expect(page.locator('#account-deleted').textContent()).resolves.toContain('signed out everywhere');
    await expect(admin('GET', `/admin/users/${alice.id}`)).rejects.toThrow();
    await page.goto(`${issuer}/account`);
    expect(new URL(page.url()).pathname).toBe('/account/login');
    await context.close();
  });
});
