import { describe, expect, it } from 'vitest';
import { audiencesOutside, findResourceUriProblem, isResourceUri } from './audience.js';

describe('audiences (RFC 8707)', () => {
  it('RFC 8707 §2 — an absolute URI without a fragment names a resource', () => {
    for (const uri of ['https://api.example.com', 'https://api.example.com/v1?x=1', 'urn:example:api']) {
      expect(findResourceUriProblem(uri), uri).toBeUndefined();
      expect(isResourceUri(uri), uri).toBe(true);
    }
  });

  it('RFC 8707 §2 — a fragment, a relative reference, spaces, control characters, empty or over-long → refused', () => {
    for (const uri of [
      'https://api.example.com/#x',
      '/relative',
      'api.example.com',
      ' https://api.example.com',
      'https://api.example.com/a b',
      'https://api.example.com/\u0000',
      '',
      `https://api.example.com/${'a'.repeat(2000)}`,
    ]) {
      expect(isResourceUri(uri), JSON.stringify(uri)).toBe(false);
      expect(findResourceUriProblem(uri), JSON.stringify(uri)).toEqual(expect.any(String));
    }
  });

  it('RFC 8707 §2.2 — the audiences asked for beyond those allowed, in order; none for a subset', () => {
    const allowed = ['https://a.example', 'https://b.example'];
    expect(
      audiencesOutside(['https://c.example', 'https://a.example', 'https://d.example'], allowed),
    ).toEqual(['https://c.example', 'https://d.example']);
    expect(audiencesOutside(['https://b.example'], allowed)).toEqual([]);
    expect(audiencesOutside([], [])).toEqual([]);
  });
});
