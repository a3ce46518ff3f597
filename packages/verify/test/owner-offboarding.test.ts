/**
 * A person's API keys stop at the API servers when the person goes (issue 11 item 3): a real
 * listening Tessera and a real verifier that cached the key's introspection answer. Deleting the
 * owning user revokes the key through the revocation stream, so the verifier refuses it although
 * its answer was cached.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type Verifier, VerifyError } from '../src/index.js';
import {
  API,
  createApiServerClient,
  eventually,
  type RegisteredClient,
  startTessera,
  type Tessera,
} from './support/tessera.js';

let t: Tessera;
let api: RegisteredClient;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  t = await startTessera();
  api = await createApiServerClient(t);
});
afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((v) => v.close()));
});
afterAll(() => t.close());

function verifierFor(): Verifier {
  const verifier = createVerifier({
    issuer: t.url,
    audience: API,
    client: { clientId: api.clientId, clientSecret: api.clientSecret },
    now: () => t.clock.now(),
    cache: { introspectionTtl: 3600 },
    revocations: { minReconnectDelay: 0.02, maxReconnectDelay: 0.1 },
  });
  verifiers.push(verifier);
  return verifier;
}

async function createUser(): Promise<string> {
  const user = await t.admin<{ id: string }>('POST', '/users', {
    username: `person-${Math.random().toString(36).slice(2, 10)}`,
    password: 'correct horse battery staple 42',
  });
  return user.id;
}

describe('API keys of a deleted user at the verifier', () => {
  it('issue 11 item 3 — deleting the owner revokes the key: a verifier with a cached answer refuses it', async () => {
    const verifier = verifierFor();
    await verifier.ready();
    const owner = await createUser();
    const { key } = await t.createApiKey(owner, 'cookies:read');
    const second = await t.createApiKey(owner, 'cookies:read');
    await expect(verifier.verify(`Bearer ${key}`)).resolves.toMatchObject({
      tokenType: 'api_key',
      subject: owner,
    });

    const before = verifier.status().revocations.denylistSize;
    const response = await t.app.inject({
      method: 'DELETE',
      url: `/admin/users/${owner}`,
      headers: t.adminHeaders,
    });
    expect(response.statusCode).toBe(204);
    // One subject revocation (the person's tokens) plus one api_key revocation per key: the keys
    // are refused by id, not only while the subject revocation lasts.
    await eventually(
      () => verifier.status().revocations.denylistSize >= before + 3,
      'the subject and both api_key revocations',
    );

    const error = await verifier.verify(`Bearer ${key}`).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(VerifyError);
    expect(error).toMatchObject({ code: 'invalid_token', status: 401 });
    await expect(verifier.verify(`Bearer ${second.key}`)).rejects.toBeInstanceOf(VerifyError);
  });

  it('issue 11 item 3 — disabling the owner stops the key at a verifier with a cached answer (the subject revocation)', async () => {
    const verifier = verifierFor();
    await verifier.ready();
    const owner = await createUser();
    const { key } = await t.createApiKey(owner, 'cookies:read');
    await expect(verifier.verify(`Bearer ${key}`)).resolves.toMatchObject({ tokenType: 'api_key' });

    const before = verifier.status().revocations.denylistSize;
    await t.admin('POST', `/users/${owner}/disable`);
    await eventually(() => verifier.status().revocations.denylistSize > before, 'the subject revocation');
    await expect(verifier.verify(`Bearer ${key}`)).rejects.toMatchObject({ code: 'invalid_token' });
    // docs/api-keys.md: fail-closed until the subject revocation's horizon, even after a re-enable;
    // a key created after the re-enable works at once.
    await t.admin('POST', `/users/${owner}/enable`);
    t.clock.advance(1);
    await expect(verifier.verify(`Bearer ${key}`)).rejects.toMatchObject({ code: 'invalid_token' });
    const fresh = await t.createApiKey(owner, 'cookies:read');
    await expect(verifier.verify(`Bearer ${fresh.key}`)).resolves.toMatchObject({ subject: owner });
  });
});
