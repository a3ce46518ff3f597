/**
 * Comments explain why and cite the clause (STYLE §9.7); they do not point at issue numbers or
 * plans, which go stale as soon as the work lands. Test titles may still name the issue item they
 * prove, so `it(…)` and `describe(…)` lines are not checked.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const PACKAGES = new URL('../../../', import.meta.url).pathname;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      out.push(...sources(path));
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) {
      out.push(path);
    }
  }
  return out;
}

/** `issue 6`, `(issue 3)`, `issue #4`, `(issue: API keys)`, `INTERFACE FIRST`: tracker or plan pointers. */
const STALE = /\b[Ii]ssues?\s+#?\d+|\(issue: [A-Z]|INTERFACE FIRST/;
const TEST_TITLE = /^\s*(it|describe|test)(\.\w+)?\(/;

describe('comments in packages/*/src', () => {
  it('issue 12 item 17 — no comment points at an issue number or a plan', () => {
    const offenders: string[] = [];
    for (const pkg of readdirSync(PACKAGES)) {
      const src = join(PACKAGES, pkg, 'src');
      if (!statSync(join(PACKAGES, pkg)).isDirectory() || !statSync(src, { throwIfNoEntry: false })) {
        continue;
      }
      for (const file of sources(src)) {
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, index) => {
            if (STALE.test(line) && !TEST_TITLE.test(line)) {
              offenders.push(`${relative(PACKAGES, file)}:${index + 1}: ${line.trim()}`);
            }
          });
      }
    }
    expect(offenders).toEqual([]);
  });
});
