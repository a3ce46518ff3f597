/**
 * The checks every API quickstart under examples/ must pass, against a real listening Tessera
 * (packages/verify/test/support/tessera.ts) and the example's own app on a free loopback port:
 * a client's token and a person's token (authorization code + PKCE over HTTP) reach the
 * protected routes; no token, a bad token and a token without the scope are refused with the
 * RFC 6750 challenge.
 */
import { createVerifier, type Verifier } from '@tessera/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API,
  createApiServerClient,
  type RegisteredClient,
  startTessera,
  type Tessera,
  userAccessToken,
} from '../../../../packages/verify/test/support/tessera.js';

export interface RunningExample {
  url: string;
  close(): Promise<void>;
}

/** What the example is configured with (an example that builds its own verifier reads these). */
export interface ExampleConfig {
  issuer: string;
  audience: string;
  client: { clientId: string; clientSecret: string };
}

/** Starts the example's app with this verifier on a free port of 127.0.0.1. */
export type StartExample = (verifier: Verifier, config: ExampleConfig) => Promise<RunningExample>;

export function describeApiQuickstart(
  name: string,
  realm: string,
  start: StartExample,
  /** For the set-up (an example with a build step takes longer than the default 30 s). */
  setupTimeout?: number,
): void {
  describe(`examples/${name}`, { timeout: 30_000 }, () => {
    let tessera: Tessera;
    let verifier: Verifier;
    let example: RunningExample;
    let caller: RegisteredClient;

    beforeAll(async () => {
      tessera = await startTessera();
      const apiClient = await createApiServerClient(tessera);
      caller = await tessera.createClient({ scope: 'cookies:read cookies:eat' });
      const config: ExampleConfig = {
        issuer: tessera.url,
        audience: API,
        client: { clientId: apiClient.clientId, clientSecret: apiClient.clientSecret },
      };
      verifier = createVerifier({ ...config, realm });
      example = await start(verifier, config);
    }, setupTimeout);

    afterAll(async () => {
      await example?.close();
      await verifier?.close();
      await tessera?.close();
    });

    const get = (path: string, token?: string) =>
      fetch(example.url + path, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

    it('serves the public route without a token', async () => {
      const response = await get('/');
      expect(response.status).toBe(200);
    });

    it("answers a client's access token (client_credentials, RFC 6749 §4.4) on the protected routes", async () => {
      const token = await tessera.token(caller, 'cookies:read');
      const me = await get('/api/me', token);
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({
        subject: caller.clientId,
        client: caller.clientId,
        scope: ['cookies:read'],
      });
      const cookies = await get('/api/cookies', token);
      expect(cookies.status).toBe(200);
      expect(await cookies.json()).toEqual({ cookies: 12, for: caller.clientId });
    });

    it("answers a person's token from the authorization code + PKCE flow (RFC 6749 §4.1, RFC 7636)", async () => {
      const token = await userAccessToken(tessera, ['pwd']);
      const alice = await tessera.store.findUserByUsername('alice');
      const response = await get('/api/cookies', token);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ cookies: 12, for: alice?.id });
    });

    it('refuses a request without a token: 401 and a bare Bearer challenge (RFC 6750 §3.1)', async () => {
      const response = await get('/api/cookies');
      expect(response.status).toBe(401);
      const challenge = response.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain(`realm="${realm}"`);
      expect(challenge).not.toContain('error=');
    });

    it('refuses a bad token: 401 invalid_token (RFC 6750 §3.1)', async () => {
      const token = await tessera.token(caller, 'cookies:read');
      const [header, payload] = token.split('.');
      for (const bad of ['not-a-token', `${header}.${payload}.AAAA`]) {
        const response = await get('/api/me', bad);
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
      }
    });

    it('refuses a token without the route scope: 403 insufficient_scope (RFC 6750 §3.1)', async () => {
      const token = await tessera.token(caller, 'cookies:eat');
      const response = await get('/api/cookies', token);
      expect(response.status).toBe(403);
      const challenge = response.headers.get('www-authenticate') ?? '';
      expect(challenge).toContain('error="insufficient_scope"');
      expect(challenge).toContain('scope="cookies:read"');
    });
  });
}
