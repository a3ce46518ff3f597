import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { formOf, parseForm, single } from './form-body.js';

const request = (body: unknown) => ({ body }) as FastifyRequest;

describe('form access', () => {
  it('RFC 6749 §3.1 — an absent or empty parameter reads as omitted', () => {
    const form = parseForm('a=1&empty=');
    expect(single(form, 'a')).toBe('1');
    expect(single(form, 'empty')).toBeUndefined();
    expect(single(form, 'missing')).toBeUndefined();
    expect(single(undefined, 'a')).toBeUndefined();
  });

  it('RFC 6749 §3.1 — a repeated parameter → invalid_request', () => {
    expect(() => single(parseForm('a=1&a=2'), 'a')).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });

  it('only the form’s own members count: inherited names read as omitted', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(single({}, name), name).toBeUndefined();
      expect(single(formOf(request(undefined)), name), name).toBeUndefined();
    }
  });

  it('no body (or a non-object one) reads as an empty form, a parsed one as itself', () => {
    for (const body of [undefined, null, '', 'text']) {
      expect(Object.keys(formOf(request(body)))).toEqual([]);
      // Read directly (as `body.resource` is), an empty form has no inherited members either.
      expect(formOf(request(body)).toString).toBeUndefined();
    }
    const form = parseForm('grant_type=client_credentials');
    expect(formOf(request(form))).toBe(form);
  });

  it('RFC 6749 Appendix B — names and values are form-urldecoded; plain ones pass as they are', () => {
    const form = parseForm(Buffer.from('a+b%20c=x%2By&plain=tsr_key_abc-_.~&pct=%E2%82%AC&sp=a+b'));
    expect({ ...form }).toEqual({ 'a b c': 'x+y', plain: 'tsr_key_abc-_.~', pct: '€', sp: 'a b' });
  });

  it('a malformed escape or an escape that is not UTF-8 → invalid_request', () => {
    for (const body of ['a=%zz', 'a=%E2%82', 'a%=1', 'a=%FF']) {
      expect(() => parseForm(Buffer.from(body)), body).toThrow(
        expect.objectContaining({ code: 'invalid_request' }),
      );
    }
  });
});
