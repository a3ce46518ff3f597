import { describe, expect, it } from 'vitest';
import { ACR_MFA, ACR_PHR, ACR_PWD, acrFor, combineAmr, satisfiesAcr } from './context.js';

describe('authentication context (RFC 8176 amr → OIDC Core §2 acr)', () => {
  it('RFC 8176 §2 — a password alone is pwd; password + otp is mfa; a verified passkey is phr', () => {
    expect(acrFor([])).toBeNull();
    expect(acrFor(['pwd'])).toBe(ACR_PWD);
    expect(acrFor(['otp'])).toBe(ACR_PWD);
    expect(acrFor(['pwd', 'otp', 'mfa'])).toBe(ACR_MFA);
    expect(acrFor(['pwd', 'otp'])).toBe(ACR_MFA);
    expect(acrFor(['hwk', 'user'])).toBe(ACR_PHR);
    expect(acrFor(['swk', 'pin', 'mfa'])).toBe(ACR_PHR);
    // A key without user verification is not phishing-resistant multi-factor on its own.
    expect(acrFor(['hwk'])).toBe(ACR_PWD);
    expect(acrFor(['pwd', 'hwk', 'mfa'])).toBe(ACR_MFA);
  });

  it('RFC 8176 §2 "mfa" — added when more than one factor was used, never twice', () => {
    expect(combineAmr(['pwd'])).toEqual(['pwd']);
    expect(combineAmr(['pwd'], ['otp'])).toEqual(['pwd', 'otp', 'mfa']);
    expect(combineAmr(['pwd', 'mfa'], ['otp', 'mfa'])).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('RFC 9470 §4 / OIDC Core §3.1.2.1 acr_values — a level satisfies itself and every weaker one', () => {
    expect(satisfiesAcr(ACR_PWD, [ACR_MFA])).toBe(false);
    expect(satisfiesAcr(ACR_MFA, [ACR_MFA])).toBe(true);
    expect(satisfiesAcr(ACR_PHR, [ACR_MFA])).toBe(true);
    expect(satisfiesAcr(ACR_MFA, [ACR_PHR])).toBe(false);
    // Any one of the values listed is enough (the weakest known one decides).
    expect(satisfiesAcr(ACR_MFA, [ACR_PHR, ACR_MFA])).toBe(true);
    expect(satisfiesAcr(null, [ACR_PWD])).toBe(false);
    // Unknown values are ignored (a voluntary claim); none known → satisfied.
    expect(satisfiesAcr(ACR_PWD, ['urn:example:gold'])).toBe(true);
  });
});

describe('MFA policy → wanted acr (DESIGN §9)', () => {
  it('client require_mfa, the global setting or the person raise the level to mfa; acr_values may ask more', async () => {
    const { mfaRequired, wantedAcr } = await import('./policy.js');
    const client = { requireMfa: false };
    expect(mfaRequired({ global: false, client })).toBe(false);
    expect(mfaRequired({ global: true, client })).toBe(true);
    expect(mfaRequired({ global: false, client: { requireMfa: true } })).toBe(true);
    expect(mfaRequired({ global: false, client, user: { mfaRequired: true } })).toBe(true);
    expect(wantedAcr([], false)).toEqual([]);
    expect(wantedAcr([], true)).toEqual([ACR_MFA]);
    expect(wantedAcr([ACR_PWD], true)).toEqual([ACR_MFA]);
    expect(wantedAcr([ACR_PHR], true)).toEqual([ACR_PHR]);
    expect(wantedAcr([ACR_PHR], false)).toEqual([ACR_PHR]);
  });
});
