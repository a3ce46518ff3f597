import { describe, expect, it } from 'vitest';
import { webAuthnSettingsOf } from './passkey-service.js';

describe('webAuthnSettingsOf', () => {
  it("WebAuthn L3 §5.1.2 — by default the RP ID is the issuer's host and the issuer's origin the only origin", () => {
    expect(webAuthnSettingsOf('https://auth.example.com', { challengeTtl: 300 })).toEqual({
      rpId: 'auth.example.com',
      rpName: 'Tessera',
      origins: ['https://auth.example.com'],
      challengeTtl: 300,
    });
    expect(webAuthnSettingsOf('http://localhost:3000', { challengeTtl: 60 }).rpId).toBe('localhost');
  });

  it('a registrable suffix as RP ID covers a sibling front end; the issuer origin stays allowed', () => {
    const settings = webAuthnSettingsOf('https://auth.example.com', {
      rpId: 'example.com',
      origins: ['https://app.example.com', 'https://auth.example.com'],
      challengeTtl: 300,
    });
    expect(settings.rpId).toBe('example.com');
    expect(settings.origins).toEqual(['https://auth.example.com', 'https://app.example.com']);
  });

  it('WebAuthn L3 §5.1.3 — refuses an origin outside the RP ID (the server does not start)', () => {
    expect(() =>
      webAuthnSettingsOf('https://auth.example.com', {
        origins: ['https://evil.example'],
        challengeTtl: 300,
      }),
    ).toThrow(/does not cover the origin https:\/\/evil.example/);
    expect(() =>
      webAuthnSettingsOf('https://auth.example.com', { rpId: 'other.example', challengeTtl: 300 }),
    ).toThrow(/does not cover/);
    // A look-alike suffix is not a suffix.
    expect(() =>
      webAuthnSettingsOf('https://auth.notexample.com', { rpId: 'example.com', challengeTtl: 300 }),
    ).toThrow(/does not cover/);
  });
});
