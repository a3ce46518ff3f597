/**
 * Sign-In with Ethereum over HTTP (EIP-4361), with a viem local account as the wallet: a signed
 * message signs the person in as `did:pkh:eip155:<chain>:<address>` (created on first sign-in),
 * and what must be refused with a clear error, no session and no person created: a replayed
 * message, a nonce used twice, another browser's nonce, a wrong domain or uri, an expired or
 * too-old message, a chain not allowed, a malformed message or signature. Off, the routes 404 and
 * the page has no button. The real-browser path is in test/e2e/siwe-browser.test.ts.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';
import { afterEach, describe, expect, it } from 'vitest';
import { bootstrap, TEST_ISSUER, type TestServer } from '../support/bootstrap.js';
import { form, type TestClient } from '../support/clients.js';
import {
  authorizeUrl,
  Browser,
  createCodeClient,
  hiddenFields,
  pkcePair,
  REDIRECT_URI,
} from '../support/login.js';
import { formFields } from '../support/soft-authenticator.js';

let t: TestServer;
let c: TestClient;
const account = privateKeyToAccount(generatePrivateKey());
const DOMAIN = new URL(TEST_ISSUER).host;

async function start(overrides: Record<string, unknown> = { 'siwe.enabled': true }) {
  t = await bootstrap(overrides);
  c = await createCodeClient(t);
}
afterEach(async () => {
  await t.close();
});

/** Opens /authorize in a fresh browser: the login page, its SIWE form and a nonce for it. */
async function loginPage(browser = new Browser(t)) {
  const pkce = pkcePair();
  let response = await browser.get(
    authorizeUrl(c.client, {
      scope: 'openid read',
      nonce: 'n-1',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    }),
  );
  response = await browser.get(String(response.headers.location));
  expect(response.statusCode).toBe(200);
  const issued = await browser.get(`/login/siwe/nonce?address=${account.address.toLowerCase()}`);
  expect(issued.statusCode).toBe(200);
  const { nonce, address } = issued.json<{ nonce: string; address: string }>();
  return {
    browser,
    pkce,
    html: response.body,
    fields: formFields(response.body, 'siwe-form'),
    nonce,
    address,
  };
}

function message(nonce: string, overrides: Partial<Parameters<typeof createSiweMessage>[0]> = {}): string {
  return createSiweMessage({
    domain: DOMAIN,
    address: account.address,
    statement: 'Sign in to Tessera.',
    uri: TEST_ISSUER,
    version: '1',
    chainId: 1,
    nonce,
    issuedAt: new Date(t.clock.nowMs()),
    ...overrides,
  });
}

async function post(browser: Browser, fields: Record<string, string>, text: string, signature?: string) {
  return browser.post('/login/siwe', {
    ...fields,
    message: text,
    signature: signature ?? (await account.signMessage({ message: text })),
  });
}

