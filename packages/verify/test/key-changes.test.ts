/**
 * A changed API key at the verifier (docs/verify.md "Changed API keys"): a real, listening Tessera
 * and a real verifier whose introspection cache would hold a key's answer for an hour. Disabling,
 * re-enabling or re-scoping the key through the admin API streams `api_key_changed`; once it has
 * arrived, the verifier's next use of the key is asked at Tessera and gets the key's current state.
 * An answer that was on its way while the event arrived is served but not cached.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
let api: RegisteredClient;
let owner: RegisteredClient;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  t = await startTessera();
  api = await createApiServerClient(t);
  owner = await t.createClient();
});
afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((v) => v.close()));
});
afterAll(() => t.close());

/** A verifier that would reuse an introspection answer for an hour; counts its introspections. */
async function verifierFor(
  hold?: (url: string) => Promise<void>,
): Promise<{ verifier: Verifier; introspections: () => number }> {
  let introspections = 0;
  const verifier = createVerifier({
    issuer: t.url,
    audience: API,
    client: { clientId: api.clientId, clientSecret: api.clientSecret },
    now: () => t.clock.now(),
    cache: { introspectionTtl: 3600 },
    revocations: { minReconnectDelay: 0.02, maxReconnectDelay: 0.1 },
    async fetch(input, init) {
      const url = String(input);
      if (url.endsWith('/introspect')) {
        introspections++;
        const response = await fetch(input, init);
        await hold?.(url);
        return response;
      }
      return fetch(input, init);
    },
  });
  verifiers.push(verifier);
  await verifier.ready();
  return { verifier, introspections: () => introspections };
}

/** Waits until the verifier has received every event written to the revocation log so far. */
async function streamed(verifier: Verifier): Promise<void> {
  const latest = await t.store.latestRevocationId();
  await eventually(
    () => Number(verifier.status().revocations.lastEventId ?? 0) >= latest,
    `revocation event ${latest} at the verifier`,
  );
}

describe('@tessera/verify and a changed API key (api_key_changed)', () => {
  it('disabled via the admin API → the next use is refused although its answer was cached; re-enabled → accepted again', async () => {
    const { verifier, introspections } = await verifierFor();
    const { id, key } = await t.createApiKey(owner.clientId, 'cookies:read');
    await expect(verifier.verify(`Bearer ${key}`)).resolves.toMatchObject({ tokenType: 'api_key' });
    await expect(verifier.verify(`Bearer ${key}`)).resolves.toMatchObject({ tokenType: 'api_key' });
    expect(introspections()).toBe(1);

    const denied = verifier.status().revocations.denylistSize;
    await t.admin('POST', `/api-keys/${id}/disable`);
    await streamed(verifier);
    // Nothing was revoked: the key is only forgotten, and Tessera now answers "not active".
    expect(verifier.status().revocations.denylistSize).toBe(denied);
    expect(await refusal(verifier.verify(`Bearer ${key}`))).toMatchObject({
      code: 'invalid_token',
      status: 401,
      description: 'The API key is not active',
    });
    expect(introspections()).toBe(2);

    await t.admin('POST', `/api-keys/${id}/enable`);
    await streamed(verifier);
    await expect(verifier.verify(`Bearer ${key}`)).resolves.toMatchObject({ tokenType: 'api_key' });
    await expect(verifier.verify(`Bearer ${key}`)).resolves.toMatchObject({ tokenType: 'api_key' });
    expect(introspections()).toBe(3);
  });

  it('a scope change is seen at the next use: cookies:eat removed → 403 insufficient_scope, then granted again', async () => {
    const { verifier } = await verifierFor();
    const { id, key } = await t.createApiKey(owner.clientId, 'cookies:read cookies:eat');
    await expect(verifier.verify(`Bearer ${key}`, { scope: 'cookies:eat' })).resolves.toMatchObject({
      scope: ['cookies:read', 'cookies:eat'],
    });

    await t.admin('PATCH', `/api-keys/${id}`, { scope: 'cookies:read' });
    await streamed(verifier);
    expect(await refusal(verifier.verify(`Bearer ${key}`, { scope: 'cookies:eat' }))).toMatchObject({
      code: 'insufficient_scope',
      status: 403,
    });
    await expect(verifier.verify(`Bearer ${key}`)).resolves.toMatchObject({ scope: ['cookies:read'] });

    await t.admin('PATCH', `/api-keys/${id}`, { scope: 'cookies:read cookies:eat' });
    await streamed(verifier);
    await expect(verifier.verify(`Bearer ${key}`, { scope: 'cookies:eat' })).resolves.toMatchObject({
      scope: ['cookies:read', 'cookies:eat'],
    });
  });

  it('an answer on its way while the event arrives is served to its request but not cached: the next use is refused', async () => {
    let release: () => void = () => {};
    let holding = false;
    let answered = false;
    const { verifier, introspections } = await verifierFor(async () => {
      if (holding) {
        answered = true;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      }
    });
    const { id, key } = await t.createApiKey(owner.clientId, 'cookies:read');
    holding = true;
    // Tessera answers "active" now; the answer reaches the verifier only after the disable.
    const inFlight = verifier.verify(`Bearer ${key}`);
    await eventually(() => answered, "Tessera's answer to the introspection");
    await t.admin('POST', `/api-keys/${id}/disable`);
    await streamed(verifier);
    holding = false;
    release();
    await expect(inFlight).resolves.toMatchObject({ tokenType: 'api_key' });

    expect(await refusal(verifier.verify(`Bearer ${key}`))).toMatchObject({ code: 'invalid_token' });
    expect(introspections()).toBe(2);
  });
});
