import { describe, expect, it } from 'vitest';
import { findJwksUriProblem, findRedirectUriProblem } from './redirect-uri.js';

const prod = { dev: false };
const dev = { dev: true };

describe('findRedirectUriProblem', () => {
  it.each([
    'https://app.example.com/callback',
    'https://app.example.com:8443/cb?tenant=a',
    'http://127.0.0.1/callback',
    'http://127.0.0.1:51004/callback',
    'http://[::1]/cb',
    'com.example.app:/oauth2redirect/example-provider',
  ])('RFC 8252 §7 — accepts %s', (uri) => {
    expect(findRedirectUriProblem(uri, prod)).toBeUndefined();
  });

  it.each([
    ['relative', '/callback'],
    ['a fragment (RFC 6749 §3.1.2)', 'https://app.example.com/cb#frag'],
    ['an empty fragment', 'https://app.example.com/cb#'],
    ['plain http off loopback (RFC 8252 §7.3)', 'http://app.example.com/cb'],
    ['localhost outside dev (RFC 8252 §8.3)', 'http://localhost/cb'],
    ['a scheme without a dot (RFC 8252 §7.1)', 'myapp:/cb'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,hi'],
    ['credentials', 'https://user:pass@app.example.com/cb'],
    ['a wildcard (RFC 9700 §4.1.3)', 'https://*.example.com/cb'],
    ['spaces', 'https://app.example.com/a b'],
    ['non-ASCII', 'https://app.example.com/café'],
    ['empty', ''],
  ])('refuses %s', (_title, uri) => {
    expect(findRedirectUriProblem(uri, prod)).toEqual(expect.any(String));
  });

  it('accepts http://localhost in --dev only', () => {
    expect(findRedirectUriProblem('http://localhost:3000/cb', dev)).toBeUndefined();
  });
});

describe('findJwksUriProblem', () => {
  it('needs https; loopback http only in --dev', () => {
    expect(findJwksUriProblem('https://keys.example.com/jwks.json', prod)).toBeUndefined();
    expect(findJwksUriProblem('http://keys.example.com/jwks.json', prod)).toEqual(expect.any(String));
    expect(findJwksUriProblem('http://127.0.0.1:8080/jwks.json', prod)).toEqual(expect.any(String));
    expect(
      findJwksUriProblem('http://127.0.0.1:8080/jwks.json', { ...dev, allowPrivateJwksUri: true }),
    ).toBeUndefined();
  });

  it('issue 12 item 6 — a non-public host is refused unless clients.allowPrivateJwksUri, even in --dev', () => {
    for (const uri of [
      'http://127.0.0.1:8080/jwks.json',
      'https://169.254.169.254/jwks',
      'https://[::1]/jwks',
    ]) {
      expect(findJwksUriProblem(uri, dev), uri).toMatch(/clients\.allowPrivateJwksUri/);
      expect(findJwksUriProblem(uri, prod), uri).toEqual(expect.any(String));
    }
    expect(
      findJwksUriProblem('https://10.0.0.1/jwks', { ...prod, allowPrivateJwksUri: true }),
    ).toBeUndefined();
  });
});
