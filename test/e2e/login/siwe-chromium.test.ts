/**
 * End to end (issue 16 item 4): Sign-In with Ethereum (EIP-4361) in headless Chromium. The page
 * gets an injected EIP-1193 provider (`window.ethereum`) whose `personal_sign` calls back into Node,
 * where a viem local account signs; the login page's own script asks the wallet, builds the
 * message and posts it, and openid-client redeems the code: the ID token's `sub` is the did:pkh.
 */
import * as oidc from 'openid-client';
import { type Hex, hexToString } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable } from '../support/chromium.js';
import { codeRequest } from '../support/openid.js';
import { useE2eSite } from '../support/site.js';

describe.skipIf(!chromiumAvailable())('Sign-In with Ethereum in Chromium', () => {
  const site = useE2eSite({ overrides: { 'siwe.enabled': true } });

  it('EIP-4361 with an EIP-1193 wallet: the login page signs in as did:pkh:eip155:1:<address>', {
    timeout: 120_000,
  }, async () => {
    const { issuer, appUrl, browser, admin } = site;
    const account = privateKeyToAccount(generatePrivateKey());
    const client = await admin<{ client_id: string; client_secret: string }>('POST', '/admin/clients', {
      name: 'Wallet app',
      grant_types: ['authorization_code'],
      redirect_uris: [`${appUrl}/callback`],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    const config = await oidc.discovery(
      new URL(issuer),
      client.client_id,
      undefined,
      oidc.ClientSecretBasic(client.client_secret),
      { execute: [oidc.allowInsecureRequests] },
    );
    const request = await codeRequest(config, { redirectUri: `${appUrl}/callback`, scope: 'openid' });

    const context = await browser.newContext();
    const signed: string[] = [];
    // EIP-191 personal_sign: the page sends the message hex-encoded; the key never enters the page.
    await context.exposeFunction('walletSign', async (hex: string) => {
      const message = hexToString(hex as Hex);
      signed.push(message);
      return account.signMessage({ message });
    });
    await context.addInitScript((address: string) => {
      const w = window as unknown as {
        ethereum: unknown;
        walletSign(hex: string): Promise<string>;
      };
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
    }, account.address);

    const page = await context.newPage();
    await page.goto(request.url.href);
    await page.getByRole('button', { name: 'Sign in with Ethereum' }).click();
    await page.waitForURL(`${issuer}/consent?**`);
    expect(signed).toHaveLength(1);
    expect(signed[0]).toContain(
      `${new URL(issuer).host} wants you to sign in with your Ethereum account:\n${account.address}`,
    );
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${appUrl}/callback?**`);

    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
      ...request.checks,
      idTokenExpected: true,
    });
    expect(tokens.claims()?.sub).toBe(`did:pkh:eip155:1:${account.address}`);
    expect(tokens.claims()?.amr).toEqual(['swk']);
    await context.close();
  });
});
