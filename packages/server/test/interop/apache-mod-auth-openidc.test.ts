/**
 * Interop (issue 19 item 3): Debian's Apache `mod_auth_openidc` (2.4.12), unmodified, as an OpenID
 * Connect relying party of Tessera, everything over https with a test CA (test/support/test-ca.ts):
 * Tessera terminates TLS with a certificate the CA signed, and Apache trusts that CA through
 * `OIDCCABundlePath` for discovery, the JWKS and the code exchange. A person opens a protected page
 * on Apache, is sent to Tessera's login page, signs in, comes back, and the page behind Apache sees
 * the ID token's claims. The requests are the ones a browser sends (one cookie jar for 127.0.0.1,
 * redirects followed by hand); the test trusts the same CA, never switching verification off.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Apache, apacheInstalled, headerEcho, startApache } from '../support/apache.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { form, type TestClient } from '../support/clients.js';
import { freePort } from '../support/listening.js';
import { createCodeClient, createUser, hiddenFields, PASSWORD } from '../support/login.js';
import { requireService } from '../support/requirements.js';
import { createTestCa, type TestCa } from '../support/test-ca.js';

const available = requireService(
  'Apache mod_auth_openidc (Debian apache2, libapache2-mod-auth-openidc)',
  apacheInstalled(['auth_openidc', 'ssl']),
);

interface Answer {
  status: number;
  location: string | undefined;
  body: string;
}

/** A browser's requests over https trusting only the test CA: one cookie jar for the host. */
class HttpsBrowser {
  readonly cookies = new Map<string, string>();
  constructor(readonly ca: string) {}

  send(url: string, method = 'GET', body?: string): Promise<Answer> {
    // mod_auth_openidc answers 401 rather than redirecting a request that does not accept HTML.
    const headers: Record<string, string> = { accept: 'text/html' };
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = new URL(url).origin;
    }
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, ca: this.ca }, (response) => {
        for (const line of response.headers['set-cookie'] ?? []) {
          const [pair = ''] = line.split(';');
          const eq = pair.indexOf('=');
          const value = pair.slice(eq + 1);
          if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) {
            this.cookies.delete(pair.slice(0, eq));
          } else {
            this.cookies.set(pair.slice(0, eq), value);
          }
        }
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            location: response.headers.location && new URL(response.headers.location, url).href,
            body: text,
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}

describe.skipIf(!available)('Apache mod_auth_openidc as a relying party', () => {
  let ca: TestCa;
  let t: TestServer;
  let issuer: string;
  let apache: Apache;
  let backend: Awaited<ReturnType<typeof headerEcho>>;
  let client: TestClient;

  beforeAll(async () => {
    ca = createTestCa();
    const port = await freePort();
    issuer = `https://127.0.0.1:${port}`;
    t = await bootstrap({ issuer, 'tls.cert': ca.certPath, 'tls.key': ca.keyPath });
    await t.app.listen({ host: '127.0.0.1', port });
    await createUser(t);
    backend = await headerEcho();

    const apachePort = await freePort();
    const redirectUri = `https://127.0.0.1:${apachePort}/protected/redirect_uri`;
    client = await createCodeClient(t, { redirectUris: [redirectUri], firstParty: true });
    apache = await startApache({
      modules: ['ssl', 'socache_shmcb', 'auth_openidc'],
      https: true,
      port: apachePort,
      config: `
SSLEngine on
SSLSessionCache shmcb:{{root}}/ssl_scache(512000)
SSLCertificateFile ${ca.certPath}
SSLCertificateKeyFile ${ca.keyPath}
OIDCProviderMetadataURL ${issuer}/.well-known/openid-configuration
OIDCCABundlePath ${ca.caPath}
OIDCClientID ${client.id}
OIDCClientSecret ${client.secret}
OIDCRedirectURI ${redirectUri}
OIDCCryptoPassphrase ${randomBytes(32).toString('hex')}
OIDCScope "openid profile email"
OIDCPKCEMethod S256
<Location /protected>
  AuthType openid-connect
  Require valid-user
  ProxyPass ${backend.url}/protected
</Location>`,
    });
  });

  afterAll(async () => {
    await apache?.close();
    await backend?.close();
    await t?.close();
    ca?.cleanup();
  });

  it('OIDC Core §3.1 — code flow over https with a test CA: Apache → Tessera login → back, and the page sees the ID token claims', async () => {
    const browser = new HttpsBrowser(ca.ca);
    let answer = await browser.send(`${apache.url}/protected/`);
    expect(answer.status, apache.errorLog().slice(-2000)).toBe(302);
    const authorize = new URL(answer.location ?? '');
    expect(authorize.origin + authorize.pathname).toBe(`${issuer}/authorize`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');

    // Tessera's pages: the login form, then (for a first-party client) straight back to Apache.
    answer = await browser.send(authorize.href);
    for (let step = 0; step < 8 && !answer.location?.startsWith(apache.url); step++) {
      if (answer.location !== undefined) {
        answer = await browser.send(answer.location);
      } else if (answer.body.includes('action="/login"')) {
        const fields = { ...hiddenFields(answer.body), username: 'alice', password: PASSWORD };
        answer = await browser.send(`${issuer}/login`, 'POST', form(fields));
      } else {
        throw new Error(`unexpected page (${answer.status}): ${answer.body.slice(0, 300)}`);
      }
    }
    const callback = new URL(answer.location ?? '');
    expect(callback.pathname).toBe('/protected/redirect_uri');
    expect(callback.searchParams.get('iss')).toBe(issuer);

    // mod_auth_openidc redeems the code at Tessera's token endpoint and checks the ID token.
    answer = await browser.send(callback.href);
    expect(answer.status, apache.errorLog().slice(-2000)).toBe(302);
    answer = await browser.send(answer.location ?? '');
    expect(answer.status, apache.errorLog().slice(-2000)).toBe(200);
    const { headers } = JSON.parse(answer.body) as { headers: Record<string, string> };
    const alice = await t.store.findUserByUsername('alice');
    expect(headers.oidc_claim_iss).toBe(issuer);
    expect(headers.oidc_claim_sub).toBe(alice?.id);
    expect(headers.oidc_claim_aud).toBe(client.id);
    expect(headers.oidc_claim_email).toBe('alice@example.com');
    expect(headers.oidc_claim_name).toBe('Alice Liddell');

    // The session holds: the next request goes straight through.
    expect((await browser.send(`${apache.url}/protected/again`)).status).toBe(200);
  });
});
