import { describe, expect, it } from 'vitest';
import { isScopeToken, missingScopes, parseScope } from './scope.js';

describe('scope (RFC 6749 §3.3)', () => {
  it('RFC 6749 §3.3 — space-delimited; extra spaces and duplicates dropped; absent → empty', () => {
    expect(parseScope('read  write read ')).toEqual(['read', 'write']);
    expect(parseScope('')).toEqual([]);
    expect(parseScope(undefined)).toEqual([]);
  });

  it('RFC 6749 §3.3 — scope-token = 1*( %x21 / %x23-5B / %x5D-7E )', () => {
    for (const token of ['read', 'cookies:eat', 'a!#[]^~', 'https://api.example/x']) {
      expect(isScopeToken(token), token).toBe(true);
    }
    for (const token of ['', 'a b', 'say"hi', 'back\\slash', 'tab\t', 'é', '\x7F']) {
      expect(isScopeToken(token), JSON.stringify(token)).toBe(false);
    }
  });

  it('RFC 6749 §3.3 / RFC 6750 §3.1 — the scopes wanted but not granted, in order; none for a subset', () => {
    expect(missingScopes(['admin', 'read', 'root'], ['read', 'write'])).toEqual(['admin', 'root']);
    expect(missingScopes(['read'], ['read', 'write'])).toEqual([]);
    expect(missingScopes([], [])).toEqual([]);
  });
});
