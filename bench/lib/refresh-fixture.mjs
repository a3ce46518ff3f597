/**
 * The person the refresh benches' grants belong to (no password: the refresh grant never asks).
 */
export function createBenchPerson(store, ids, t0) {
  return store.createUser(
    {
      id: ids.newId('usr'),
      username: 'bench-user',
      email: null,
      emailVerified: false,
      name: null,
      passwordHash: 'unused-by-the-refresh-grant',
      disabled: false,
      tokensValidAfter: 0,
    },
    t0,
  );
}

/**
 * The stored record of refresh token `token` of an `openid offline_access` grant issued at `t0`
 * (a day to live, its family 30 days), in a new family unless `familyId` is given.
 */
export function refreshTokenRecord(
  ids,
  token,
  { clientId, userId, t0, familyId, audience = 'https://api.bench.local' },
) {
  return {
    hash: ids.hashSecret(token),
    familyId: familyId ?? ids.newId('fam'),
    clientId,
    userId,
    sessionId: null,
    scope: ['openid', 'offline_access'],
    audience: [audience],
    authTime: t0,
    amr: ['pwd'],
    acr: null,
    issuedAt: t0,
    expiresAt: t0 + 86_400,
    familyExpiresAt: t0 + 30 * 86_400,
    usedAt: null,
    revokedAt: null,
    jkt: null,
  };
}

/**
 * `count` refresh tokens of client `clientId` for a new bench person, each its own family: the
 * chains the served refresh benches rotate (each answer's token spent by the chain's next request).
 */
export async function seedRefreshTokens(store, ids, t0, clientId, count, audience) {
  const user = await createBenchPerson(store, ids, t0);
  const tokens = [];
  for (let n = 0; n < count; n += 1) {
    const token = ids.mintSecret('rt');
    await store.insertRefreshToken(
      refreshTokenRecord(ids, token, { clientId, userId: user.id, t0, audience }),
    );
    tokens.push(token);
  }
  return tokens;
}

/**
 * What the store-level refresh micro-benches (bench/micro/refresh-rotate.mjs, refresh-redeem.mjs)
 * start from: a confidential client with the refresh grant, a person, and fresh refresh-token
 * records for them (a new family, or the family of `previous`).
 */
export async function createRefreshFixture(store, ids, t0) {
  const client = await store.createClient(
    {
      id: ids.newId('cli'),
      name: 'bench',
      grantTypes: ['authorization_code', 'refresh_token'],
      scope: ['openid', 'offline_access'],
      defaultScope: [],
      audiences: ['https://api.bench.local'],
      redirectUris: ['https://app.bench.local/cb'],
      postLogoutRedirectUris: [],
      tokenEndpointAuthMethod: 'client_secret_basic',
      tokenFormat: 'jwt',
      accessTokenTtl: null,
      metadata: {},
      jwks: null,
      jwksUri: null,
      firstParty: true,
      permissions: [],
      disabled: false,
      secrets: [],
    },
    t0,
  );
  const user = await createBenchPerson(store, ids, t0);
  const tokenRecord = (previous) =>
    refreshTokenRecord(ids, ids.mintSecret('rt'), {
      clientId: client.id,
      userId: user.id,
      t0,
      familyId: previous?.familyId,
    });
  return { client, user, tokenRecord };
}

/**
 * Rotates every chain (an array of refresh-token hashes, updated in place) through `group`'s
 * `redeemRefreshToken` until `until` (ms), as the refresh grant does (14-day successors, a 10 s
 * reuse grace); throws on any answer but `rotated`. Returns the rotations made.
 */
export async function rotateChains(group, ids, clientId, chains, until) {
  let done = 0;
  await Promise.all(
    chains.map(async (_, c) => {
      while (Date.now() < until) {
        const now = Math.floor(Date.now() / 1000);
        const next = ids.hashSecret(ids.mintSecret('rt'));
        const result = await group.redeemRefreshToken(
          { hash: chains[c], clientId, jkt: null },
          { hash: next, issuedAt: now, expiresAt: now + 14 * 86400 },
          now,
          { until: now + 10, sealedSuccessor: `sealed:${next}` },
        );
        if (result.status !== 'rotated') {
          throw new Error(result.status);
        }
        chains[c] = next;
        done += 1;
      }
    }),
  );
  return done;
}
