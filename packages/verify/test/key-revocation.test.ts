/**
 * A pulled signing key across packages (issue 11 item 8): a real, listening Tessera pulls a key
 * with `POST /admin/signing-keys/:kid/revoke`; a real verifier, which had the key in its cached
 * JWKS and a token it signed in its token cache, refuses every token that key signed once the
 * `key` revocation arrives on the stream, and keeps accepting tokens of the replacement.
 */
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type Verifier } from '../src/index.js';
import { refusal } from './support/flows.js';
import {
  API,
  createApiServerClient,
  eventually,
  type RegisteredClient,
  startTessera,
  type Tessera,
} from './support/tessera.js';

let t: Tessera;
let app: RegisteredClient;
let verifier: Verifier;

beforeAll(async () => {
  t = await startTessera();
  app = await t.createClient();
  const api = await createApiServerClient(t);
  verifier = createVerifier({
    issuer: t.url,
    audience: API,
    client: { clientId: api.clientId, clientSecret: api.clientSecret },
    now: () => t.clock.now(),
    revocations: { minReconnectDelay: 0.02, maxReconnectDelay: 0.1 },
    // The replacement key is new to the verifier: let it refetch the JWKS at once.
    jwks: { cooldown: 0 },
  });
  await verifier.ready();
});
afterAll(async () => {
  await verifier.close();
  await t.close();
});

describe('@tessera/verify and a pulled signing key (issue 11 item 8)', () => {
  it('issue 11 item 8 — tokens of a pulled key are refused, cached or not, though the verifier still holds the key in its JWKS', async () => {
    const cached = await t.token(app, 'cookies:read');
    const uncached = await t.token(app, 'cookies:read');
    const kid = decodeProtectedHeader(cached).kid;
    expect(decodeProtectedHeader(uncached).kid).toBe(kid);
    await expect(verifier.verify(`Bearer ${cached}`)).resolves.toMatchObject({ tokenType: 'jwt' });

    await t.admin('POST', '/signing-keys/rotate', { now: true });
    const seen = verifier.status().revocations.lastEventId;
    const pulled = await t.admin<{ revocation_id: number }>(
      'POST',
      `/signing-keys/${String(kid)}/revoke`,
      {},
    );
    await eventually(
      () => Number(verifier.status().revocations.lastEventId ?? 0) >= pulled.revocation_id,
      'the key revocation on the stream',
    );
    expect(seen).not.toBe(verifier.status().revocations.lastEventId);

    for (const token of [cached, uncached]) {
      const error = await refusal(verifier.verify(`Bearer ${token}`));
      expect(error).toMatchObject({
        code: 'invalid_token',
        description: 'The access token has been revoked',
      });
    }
    const fresh = await t.token(app, 'cookies:read');
    expect(decodeProtectedHeader(fresh).kid).not.toBe(kid);
    await expect(verifier.verify(`Bearer ${fresh}`)).resolves.toMatchObject({ tokenType: 'jwt' });
  });
});
