import { describe, expect, it } from 'vitest';
import { safeReturnTo } from './return-to.js';

const base = { origin: 'https://app.example', basePath: '' };
const mounted = { origin: 'https://app.example', basePath: '/app' };

/** Values a browser could turn into another origin, each as the BFF receives it (decoded once). */
const hostile: [string, string][] = [
  ['protocol-relative', '//evil.example'],
  ['protocol-relative with path', '//evil.example/jar'],
  ['backslash after slash', '/\\evil.example'],
  ['two backslashes', '\\\\evil.example'],
  ['escaped slashes', '\\/\\/evil.example'],
  ['tab between slashes', '/\t/evil.example'],
  ['newline between slashes', '/\n/evil.example'],
  ['CR LF between slashes', '/\r\n/evil.example'],
  ['NUL between slashes', '/\u0000/evil.example'],
  ['DEL between slashes', '/\u007f/evil.example'],
  ['leading space', ' //evil.example'],
  ['leading tab', '\t//evil.example'],
  ['scheme without slashes', 'https:evil.example'],
  ['absolute URL', 'https://evil.example/'],
  ['mixed-case scheme', 'HtTpS://evil.example'],
  ['javascript URL', 'javascript:alert(1)'],
  ['data URL', 'data:text/html,<script>alert(1)</script>'],
  ['relative path', 'evil.example'],
  ['userinfo trick', '@evil.example'],
  ['encoded slashes', '/%2F%2Fevil.example'],
  ['encoded slash after slash', '/%2Fevil.example'],
  ['encoded backslash', '/%5Cevil.example'],
  ['encoded tab', '/%09/evil.example'],
  ['encoded newline', '/%0A/evil.example'],
  ['malformed escape', '/%E0%A4%A'],
  ['empty', ''],
];

describe('BFF returnTo (issue 12 item 3, RFC 9700 §4.11 open redirection)', () => {
  it.each(hostile)('%s (%j) → the BFF root, never another origin', (_name, value) => {
    expect(safeReturnTo(value, base)).toBe('/');
    expect(safeReturnTo(value, mounted)).toBe('/app/');
  });

  it('no returnTo → the BFF root', () => {
    expect(safeReturnTo(null, base)).toBe('/');
    expect(safeReturnTo(null, mounted)).toBe('/app/');
  });

  it.each([
    ['/', '/'],
    ['/jar?x=1', '/jar?x=1'],
    ['/jar#top', '/jar#top'],
    ['/a/../b', '/b'],
    ['/..//evil.example', '/'],
    ['/caf\u00e9', '/caf%C3%A9'],
    ['/jar?next=//evil.example', '/jar?next=//evil.example'],
  ])('a local path %j is kept, as the URL parser serializes it', (value, expected) => {
    expect(safeReturnTo(value, base)).toBe(expected);
  });

  it('under a base path, the path is resolved below it', () => {
    expect(safeReturnTo('/jar?x=1', mounted)).toBe('/app/jar?x=1');
  });

  it('whatever it returns, a browser resolves it on the same origin', () => {
    for (const [, value] of hostile) {
      const location = safeReturnTo(value, base);
      // What a browser does with a Location header: strip tabs/newlines, then resolve.
      const browserView = new URL(location.replace(/[\t\n\r]/g, ''), 'https://app.example/some/page');
      expect(browserView.origin).toBe('https://app.example');
    }
  });
});
