import { describe, expect, it } from 'vitest';
import { STYLE } from '../pages/layout.js';
import { CHART_STYLE } from './chart-assets.js';

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

/** The colour variables of the first `:root` rule after `marker` in `sheet`. */
function variables(sheet: string, marker: string): Record<string, string> {
  const rule = /:root\{([^}]*)\}/.exec(sheet.slice(sheet.indexOf(marker)))?.[1] ?? '';
  return Object.fromEntries([...rule.matchAll(/--([a-z0-9-]+):(#[0-9a-f]{6})/g)].map((m) => [m[1], m[2]]));
}

describe('the chart style sheet', () => {
  for (const [scheme, chartMarker, pageMarker] of [
    ['light', ':root{--s0', ':root{color-scheme'],
    ['dark', '@media (prefers-color-scheme:dark)', '@media (prefers-color-scheme:dark)'],
  ] as const) {
    it(`WCAG 2.2 SC 1.4.11 — each of the six series colours of the ${scheme} scheme has at least 3:1 against the page's card`, () => {
      const series = variables(CHART_STYLE, chartMarker);
      const card = variables(STYLE, pageMarker).card ?? '#000000';
      expect(Object.keys(series)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
      for (const [name, colour] of Object.entries(series)) {
        expect(contrast(colour, card), `--${name} on the card`).toBeGreaterThanOrEqual(3);
      }
    });
  }
});
