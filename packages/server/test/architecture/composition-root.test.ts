/**
 * DESIGN §2 and STYLE §9.10 habit 2, for wiring: one composition root. `main.ts` and the
 * `compose/` folder it owns build every service; the HTTP features receive them built and only
 * register routes. (Beside layers.test.ts, which holds the import-direction rules.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const server = new URL('../../src/', import.meta.url).pathname;
const rel = (file: string) => relative(server, file);

/** Factories http/ may call: discovery's capability sets are bookkeeping, not a service. */
const HTTP_MAY_CREATE: ReadonlySet<string> = new Set(['createCapabilities']);

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

/** `[names, spec]` of every value import (`import { a, b } from '…'`, not `import type`). */
function valueImportsOf(text: string): Array<[string[], string]> {
  return [...text.matchAll(/^import\s+(?!type\s)\{([^}]*)\}\s+from\s+['"]([^'"]+)['"]/gm)].map((m) => [
    (m[1] ?? '').split(',').map((name) => name.trim()),
    m[2] ?? '',
  ]);
}

/** True when an import from a file in http/ leaves http/ (into oauth/, tokens/, users/, …). */
function leavesHttp(path: string, spec: string): boolean {
  const depth = path.split('/').length - 1;
  return spec.startsWith('../'.repeat(depth));
}

describe('one composition root', () => {
  it('issue 12 item 17 — http/ constructs no service: no create* factory imported from the layers below', () => {
    const offenders: string[] = [];
    for (const file of sources(join(server, 'http'))) {
      const path = rel(file);
      for (const [names, spec] of valueImportsOf(readFileSync(file, 'utf8'))) {
        if (!leavesHttp(path, spec)) {
          continue;
        }
        for (const name of names) {
          if (/^create[A-Z]\w*$/.test(name) && !HTTP_MAY_CREATE.has(name)) {
            offenders.push(`${path} → ${name} from ${spec}`);
          }
        }
      }
    }
    expect(offenders).toEqual([]);
    // The rule can see what it forbids: the composition root does import service factories.
    const users = valueImportsOf(readFileSync(join(server, 'compose/users.ts'), 'utf8'));
    expect(users.some(([names]) => names.includes('createUserService'))).toBe(true);
  });

  it('issue 12 item 17 — only main.ts imports compose/', () => {
    const offenders: string[] = [];
    for (const file of sources(server)) {
      const path = rel(file);
      if (path === 'main.ts' || path.startsWith('compose/')) {
        continue;
      }
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
        if (/(^|\/)compose\//.test(m[1] ?? '')) {
          offenders.push(`${path} → ${m[1]}`);
        }
      }
    }
    expect(offenders).toEqual([]);
    expect(readFileSync(join(server, 'main.ts'), 'utf8')).toMatch(/from '\.\/compose\//);
  });
});
