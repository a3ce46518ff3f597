import { describe, expect, it } from 'vitest';
import { isInvalidTokenResponse, parseChallenges, stepUpChallengeOf } from './bearer-challenge.js';

describe('parseChallenges (RFC 9110 §11.6.1)', () => {
  it('RFC 6750 §3 — reads a Bearer challenge with quoted params', () => {
    expect(
      parseChallenges('Bearer realm="api", error="invalid_token", error_description="a \\"b\\""'),
    ).toEqual([
      { scheme: 'bearer', params: { realm: 'api', error: 'invalid_token', error_description: 'a "b"' } },
    ]);
  });

  it('RFC 9110 §11.6.1 — several challenges, token68 and unquoted values', () => {
    expect(parseChallenges('Basic dXNlcg==, Bearer error=invalid_token, scope="a b"')).toEqual([
      { scheme: 'basic', params: {} },
      { scheme: 'bearer', params: { error: 'invalid_token', scope: 'a b' } },
    ]);
  });

  it('stops quietly at garbage', () => {
    expect(parseChallenges('="x"')).toEqual([]);
    expect(parseChallenges('Bearer error="unterminated')).toEqual([{ scheme: 'bearer', params: {} }]);
  });
});

describe('isInvalidTokenResponse', () => {
  const response = (status: number, header?: string) =>
    new Response(null, { status, headers: header === undefined ? {} : { 'www-authenticate': header } });

  it('RFC 6750 §3.1 — 401 with error="invalid_token" → true', () => {
    expect(isInvalidTokenResponse(response(401, 'Bearer realm="x", error="invalid_token"'))).toBe(true);
  });

  it('RFC 6750 §3.1 — no error code (no credentials sent), other codes or other statuses → false', () => {
    expect(isInvalidTokenResponse(response(401, 'Bearer realm="x"'))).toBe(false);
    expect(isInvalidTokenResponse(response(401))).toBe(false);
    expect(isInvalidTokenResponse(response(403, 'Bearer error="insufficient_scope"'))).toBe(false);
    expect(isInvalidTokenResponse(response(401, 'Basic error="invalid_token"'))).toBe(false);
  });
});

describe('stepUpChallengeOf (RFC 9470 §3)', () => {
  const response = (status: number, header: string) => ({
    status,
    headers: new Headers({ 'www-authenticate': header }),
  });

  it('RFC 9470 §3 — reads acr_values (quoted) and max_age (a token) from an insufficient_user_authentication challenge', () => {
    expect(
      stepUpChallengeOf(
        response(
          401,
          'Bearer realm="api", error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:tessera:acr:phr urn:tessera:acr:mfa", max_age=300',
        ),
      ),
    ).toEqual({ acrValues: 'urn:tessera:acr:phr urn:tessera:acr:mfa', maxAge: 300 });
  });

  it('anything else is not a step-up: other errors, other statuses, malformed values dropped', () => {
    expect(stepUpChallengeOf(response(401, 'Bearer error="invalid_token"'))).toBeUndefined();
    expect(
      stepUpChallengeOf(response(403, 'Bearer error="insufficient_user_authentication"')),
    ).toBeUndefined();
    expect(
      stepUpChallengeOf(response(401, 'Bearer error="insufficient_user_authentication", max_age=soon')),
    ).toEqual({});
  });
});
