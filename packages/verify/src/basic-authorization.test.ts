import { describe, expect, it } from 'vitest';
import { basicAuthorization } from './basic-authorization.js';

const decoded = (header: string) => Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8');

describe('basicAuthorization', () => {
  it('RFC 6749 §2.3.1 — id and secret are form-urlencoded, then base64 after "Basic "', () => {
    const header = basicAuthorization({ clientId: 'cli a+b', clientSecret: 'tsr_cs_x:y/é' });
    expect(header).toMatch(/^Basic [A-Za-z0-9+/]+={0,2}$/);
    expect(decoded(header)).toBe('cli+a%2Bb:tsr_cs_x%3Ay%2F%C3%A9');
  });
});
