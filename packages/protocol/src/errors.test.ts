import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isValidErrorDescription, OAUTH_ERROR_CODES, OAUTH_ERROR_STATUS, OAuthError } from './errors.js';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const rows = [...docs.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => ({
  code: m[1],
  status: Number(m[2]),
}));

describe('OAuthError code table', () => {
  it('every code has exactly one row in docs/errors.md with its status, and the docs list nothing extra', () => {
    expect(rows.map((r) => r.code).sort()).toEqual([...OAUTH_ERROR_CODES].sort());
    for (const row of rows) {
      expect(OAUTH_ERROR_STATUS[row.code as keyof typeof OAUTH_ERROR_STATUS]).toBe(row.status);
    }
  });

  it('RFC 6750 §3.1 — invalid_token is 401 and insufficient_scope is 403; RFC 6749 §5.2 — invalid_client is 401', () => {
    expect(OAuthError.invalidToken('x').status).toBe(401);
    expect(OAuthError.insufficientScope('x').status).toBe(403);
    expect(OAuthError.invalidClient('x').status).toBe(401);
    expect(OAuthError.invalidRequest('x').status).toBe(400);
  });

  it('every static factory creates its own code', () => {
    for (const code of OAUTH_ERROR_CODES) {
      const factory = code.replace(/_([a-z])/g, (_m, c: string) =>
        c.toUpperCase(),
      ) as keyof typeof OAuthError;
      const make = OAuthError[factory] as unknown as (d: string) => OAuthError;
      expect(typeof make, `factory OAuthError.${String(factory)}`).toBe('function');
      expect(make('described').code).toBe(code);
    }
  });

  it('RFC 6749 §5.2 — error_description stays within %x20-21 / %x23-5B / %x5D-7E, even from hostile input', () => {
    expect(isValidErrorDescription('Parameter grant_type must not be repeated')).toBe(true);
    expect(isValidErrorDescription('quote " here')).toBe(false);
    const error = OAuthError.invalidRequest('bad "value" \\ é \n');
    expect(isValidErrorDescription(error.description)).toBe(true);
    expect(error.toJSON()).toEqual({ error: 'invalid_request', error_description: error.description });
  });

  it('keeps the cause private: toJSON never includes it', () => {
    const error = OAuthError.invalidGrant('The code has expired', {
      cause: new Error('row 42 expired_at=…'),
    });
    expect(JSON.stringify(error)).not.toContain('row 42');
  });
});
