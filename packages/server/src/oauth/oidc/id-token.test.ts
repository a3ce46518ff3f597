import { createHash } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import type { SigningKey } from '../../keys/keyring.js';
import { generateKeyPairFromDer } from '../../keys/keyring.js';
import type { SigningAlgorithm, UserRecord } from '../../store/ports.js';
import { computeAtHash, createIdTokenIssuer, type IdTokenInput } from './id-token.js';
import { createSubjectOf } from './pairwise.js';

const ISSUER = 'https://auth.example';
const NOW = 1_800_000_000;

const KEYS: Record<SigningAlgorithm, SigningKey> = {
  ES256: { kid: 'k-es', alg: 'ES256', ...generateKeyPairFromDer('ec', { namedCurve: 'P-256' }) },
  EdDSA: { kid: 'k-ed', alg: 'EdDSA', ...generateKeyPairFromDer('ed25519') },
  RS256: { kid: 'k-rs', alg: 'RS256', ...generateKeyPairFromDer('rsa', { modulusLength: 2048 }) },
};

const PAIRWISE_KEY = Buffer.alloc(32, 9);

function issuer() {
  return createIdTokenIssuer({
    issuer: ISSUER,
    keyring: { current: (alg) => KEYS[alg] },
    clock: { now: () => NOW, nowMs: () => NOW * 1000 },
    algorithm: 'RS256',
    ttl: 600,
    subjectOf: createSubjectOf(PAIRWISE_KEY),
  });
}

const USER: UserRecord = {
  id: 'usr_alice',
  username: 'alice',
  email: 'alice@example.com',
  emailVerified: true,
  name: 'Alice Liddell',
  passwordHash: 'unused',
  disabled: false,
  tokensValidAfter: 0,
  mfaRequired: false,
  adminScopes: [],
  createdAt: 1,
  updatedAt: 2,
};

function input(overrides: Partial<IdTokenInput> = {}): IdTokenInput {
  return {
    client: {
      id: 'cli_app',
      subjectType: 'public',
      sectorIdentifierUri: null,
      redirectUris: ['https://app.example/cb'],
      idTokenSignedResponseAlg: 'ES256',
    },
    user: USER,
    scope: ['openid', 'offline_access'],
    nonce: null,
    authTime: NOW - 60,
    amr: ['pwd'],
    acr: null,
    sessionId: null,
    accessToken: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c3JfYWxpY2UifQ.c2ln',
    ...overrides,
  };
}

async function payloadOf(token: string, alg: SigningAlgorithm): Promise<Record<string, unknown>> {
  const { payload } = await compactVerify(token, KEYS[alg].publicKey);
  return JSON.parse(new TextDecoder().decode(payload));
}

function leftHalf(alg: 'sha256' | 'sha512', token: string): string {
  const digest = createHash(alg).update(token, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

describe('ID token claims (OIDC Core §2, §3.1.3.6, §5.4, §8)', () => {
  it('OIDC Core §2: exactly the registered members and the optional ones that apply, nothing else', async () => {
    const token = await issuer().issue(input());
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'k-es', typ: 'JWT' });
    expect(await payloadOf(token, 'ES256')).toEqual({
      sub: 'usr_alice',
      auth_time: NOW - 60,
      azp: 'cli_app',
      at_hash: leftHalf('sha256', input().accessToken),
      iss: ISSUER,
      aud: 'cli_app',
      iat: NOW,
      exp: NOW + 600,
      amr: ['pwd'],
    });
  });

  it('OIDC Core §5.4: profile and email claims with their scopes; nonce, acr, amr, sid when given', async () => {
    const token = await issuer().issue(
      input({
        scope: ['openid', 'profile', 'email'],
        nonce: 'n-1',
        acr: 'urn:tessera:acr:mfa',
        amr: ['pwd', 'otp'],
        sessionId: 'ses_1',
      }),
    );
    expect(await payloadOf(token, 'ES256')).toEqual({
      sub: 'usr_alice',
      preferred_username: 'alice',
      name: 'Alice Liddell',
      updated_at: 2,
      email: 'alice@example.com',
      email_verified: true,
      auth_time: NOW - 60,
      azp: 'cli_app',
      at_hash: leftHalf('sha256', input().accessToken),
      iss: ISSUER,
      aud: 'cli_app',
      iat: NOW,
      exp: NOW + 600,
      nonce: 'n-1',
      acr: 'urn:tessera:acr:mfa',
      amr: ['pwd', 'otp'],
      sid: 'ses_1',
    });
  });

  it('OIDC Core §8: the sub the client sees (chosen, or pairwise) replaces the account id', async () => {
    const chosen = await issuer().issue(input({ chosenSubject: 'chosen-sub' }));
    expect((await payloadOf(chosen, 'ES256')).sub).toBe('chosen-sub');
    const pairwise = await issuer().issue(
      input({
        client: {
          id: 'cli_app',
          subjectType: 'pairwise',
          sectorIdentifierUri: null,
          redirectUris: ['https://app.example/cb'],
          idTokenSignedResponseAlg: 'ES256',
        },
      }),
    );
    const sub = (await payloadOf(pairwise, 'ES256')).sub;
    expect(sub).not.toBe('usr_alice');
    expect(sub).toBe(
      createSubjectOf(PAIRWISE_KEY)({ ...input().client, subjectType: 'pairwise' }, 'usr_alice'),
    );
  });

  it('OIDC Core §3.1.3.6: at_hash is the left half of the hash of the ID token alg (SHA-512 for EdDSA)', async () => {
    const token = 'tsr_at_opaque-access-token';
    expect(computeAtHash(token, 'ES256')).toBe(leftHalf('sha256', token));
    expect(computeAtHash(token, 'RS256')).toBe(leftHalf('sha256', token));
    expect(computeAtHash(token, 'EdDSA')).toBe(leftHalf('sha512', token));
    const client = { ...input().client, idTokenSignedResponseAlg: 'EdDSA' as const };
    const issued = await issuer().issue(input({ client, accessToken: token }));
    expect((await payloadOf(issued, 'EdDSA')).at_hash).toBe(leftHalf('sha512', token));
  });
});
