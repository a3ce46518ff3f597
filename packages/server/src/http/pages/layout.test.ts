import { describe, expect, it } from 'vitest';
import { html, renderHtml, STYLE } from './layout.js';
import { scopeText, t } from './texts/index.js';

/** WCAG 2.2 relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The colour variables of the `:root` rule that follows `marker` in the style sheet. */
function variables(marker: string): Record<string, string> {
  const start = STYLE.indexOf(marker);
  const rule = /:root\{([^}]*)\}/.exec(STYLE.slice(start))?.[1] ?? '';
  return Object.fromEntries([...rule.matchAll(/--([a-z-]+):(#[0-9a-f]{6})/g)].map((m) => [m[1], m[2]]));
}

/** Text colour on background colour, as the style sheet pairs them. */
const PAIRS: Array<[string, string]> = [
  ['fg', 'bg'],
  ['fg', 'card'],
  ['muted', 'card'],
  ['link', 'card'],
  ['accent-fg', 'accent'],
  ['secondary-fg', 'secondary-bg'],
  ['error-fg', 'error-bg'],
  ['ok-fg', 'ok-bg'],
];

describe('the built-in style sheet', () => {
  for (const [scheme, marker] of [
    ['light', ':root{color-scheme'],
    ['dark (prefers-color-scheme: dark)', '@media (prefers-color-scheme:dark)'],
  ] as const) {
    it(`WCAG 2.2 SC 1.4.3 — every text colour of the ${scheme} scheme has at least 4.5:1 contrast`, () => {
      const vars = variables(marker);
      for (const [text, background] of PAIRS) {
        const ratio = contrast(vars[text] ?? '#000000', vars[background] ?? '#000000');
        expect(ratio, `${text} on ${background}`).toBeGreaterThanOrEqual(4.5);
      }
    });
  }
});

describe('texts in a page', () => {
  it('a text and its values are escaped: an override cannot add markup', () => {
    const page = html`<p>${t('consent.signedInAs', { username: '<b>x</b>' })}</p>`;
    expect(renderHtml(page, { 'consent.signedInAs': '<i>{username}</i>' })).toBe(
      '<p>&#60;i&#62;&#60;b&#62;x&#60;/b&#62;&#60;/i&#62;</p>',
    );
  });

  it("a scope's description is the operator's text, else a line naming it", () => {
    const page = html`<li>${scopeText('cookies:eat')}</li>`;
    expect(renderHtml(page, { 'scope.cookies:eat': 'Eat your cookies' })).toBe('<li>Eat your cookies</li>');
    expect(renderHtml(page, {})).toBe('<li>Use the permission “cookies:eat”</li>');
  });
});
