import { describe, expect, it } from 'vitest';
import { isFormUrlEncoded } from './oauth-post.js';

describe('isFormUrlEncoded (RFC 6749 §3.2, Appendix B)', () => {
  it('accepts the bare media type, in any case and with spaces around it', () => {
    expect(isFormUrlEncoded('application/x-www-form-urlencoded')).toBe(true);
    expect(isFormUrlEncoded('Application/X-WWW-Form-URLEncoded')).toBe(true);
    expect(isFormUrlEncoded(' application/x-www-form-urlencoded ')).toBe(true);
  });

  it('accepts a UTF-8 charset, quoted or not, in any case', () => {
    expect(isFormUrlEncoded('application/x-www-form-urlencoded; charset=utf-8')).toBe(true);
    expect(isFormUrlEncoded('application/x-www-form-urlencoded;charset=UTF-8')).toBe(true);
    expect(isFormUrlEncoded('application/x-www-form-urlencoded; charset="utf-8"')).toBe(true);
  });

  it('refuses another charset, another media type, a longer name and no header', () => {
    expect(isFormUrlEncoded('application/x-www-form-urlencoded; charset=ISO-8859-1')).toBe(false);
    expect(isFormUrlEncoded('application/x-www-form-urlencoded;charset=latin1')).toBe(false);
    expect(isFormUrlEncoded('application/x-www-form-urlencodedx')).toBe(false);
    expect(isFormUrlEncoded('application/x-www-form')).toBe(false);
    expect(isFormUrlEncoded('application/json')).toBe(false);
    expect(isFormUrlEncoded('multipart/form-data')).toBe(false);
    expect(isFormUrlEncoded('')).toBe(false);
    expect(isFormUrlEncoded(undefined)).toBe(false);
  });
});
