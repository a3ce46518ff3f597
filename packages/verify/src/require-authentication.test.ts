import { isOAuthError } from '@tessera/protocol';
import { describe, expect, it } from 'vitest';
import { requireAuthentication } from './require-authentication.js';
import { VerifyError } from './verify-error.js';

const NOW = 1_700_000_000;
const token = (claims: Record<string, unknown>) => ({ claims });

function refusal(fn: () => void): VerifyError {
  try {
    fn();
  } catch (error) {
    if (isOAuthError(error)) {
      return VerifyError.from(error, 'api');
    }
    throw error;
  }
  throw new Error('not refused');
}

describe('requireAuthentication (RFC 9470)', () => {
  it('RFC 9470 §4 — a stronger Tessera level satisfies a weaker one; other values must match exactly', () => {
    expect(() =>
      requireAuthentication(token({ acr: 'urn:tessera:acr:phr' }), { acr: 'urn:tessera:acr:mfa' }, NOW),
    ).not.toThrow();
    expect(() =>
      requireAuthentication(token({ acr: 'urn:example:gold' }), { acr: 'urn:example:gold' }, NOW),
    ).not.toThrow();
    const weak = refusal(() =>
      requireAuthentication(
        token({ acr: 'urn:tessera:acr:pwd' }),
        { acr: ['urn:tessera:acr:mfa', 'urn:tessera:acr:phr'] },
        NOW,
      ),
    );
    expect(weak.code).toBe('insufficient_user_authentication');
    expect(weak.status).toBe(401);
    expect(weak.wwwAuthenticate).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:tessera:acr:mfa urn:tessera:acr:phr"',
    );
    // No acr claim at all (a client-credentials token): refused.
    expect(refusal(() => requireAuthentication(token({}), { acr: 'urn:tessera:acr:pwd' }, NOW)).code).toBe(
      'insufficient_user_authentication',
    );
  });

  it('RFC 9470 §3 — max_age: an older auth_time (or none) is refused with max_age in the challenge', () => {
    expect(() => requireAuthentication(token({ auth_time: NOW - 300 }), { maxAge: 300 }, NOW)).not.toThrow();
    const old = refusal(() => requireAuthentication(token({ auth_time: NOW - 301 }), { maxAge: 300 }, NOW));
    expect(old.description).toBe('More recent authentication is required');
    expect(old.wwwAuthenticate).toContain(', max_age=300');
    expect(refusal(() => requireAuthentication(token({}), { maxAge: 300 }, NOW)).code).toBe(
      'insufficient_user_authentication',
    );
  });
});
