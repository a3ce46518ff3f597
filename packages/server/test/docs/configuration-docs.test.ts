import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigurationDocs } from '../../src/config/docs.js';
import { listOptions } from '../../src/config/schema.js';

const DOC = new URL('../../../../docs/configuration.md', import.meta.url);

describe('docs/configuration.md', () => {
  it('is generated from the schema and current (regenerate with `npm run docs`)', () => {
    expect(readFileSync(DOC, 'utf8')).toBe(renderConfigurationDocs());
  });

  it('lists every option with its environment variable', () => {
    const doc = readFileSync(DOC, 'utf8');
    for (const option of listOptions()) {
      expect(doc, option.path).toContain(`| \`${option.path}\` | \`${option.env}\``);
    }
  });
});
