/**
 * DESIGN §2 and STYLE §9.10 habit 2: dependencies point one way, and this test proves it.
 * http → oauth → tokens → keys → store ports; adapters are wired only in main.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../../', import.meta.url).pathname;

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

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/import\(['"]([^'"]+)['"]\)/g),
  ].map((m) => m[1] ?? '');
}

const server = join(ROOT, 'server/src');
const rel = (file: string) => relative(server, file);

describe('layer rules', () => {
  it('only main.ts and the store itself import storage adapters (sql, sqlite, postgres, open-store)', () => {
    const offenders: string[] = [];
    for (const file of sources(server)) {
      const path = rel(file);
      if (path === 'main.ts' || path.startsWith('store/')) {
        continue;
      }
      for (const spec of importsOf(file)) {
        if (/store\/(sql|sqlite|postgres)\/|store\/open-store/.test(spec)) {
          offenders.push(`${path} → ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
    // The rule can see what it forbids: the composition root does import an adapter.
    expect(importsOf(join(server, 'main.ts')).some((spec) => /store\/open-store/.test(spec))).toBe(true);
  });

  it('oauth/, tokens/, keys/ never import HTTP or SQL libraries, nor the http/ layer', () => {
    const offenders: string[] = [];
    for (const file of sources(server)) {
      const path = rel(file);
      if (!/^(oauth|tokens|keys)\//.test(path)) {
        continue;
      }
      for (const spec of importsOf(file)) {
        if (/^(fastify|@fastify\/|kysely|pg|better-sqlite3)/.test(spec) || /\/http\//.test(spec)) {
          offenders.push(`${path} → ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('store/ never reaches up into http/, oauth/ or tokens/', () => {
    const offenders: string[] = [];
    for (const file of sources(join(server, 'store'))) {
      for (const spec of importsOf(file)) {
        if (/\.\.\/(\.\.\/)?(http|oauth|tokens|cli)\//.test(spec)) {
          offenders.push(`${rel(file)} → ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('only config/ reads process.env', () => {
    const offenders = sources(server)
      .filter((file) => !rel(file).startsWith('config/'))
      .filter((file) => /process\.env\b/.test(readFileSync(file, 'utf8')))
      .map(rel);
    expect(offenders).toEqual([]);
  });

  it('@tessera/protocol has no dependencies and no I/O', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'protocol/package.json'), 'utf8')) as {
      dependencies?: object;
    };
    expect(pkg.dependencies ?? {}).toEqual({});
    for (const file of sources(join(ROOT, 'protocol/src'))) {
      for (const spec of importsOf(file)) {
        expect(spec.startsWith('.'), `${relative(ROOT, file)} imports ${spec}`).toBe(true);
      }
    }
  });
});
