import { describe, expect, it } from 'vitest';
import { describeDevice as deviceOf } from './account-page.js';
import { html, renderHtml } from './layout.js';
import { EN } from './texts/en.js';

/** The device line as an English page shows it. */
function describeDevice(userAgent: string | null): string {
  return renderHtml(html`${deviceOf(userAgent)}`, EN);
}

describe('describeDevice', () => {
  it('names browser, system and device type from a User-Agent', () => {
    expect(
      describeDevice(
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      ),
    ).toBe('Chrome 131 on Mac OS 10.15.7 (desktop)');
    expect(
      describeDevice(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      ),
    ).toBe('Mobile Safari 17 on iOS 17.5 (mobile)');
  });

  it('says so when there is nothing to go by, and keeps an unknown string short', () => {
    expect(describeDevice(null)).toBe('Unknown device');
    expect(describeDevice('curl-ish/1.0 '.repeat(20))).toHaveLength(80);
  });
});
