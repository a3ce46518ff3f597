import { describe, expect, it } from 'vitest';
import { isSameOrigin, isTrustedApiCall } from './csrf.js';
import { sessionCookieFor } from './session-cookie.js';

const ORIGIN = 'https://app.example';

describe('CSRF checks', () => {
  it('Fetch Metadata decides when present', () => {
    expect(isSameOrigin({ 'sec-fetch-site': 'same-origin', origin: 'null' }, ORIGIN)).toBe(true);
    expect(isSameOrigin({ 'sec-fetch-site': 'same-site' }, ORIGIN)).toBe(false);
    expect(isSameOrigin({ 'sec-fetch-site': 'cross-site', origin: ORIGIN }, ORIGIN)).toBe(false);
  });

  it('RFC 6454 Origin is checked without Fetch Metadata; null is refused', () => {
    expect(isSameOrigin({ origin: ORIGIN }, ORIGIN)).toBe(true);
    expect(isSameOrigin({ origin: 'https://evil.example' }, ORIGIN)).toBe(false);
    expect(isSameOrigin({ origin: 'null' }, ORIGIN)).toBe(false);
  });

  it('proxy calls also need the custom header', () => {
    expect(isTrustedApiCall({ origin: ORIGIN }, ORIGIN)).toBe(false);
    expect(isTrustedApiCall({ origin: ORIGIN, 'x-requested-with': 'fetch' }, ORIGIN)).toBe(true);
  });
});

describe('session cookie', () => {
  it('RFC 6265bis §4.1.3.2 — on https: __Host- prefix, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain', () => {
    const cookie = sessionCookieFor(new URL('https://app.example'));
    expect(cookie.serialize('v', 60)).toBe(
      '__Host-bff-session=v; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=60',
    );
    expect(cookie.clear()).toMatch(/Max-Age=0$/);
    expect(cookie.read('a=1; __Host-bff-session=v; b=2')).toBe('v');
  });

  it('on http://localhost (development): no prefix and no Secure, the rest kept', () => {
    expect(sessionCookieFor(new URL('http://localhost:3000')).serialize('v', 60)).toBe(
      'bff-session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60',
    );
  });

  it('plain http anywhere else is refused', () => {
    expect(() => sessionCookieFor(new URL('http://app.example'))).toThrow(/https/);
  });
});
