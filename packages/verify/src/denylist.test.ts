import { describe, expect, it } from 'vitest';
import { createDenylist } from './denylist.js';
import type { TokenFacts } from './verified-token.js';

function facts(overrides: Partial<TokenFacts> = {}): TokenFacts {
  return {
    hash: 'h1',
    result: { tokenType: 'jwt', subject: 'usr_1', clientId: 'cli_1', scope: [], claims: {}, expiresAt: 2000 },
    jti: 'jti_1',
    keyId: undefined,
    grantId: undefined,
    issuedAt: 100,
    cacheUntil: 2000,
    views: {},
    ...overrides,
  };
}

describe('denylist (DESIGN §5)', () => {
  it('a jti revocation revokes that token whatever its iat, until expiresAt', () => {
    const denylist = createDenylist();
    denylist.add({ id: 1, target: { type: 'jti', value: 'jti_1' }, revokedAt: 50, expiresAt: 1000 }, 60);
    expect(denylist.isRevoked(facts(), 500)).toBe(true);
    expect(denylist.isRevoked(facts({ jti: 'jti_2' }), 500)).toBe(false);
    expect(denylist.isRevoked(facts(), 1000)).toBe(false);
    expect(denylist.prune(1000)).toBe(0);
  });

  it('client and subject revocations cover tokens issued at or before revokedAt, not later ones', () => {
    const denylist = createDenylist();
    denylist.add({ id: 1, target: { type: 'client', value: 'cli_1' }, revokedAt: 100, expiresAt: 1000 }, 100);
    expect(denylist.isRevoked(facts({ issuedAt: 100 }), 200)).toBe(true);
    expect(denylist.isRevoked(facts({ issuedAt: 101 }), 200)).toBe(false);
    denylist.add(
      { id: 2, target: { type: 'subject', value: 'usr_1' }, revokedAt: 150, expiresAt: 1000 },
      150,
    );
    expect(denylist.isRevoked(facts({ issuedAt: 120 }), 200)).toBe(true);
  });

  it('token and api_key revocations match the hash and the key id; expired events are ignored', () => {
    const denylist = createDenylist();
    expect(
      denylist.add({ id: 1, target: { type: 'token', value: 'h1' }, revokedAt: 1, expiresAt: 5 }, 10),
    ).toBe(false);
    denylist.add({ id: 2, target: { type: 'api_key', value: 'key_1' }, revokedAt: 1, expiresAt: 500 }, 10);
    expect(denylist.isRevoked(facts({ keyId: 'key_1', jti: undefined }), 20)).toBe(true);
    expect(denylist.size).toBe(1);
  });

  it('issue 11 item 8 — a key revocation covers every token that kid signed, whatever its iat', () => {
    const denylist = createDenylist();
    denylist.add({ id: 1, target: { type: 'key', value: 'kid_1' }, revokedAt: 100, expiresAt: 1000 }, 100);
    expect(denylist.isRevoked(facts({ signingKeyId: 'kid_1', issuedAt: 500 }), 600)).toBe(true);
    expect(denylist.isRevoked(facts({ signingKeyId: 'kid_2', issuedAt: 50 }), 600)).toBe(false);
    expect(denylist.isRevoked(facts(), 600)).toBe(false);
  });

  it('OpenID CAEP assurance-level-change: tokens of the session issued before it and below its acr must step up; it revokes nothing', () => {
    const denylist = createDenylist();
    const session = (acr: string | undefined, issuedAt: number) =>
      facts({
        sessionId: 'ses_1',
        issuedAt,
        result: { ...facts().result, claims: acr === undefined ? {} : { acr } },
      });
    denylist.add(
      {
        id: 1,
        target: { type: 'assurance', value: 'ses_1 urn:tessera:acr:mfa' },
        revokedAt: 100,
        expiresAt: 1000,
      },
      100,
    );
    expect(denylist.assuranceRequired(session('urn:tessera:acr:pwd', 90), 200)).toBe('urn:tessera:acr:mfa');
    expect(denylist.assuranceRequired(session(undefined, 90), 200)).toBe('urn:tessera:acr:mfa');
    expect(denylist.isRevoked(session('urn:tessera:acr:pwd', 90), 200)).toBe(false);
    // A stronger sign-in, a token from after the event, another session, or after expiresAt: fine.
    expect(denylist.assuranceRequired(session('urn:tessera:acr:phr', 90), 200)).toBeUndefined();
    expect(denylist.assuranceRequired(session('urn:tessera:acr:pwd', 101), 200)).toBeUndefined();
    expect(denylist.assuranceRequired(facts({ sessionId: 'ses_2' }), 200)).toBeUndefined();
    expect(denylist.assuranceRequired(session('urn:tessera:acr:pwd', 90), 1000)).toBeUndefined();
    // A malformed value (no acr) is ignored.
    expect(
      denylist.add(
        { id: 2, target: { type: 'assurance', value: 'ses_3 ' }, revokedAt: 1, expiresAt: 1000 },
        1,
      ),
    ).toBe(false);
    expect(
      denylist.add(
        { id: 3, target: { type: 'assurance', value: 'ses_3' }, revokedAt: 1, expiresAt: 1000 },
        1,
      ),
    ).toBe(false);
  });

  it('OpenID CAEP §3.3 — a credential event lists the change for tokens of that subject from a sign-in (auth_time, else iat) at or before it; revokes nothing, evicts nothing, expires', () => {
    const denylist = createDenylist();
    const event = {
      id: 1,
      target: { type: 'credential' as const, value: 'usr_1 delete app' },
      revokedAt: 150,
      expiresAt: 1000,
    };
    expect(denylist.add(event, 150)).toBe(true);
    const signedInEarlier = facts({
      issuedAt: 200,
      result: { ...facts().result, claims: { auth_time: 140 } },
    });
    expect(denylist.credentialChanges(signedInEarlier, 300)).toEqual([
      { subject: 'usr_1', changeType: 'delete', credentialType: 'app', changedAt: 150 },
    ]);
    expect(denylist.isRevoked(signedInEarlier, 300)).toBe(false);
    expect(denylist.covers(event, signedInEarlier)).toBe(false);
    // A later sign-in, another subject, or no auth_time and a later iat: not covered.
    expect(
      denylist.credentialChanges(facts({ result: { ...facts().result, claims: { auth_time: 151 } } }), 300),
    ).toEqual([]);
    expect(denylist.credentialChanges(facts({ issuedAt: 151 }), 300)).toEqual([]);
    expect(
      denylist.credentialChanges(facts({ result: { ...facts().result, subject: 'usr_2' } }), 300),
    ).toEqual([]);
    // No time at all: covered (fail closed).
    expect(denylist.credentialChanges(facts({ issuedAt: undefined }), 300)).toHaveLength(1);
    expect(denylist.size).toBe(1);
    expect(denylist.credentialChanges(signedInEarlier, 1000)).toEqual([]);
    expect(denylist.prune(1000)).toBe(0);
  });

  it('a malformed credential value (unknown type, missing parts) is ignored', () => {
    const denylist = createDenylist();
    for (const value of [
      'usr_1 delete',
      'usr_1 delete carrier-pigeon',
      'usr_1 erase app',
      ' delete app',
      'usr_1 delete app extra',
    ]) {
      expect(
        denylist.add({ id: 1, target: { type: 'credential', value }, revokedAt: 1, expiresAt: 500 }, 10),
      ).toBe(false);
    }
    expect(denylist.size).toBe(0);
  });

  it('an api_key_changed event, or a target type the denylist does not know (what an older verifier sees of a newer server), revokes and evicts nothing', () => {
    const denylist = createDenylist();
    const key = facts({ keyId: 'key_1', result: { ...facts().result, tokenType: 'api_key' } });
    for (const type of ['api_key_changed', 'from_the_future']) {
      // A later server's type arrives as an unknown string; the wire shape is checked, not the type.
      const event = { id: 1, target: { type, value: 'key_1' }, revokedAt: 100, expiresAt: 500 } as Parameters<
        typeof denylist.add
      >[0];
      expect(denylist.add(event, 100)).toBe(false);
      expect(denylist.covers(event, key)).toBe(false);
      expect(denylist.isRevoked(key, 200)).toBe(false);
    }
    expect(denylist.size).toBe(0);
  });
});
