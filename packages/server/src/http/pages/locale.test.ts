import { describe, expect, it } from 'vitest';
import { negotiateLocale, parseAcceptLanguage } from './locale.js';

const available = new Set(['en', 'de']);

describe('the language of the pages', () => {
  it('RFC 9110 §12.5.4 — Accept-Language ranges are ordered by q, equal weights keep their order, q=0 means not this', () => {
    expect(parseAcceptLanguage('fr;q=0.3, de-AT , en;q=0.8')).toEqual(['de-AT', 'en', 'fr']);
    expect(parseAcceptLanguage('de;q=0, en;q=0.5')).toEqual(['en']);
    expect(parseAcceptLanguage('da, en-GB;q=0.8, en;q=0.7')).toEqual(['da', 'en-GB', 'en']);
  });

  it('RFC 9110 §12.5.4 — a malformed member is skipped, not fatal', () => {
    expect(parseAcceptLanguage('<script>, de;q=abc, ;;, en;q=0.2')).toEqual(['de', 'en']);
    expect(parseAcceptLanguage('')).toEqual([]);
  });

  it('RFC 9110 §12.5.4 — the best available range wins; a region tag matches its language (RFC 4647 §3.4)', () => {
    expect(negotiateLocale({ acceptLanguage: 'fr, de-CH;q=0.9, en;q=0.8', available, fallback: 'en' })).toBe(
      'de',
    );
    expect(negotiateLocale({ acceptLanguage: 'de;q=0.1, en;q=0.9', available, fallback: 'de' })).toBe('en');
  });

  it('OIDC Core §3.1.2.1 — ui_locales, in its order, comes before Accept-Language; unsupported tags are skipped', () => {
    expect(
      negotiateLocale({ uiLocales: ['fr-CA', 'de'], acceptLanguage: 'en', available, fallback: 'en' }),
    ).toBe('de');
    expect(negotiateLocale({ uiLocales: ['fr'], acceptLanguage: 'de', available, fallback: 'en' })).toBe(
      'de',
    );
  });

  it('neither names an available language → the default (pages.defaultLocale)', () => {
    expect(negotiateLocale({ acceptLanguage: 'fr, *;q=0.1', available, fallback: 'de' })).toBe('de');
    expect(negotiateLocale({ available, fallback: 'en' })).toBe('en');
  });
});
