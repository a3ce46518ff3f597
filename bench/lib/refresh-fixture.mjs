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
  const user = await store.createUser(
    {
      id: ids.newId('usr'),
      username: 'bench',
      email: null,
      emailVerified: false,
      name: null,
      passwordHash: 'unused',
      disabled: false,
      tokensValidAfter: 0,
    },
    t0,
  );
  function tokenRecord(previous) {
    return {
      hash: ids.hashSecret(ids.mintSecret('rt')),
      familyId: previous?.familyId ?? ids.newId('fam'),
      clientId: client.id,
      userId: user.id,
      sessionId: null,
      scope: ['openid', 'offline_access'],
      audience: ['https://api.bench.local'],
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
  return { client, user, tokenRecord };
}