async function redeem(browser: Browser, signedIn: { headers: { location?: unknown } }, verifier: string) {
  let response = await browser.get(String(signedIn.headers.location));
  response = await browser.post('/consent', { ...hiddenFields(response.body), decision: 'allow' });
  const code = new URL(String(response.headers.location)).searchParams.get('code');
  return t.app.inject({
    method: 'POST',
    url: '/token',
    headers: { authorization: c.basic, 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
  });
}

async function expectRefused(response: {
  statusCode: number;
  body: string;
  headers: Record<string, unknown>;
}) {
  expect(response.statusCode).toBe(400);
  expect(response.body).toContain('The Ethereum sign-in could not be verified');
  expect(String(response.headers['set-cookie'] ?? '')).not.toContain('__Host-tessera_session=');
  expect((await t.store.listUsers()).items).toHaveLength(0);
}

const DID = `did:pkh:eip155:1:${account.address}`;

describe('Sign-In with Ethereum (EIP-4361)', () => {
  it('EIP-4361 §Verifying: a signed message signs in as did:pkh, creating the person once (ID token sub, amr swk)', async () => {
    await start();
    const page = await loginPage();
    expect(page.html).toContain('Sign in with Ethereum');
    expect(page.html).toContain('/assets/siwe-sign-in.js');
    expect(page.address).toBe(account.address);
    const signedIn = await post(page.browser, page.fields, message(page.nonce));
    expect(signedIn.statusCode).toBe(303);
    const token = await redeem(page.browser, signedIn, page.pkce.verifier);
    expect(token.statusCode).toBe(200);
    const jwks = createLocalJWKSet((await t.app.inject({ method: 'GET', url: '/jwks' })).json());
    const { payload } = await jwtVerify(token.json<{ id_token: string }>().id_token, jwks, {
      issuer: TEST_ISSUER,
    });
    expect(payload.sub).toBe(DID);
    expect(payload.amr).toEqual(['swk']);
    // OIDC Core §5.3.2: userinfo answers for the wallet's person, with the ID token's sub.
    const userinfo = await t.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${token.json<{ access_token: string }>().access_token}` },
    });
    expect(userinfo.statusCode, userinfo.body).toBe(200);
    expect(userinfo.json<{ sub: string }>().sub).toBe(DID);
    // A second sign-in finds the same person.
    const again = await loginPage();
    expect((await post(again.browser, again.fields, message(again.nonce))).statusCode).toBe(303);
    expect((await t.store.listUsers()).items.map((user) => user.id)).toEqual([DID]);
    await t.audit.flush();
    const types = (await t.store.listAudit({ limit: 100 })).items.map((event) => event.type);
    expect(types.filter((type) => type === 'siwe.used')).toHaveLength(2);
  });

  it('EIP-4361 §Security (replay): the same signed message is refused the second time', async () => {
    await start();
    const page = await loginPage();
    const text = message(page.nonce);
    const signature = await account.signMessage({ message: text });
    expect((await post(page.browser, page.fields, text, signature)).statusCode).toBe(303);
    const second = await post(page.browser, page.fields, text, signature);
    expect(second.statusCode).toBe(400);
    expect(second.body).toContain('The Ethereum sign-in could not be verified');
  });

  it('EIP-4361 §Message fields (nonce): one nonce in two differently-signed messages signs in once', async () => {
    await start();
    const page = await loginPage();
    expect((await post(page.browser, page.fields, message(page.nonce))).statusCode).toBe(303);
    const other = message(page.nonce, { statement: 'Another message.' });
    const second = await post(page.browser, page.fields, other);
    expect(second.statusCode).toBe(400);
  });

  it('EIP-4361 §Security: a nonce issued to another browser is refused', async () => {
    await start();
    const mine = await loginPage();
    const theirs = await loginPage();
    await expectRefused(await post(mine.browser, mine.fields, message(theirs.nonce)));
  });

  it('EIP-4361 §Verifying (domain binding): a message for another domain is refused', async () => {
    await start();
    const page = await loginPage();
    await expectRefused(
      await post(page.browser, page.fields, message(page.nonce, { domain: 'evil.example' })),
    );
  });

  it('EIP-4361 §Message fields (uri): a message for another uri is refused', async () => {
    await start();
    const page = await loginPage();
    await expectRefused(
      await post(page.browser, page.fields, message(page.nonce, { uri: 'https://evil.example' })),
    );
  });

  it('EIP-4361 §Message fields (expiration-time): an expired message is refused', async () => {
    await start();
    const page = await loginPage();
    const text = message(page.nonce, { expirationTime: new Date(t.clock.nowMs() + 30_000) });
    t.clock.advance(31);
    await expectRefused(await post(page.browser, page.fields, text));
  });

  it('EIP-4361 §Message fields (issued-at): a message issued in the future or too long ago is refused', async () => {
    await start();
    const page = await loginPage();
    await expectRefused(
      await post(
        page.browser,
        page.fields,
        message(page.nonce, { issuedAt: new Date(t.clock.nowMs() + 3_600_000) }),
      ),
    );
    await expectRefused(
      await post(
        page.browser,
        page.fields,
        message(page.nonce, { issuedAt: new Date(t.clock.nowMs() - 3_600_000) }),
      ),
    );
  });

  it('EIP-4361 §Message fields (chain-id): a chain not in siwe.chainIds is refused', async () => {
    await start();
    const page = await loginPage();
    await expectRefused(await post(page.browser, page.fields, message(page.nonce, { chainId: 137 })));
  });

  it('EIP-4361 §Verifying (signature): a signature by another key, a malformed one or a malformed message is refused', async () => {
    await start();
    const page = await loginPage();
    const text = message(page.nonce);
    const other = privateKeyToAccount(generatePrivateKey());
    await expectRefused(
      await post(page.browser, page.fields, text, await other.signMessage({ message: text })),
    );
    await expectRefused(await post(page.browser, page.fields, text, '0x1234'));
    await expectRefused(await post(page.browser, page.fields, text, `0x${'zz'.repeat(65)}`));
    await expectRefused(await post(page.browser, page.fields, 'not a SIWE message'));
    await expectRefused(
      await post(page.browser, page.fields, text.replace(/Issued At: .*/, 'Issued At: yesterday')),
    );
    await expectRefused(
      await post(page.browser, page.fields, text.replace(account.address, account.address.toLowerCase())),
    );
    // The original is still good: nothing above burned the nonce.
    expect((await post(page.browser, page.fields, text)).statusCode).toBe(303);
  });

  it('siwe.enabled off (the default): the routes 404 and the login page has no button', async () => {
    await start({});
    const browser = new Browser(t);
    const pkce = pkcePair();
    let response = await browser.get(
      authorizeUrl(c.client, {
        scope: 'openid',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      }),
    );
    response = await browser.get(String(response.headers.location));
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('Sign in with Ethereum');
    expect((await browser.get('/login/siwe/nonce')).statusCode).toBe(404);
    expect((await browser.post('/login/siwe', { message: 'x', signature: '0x' })).statusCode).toBe(404);
  });
});
