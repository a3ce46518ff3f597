import { describe, expect, it } from 'vitest';
import {
  extractToken,
  parseAuthorizationHeader,
  type RequestView,
  type TokenSourceOptions,
} from './bearer.js';

const STRICT: TokenSourceOptions = { body: false, query: false, apiKeyHeader: 'x-api-key' };
const OPEN: TokenSourceOptions = { body: true, query: true, apiKeyHeader: 'x-api-key' };

function viewOf(parts: {
  headers?: Record<string, string>;
  query?: string;
  form?: string;
  method?: string;
}): RequestView {
  const query = new URLSearchParams(parts.query ?? '');
  const form = parts.form === undefined ? undefined : new URLSearchParams(parts.form);
  return {
    method: parts.method ?? 'POST',
    header: (name) => parts.headers?.[name],
    query: (name) => query.getAll(name),
    form: (name) => form?.getAll(name),
  };
}

describe('RFC 6750 §2 token extraction', () => {
  it('RFC 6750 §2.1 — "Bearer" is case-insensitive, the token is a b64token', () => {
    expect(parseAuthorizationHeader('Bearer abc.DEF-_~+/=')).toBe('abc.DEF-_~+/=');
    expect(parseAuthorizationHeader('bearer abc')).toBe('abc');
    expect(parseAuthorizationHeader('BEARER   abc')).toBe('abc');
  });

  it('RFC 6750 §2.1 — another scheme is no bearer credential; a broken Bearer is invalid_request', () => {
    expect(parseAuthorizationHeader('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(parseAuthorizationHeader(undefined)).toBeUndefined();
    for (const broken of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a"b', '{}']) {
      expect(() => parseAuthorizationHeader(broken)).toThrow(
        expect.objectContaining({ code: 'invalid_request' }),
      );
    }
  });

  it('RFC 6750 §2.2/§2.3 — body and query tokens are read only when enabled', async () => {
    const view = viewOf({ query: 'access_token=q', form: 'access_token=b' });
    await expect(extractToken(viewOf({ query: 'access_token=q' }), STRICT)).resolves.toBeUndefined();
    await expect(extractToken(viewOf({ form: 'access_token=b' }), STRICT)).resolves.toBeUndefined();
    await expect(extractToken(viewOf({ query: 'access_token=q' }), OPEN)).resolves.toEqual({
      token: 'q',
      source: 'query',
    });
    await expect(extractToken(viewOf({ form: 'access_token=b' }), OPEN)).resolves.toEqual({
      token: 'b',
      source: 'body',
    });
    await expect(extractToken(view, OPEN)).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('RFC 6750 §2.2 — a GET request carries no body token', async () => {
    await expect(
      extractToken(viewOf({ method: 'GET', form: 'access_token=b' }), OPEN),
    ).resolves.toBeUndefined();
  });

  it('RFC 6750 §2 — more than one method, or a repeated parameter, is invalid_request', async () => {
    const both = viewOf({ headers: { authorization: 'Bearer h' }, query: 'access_token=q' });
    await expect(extractToken(both, OPEN)).rejects.toMatchObject({ code: 'invalid_request' });
    const key = viewOf({ headers: { authorization: 'Bearer h', 'x-api-key': 'tsr_key_x' } });
    await expect(extractToken(key, STRICT)).rejects.toMatchObject({ code: 'invalid_request' });
    const repeated = viewOf({ query: 'access_token=a&access_token=b' });
    await expect(extractToken(repeated, OPEN)).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('the API-key header is a source of its own', async () => {
    await expect(extractToken(viewOf({ headers: { 'x-api-key': 'tsr_key_x' } }), STRICT)).resolves.toEqual({
      token: 'tsr_key_x',
      source: 'api_key_header',
    });
    await expect(
      extractToken(viewOf({ headers: { 'x-api-key': 'tsr_key_x' } }), { ...STRICT, apiKeyHeader: false }),
    ).resolves.toBeUndefined();
  });
});
