import { describe, expect, it } from 'vitest';
import { isBasicAuthorization } from './client-secret-basic.js';

describe('isBasicAuthorization', () => {
  it('RFC 7617 §2 — the Basic scheme, in any case, with or without credentials', () => {
    for (const header of ['Basic dXNlcjpwYXNz', 'basic dXNlcjpwYXNz', 'BASIC x', 'Basic']) {
      expect(isBasicAuthorization(header), header).toBe(true);
    }
  });

  it('RFC 7617 §2 — another scheme, a longer scheme name, or no header is not Basic', () => {
    for (const header of [undefined, '', 'Bearer abc', 'Basicx dXNlcg==', 'Basic-ish x', ' Basic x']) {
      expect(isBasicAuthorization(header), String(header)).toBe(false);
    }
  });
});
