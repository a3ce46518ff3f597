/**
 * Holds @tessera/client's public surface to its promises (STYLE §9.7, §9.10 habit 7):
 * - every `exports` subpath has a source module, and the package header names it;
 * - the runtime-neutral entry points (`.` and `./web-app`) import nothing from `node:` and do not
 *   pull Node types in, so they run on any runtime with web `fetch`;
 * - every exported declaration has TSDoc with an `@example`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; default: string }>;
};

function sourceOf(distPath: string): string {
  return join(root, distPath.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesUnder(join(dir, entry.name))
      : entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** The local modules a file imports, recursively. */
function closureOf(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) {
    return seen;
  }
  seen.add(file);
  for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) {
    closureOf(join(file, '..', `${match[1]}.ts`), seen);
  }
  return seen;
}

describe('package surface', () => {
  it('every exports subpath has its module, and the package header lists it', () => {
    const header = readFileSync(join(src, 'index.ts'), 'utf8');
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      expect(() => readFileSync(sourceOf(target.default)), subpath).not.toThrow();
      if (subpath !== '.') {
        expect(header, subpath).toContain(`@tessera/client/${subpath.slice(2)}`);
      }
    }
  });

  it('`.` and `./web-app` are runtime-neutral: no node: import, no Node types', () => {
    for (const subpath of ['.', './web-app']) {
      const entry = manifest.exports[subpath];
      expect(entry, subpath).toBeDefined();
      for (const file of closureOf(sourceOf(entry?.default ?? ''))) {
        const text = readFileSync(file, 'utf8');
        // The triple-slash directive is a comment but counts; TSDoc examples do not.
        expect(text, relative(root, file)).not.toContain('reference types="node"');
        const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
        expect(code, relative(root, file)).not.toMatch(/from 'node:|\bBuffer\b|process\./);
      }
    }
  });

  it('STYLE §9.7 — every exported declaration has TSDoc with an @example', () => {
    const missing: string[] = [];
    for (const file of filesUnder(src)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(
        /^export (?:async )?(?:function|const|interface|type|class) (\w+)/gm,
      )) {
        const before = text.slice(0, match.index);
        const doc = before.match(/\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*$/);
        if (doc === null || !doc[0].includes('@example')) {
          missing.push(`${relative(root, file)}: ${match[1]}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
