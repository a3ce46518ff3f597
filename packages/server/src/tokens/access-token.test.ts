import { compactVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../clock.js';
import type { SigningKey } from '../keys/keyring.js';
import { generateKeyPairFromDer } from '../keys/keyring.js';
import type { ClientRecord } from '../store/ports.js';
import { createAccessTokenService, extraClaimsOf } from './access-token.js';

const ISSUER = 'https://auth.example.com';
const pair = generateKeyPairFromDer('ec', { namedCurve: 'P-256' });
const key: SigningKey = { kid: 'k1', alg: 'ES256', ...pair };

function client(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    id: 'cli_one',
    name: 'one',
    grantTypes: ['client_credentials'],
    scope: ['read', 'write'],
    defaultScope: [],
    audiences: ['https://api.example.com'],
    redirectUris: [],
    postLogoutRedirectUris: [],
    tokenEndpointAuthMethod: 'client_secret_basic',
    tokenFormat: 'jwt',
    accessTokenTtl: null,
    metadata: {},
    jwks: null,
    jwksUri: null,
    idTokenSignedResponseAlg: null,
    subjectType: 'public',
    sectorIdentifierUri: null,
    firstParty: false,
    dpopBoundAccessTokens: false,
    requireMfa: false,
    permissions: [],
    disabled: false,
    secrets: [],
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  };
}

function service() {
  const clock = createFixedClock(1_800_000_000);
  const tokens = createAccessTokenService({
    issuer: ISSUER,
    keyring: { current: () => key },
    algorithm: 'ES256',
    clock,
    store: {
      insertAccessToken: () => Promise.reject(new Error('a JWT is never stored')),
    },
    ttl: { default: 600, max: 3600 },
  });
  return { tokens, clock };
}

/** The payload segment's exact bytes, after checking the signature. */
async function payloadText(token: string): Promise<string> {
  const { payload } = await compactVerify(token, pair.publicKey);
  return new TextDecoder().decode(payload);
}

/** The payload as RFC 9068 §2.2 orders it, extra claims after the registered ones, serialised. */
function expectedJson(
  c: ClientRecord,
  scope: string[],
  audience: string[],
  claims: { iat: number; exp: number; jti: string },
): string {
  return JSON.stringify({
    iss: ISSUER,
    sub: c.id,
    aud: audience.length === 1 ? audience[0] : audience,
    client_id: c.id,
    scope: scope.join(' '),
    iat: claims.iat,
    exp: claims.exp,
    jti: claims.jti,
    ...extraClaimsOf({ client: c }),
  });
}

async function issueChecked(
  tokens: ReturnType<typeof service>['tokens'],
  c: ClientRecord,
  scope: string[],
  audience: string[],
) {
  const issued = await tokens.issue({ client: c, subject: c.id, scope, audience, grantId: null });
  const text = await payloadText(issued.token);
  const { iat, exp, jti } = JSON.parse(text) as { iat: number; exp: number; jti: string };
  expect(jti).toBe(issued.jti);
  expect(exp).toBe(issued.expiresAt);
  expect(text).toBe(expectedJson(c, scope, audience, { iat, exp, jti }));
  return JSON.parse(text) as Record<string, unknown>;
}

describe('client-credentials JWT claims (RFC 9068 §2.2)', () => {
  it('the payload is byte for byte the JSON of the claims, with or without client metadata claims', async () => {
    const { tokens, clock } = service();
    const clients = [
      client(),
      client({
        id: 'cli_two',
        metadata: {
          tenant: 'acme "east"',
          nested: { a: [1, 2, { b: 'é\u2028' }] },
          // Reserved names are never copied (RESERVED_METADATA_CLAIMS).
          iss: 'https://evil.example',
          cnf: { jkt: 'x' },
          undef: undefined,
        },
      }),
      // An array-index name goes first in a JS object: the general path keeps that order.
      client({ id: 'cli_three', metadata: { 7: 'seven', tier: 'gold' } }),
    ];
    for (const c of clients) {
      for (const [scope, audience] of [
        [['read'], ['https://api.example.com']],
        [
          ['read', 'write'],
          ['https://api.example.com', 'https://other.example.com'],
        ],
      ] as const) {
        await issueChecked(tokens, c, [...scope], [...audience]);
        clock.advance(7);
        await issueChecked(tokens, c, [...scope], [...audience]);
      }
    }
  });

  it('one client record asking for another scope or audience gets exactly that', async () => {
    const { tokens } = service();
    const c = client();
    expect((await issueChecked(tokens, c, ['read'], ['https://api.example.com'])).scope).toBe('read');
    expect((await issueChecked(tokens, c, ['write'], ['https://api.example.com'])).scope).toBe('write');
    const other = await issueChecked(tokens, c, ['write'], ['https://other.example.com']);
    expect(other.aud).toBe('https://other.example.com');
    const both = await issueChecked(
      tokens,
      c,
      ['write'],
      ['https://other.example.com', 'https://api.example.com'],
    );
    expect(both.aud).toEqual(['https://other.example.com', 'https://api.example.com']);
  });

  it('a changed client (a new record under the same id) is issued its new metadata claims', async () => {
    const { tokens } = service();
    const before = client({ metadata: { tier: 'silver' } });
    expect((await issueChecked(tokens, before, ['read'], ['https://api.example.com'])).tier).toBe('silver');
    const after = client({ metadata: { tier: 'gold', region: 'eu' } });
    const claims = await issueChecked(tokens, after, ['read'], ['https://api.example.com']);
    expect(claims).toMatchObject({ tier: 'gold', region: 'eu' });
  });

  it('every token has its own jti and the clock decides iat and exp', async () => {
    const { tokens, clock } = service();
    const c = client({ accessTokenTtl: 120 });
    const first = await issueChecked(tokens, c, ['read'], ['https://api.example.com']);
    clock.advance(30);
    const second = await issueChecked(tokens, c, ['read'], ['https://api.example.com']);
    expect(second.jti).not.toBe(first.jti);
    expect(second.iat).toBe((first.iat as number) + 30);
    expect(second.exp).toBe((second.iat as number) + 120);
  });
});
