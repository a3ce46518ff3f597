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

/** Factories http/ may call: per-request bookkeeping, not services (discovery's capability sets). */
const HTTP_MAY_CREATE: ReadonlySet<string> = new Set(['createCapabilities']);
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

  it('issue 12 item 17 — one composition root: only main.ts imports compose/, and http/ constructs no service', () => {
    const offenders: string[] = [];
    for (const file of sources(server)) {
      const path = rel(file);
      const text = readFileSync(file, 'utf8');
      for (const spec of importsOf(file)) {
        if (/(^|\/)compose\//.test(spec) && path !== 'main.ts' && !path.startsWith('compose/')) {
          offenders.push(`${path} → ${spec}`);
        }
      }
      if (!path.startsWith('http/')) {
        continue;
      }
      // A value import of a factory from the layers below: services, grants, introspectors, hashers…
      for (const m of text.matchAll(/^import\s+(?!type\s)\{([^}]*)\}\s+from\s+['"]([^'"]+)['"]/gm)) {
        const names = (m[1] ?? '').split(',').map((name) => name.trim());
        const spec = m[2] ?? '';
        if (!/^\.\.\/\.\.\/|^\.\.\/(?!(admin|pages|plugins|public|features)\/)/.test(spec)) {
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
    // The rule can see what it forbids: the composition root does build the user service.
    const compose = join(server, 'compose/users.ts');
    expect(readFileSync(compose, 'utf8')).toMatch(/import \{[^}]*\bcreateUserService\b/);
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
