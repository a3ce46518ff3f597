/**
 * DESIGN §2 and STYLE §9.10 habit 2: dependencies point one way, and this test proves it.
 * http → oauth → tokens → keys → store ports; adapters are wired only in main.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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
    ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
  ].map((m) => m[1] ?? '');
}

const server = join(ROOT, 'server/src');
const rel = (file: string) => relative(server, file);

/** The top-level folder of server/src (or file, e.g. `main.ts`) a relative import lands in. */
function layerOf(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) {
    return undefined;
  }
  return relative(server, resolve(dirname(file), spec)).split('/')[0];
}

/** `path → spec` for every import of the files under `from/` that lands in one of `forbidden`. */
function crossings(from: string, forbidden: readonly string[]): string[] {
  const offenders: string[] = [];
  for (const file of sources(join(server, from))) {
    for (const spec of importsOf(file)) {
      const layer = layerOf(file, spec);
      if (layer !== undefined && forbidden.includes(layer)) {
        offenders.push(`${rel(file)} → ${spec}`);
      }
    }
  }
  return offenders;
}

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

  it('oauth/, tokens/, keys/, users/, audit/, events/ never import HTTP or SQL libraries, nor the http/ layer', () => {
    const offenders: string[] = [];
    for (const file of sources(server)) {
      const path = rel(file);
      if (!/^(oauth|tokens|keys|users|audit|events)\//.test(path)) {
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

  it('store/ never reaches up into http/, oauth/, tokens/, keys/, users/, audit/ or cli/', () => {
    expect(
      crossings('store', ['http', 'oauth', 'tokens', 'keys', 'users', 'audit', 'cli', 'main.ts']),
    ).toEqual([]);
  });

  it('tokens/ never imports oauth/; keys/ never imports tokens/ or oauth/ (http → oauth → tokens → keys)', () => {
    expect(crossings('tokens', ['oauth'])).toEqual([]);
    expect(crossings('keys', ['tokens', 'oauth'])).toEqual([]);
  });

  it('users/ sits beside tokens/: it never imports oauth/, http/ or cli/', () => {
    expect(crossings('users', ['oauth', 'http', 'cli', 'main.ts'])).toEqual([]);
  });

  it('audit/ and events/ sit under every domain: they import none of them', () => {
    const domains = ['http', 'oauth', 'tokens', 'keys', 'users', 'cli', 'main.ts'];
    expect(crossings('audit', domains)).toEqual([]);
    // The bus is the bottom: the store's LISTEN/NOTIFY bridge plugs into it, never the reverse.
    expect(crossings('events', [...domains, 'audit', 'store'])).toEqual([]);
  });

  it('cli/ reaches a running server through the admin API, never by importing http/; nothing imports cli/', () => {
    expect(crossings('cli', ['http'])).toEqual([]);
    const offenders: string[] = [];
    for (const file of sources(server)) {
      if (rel(file).startsWith('cli/')) {
        continue;
      }
      for (const spec of importsOf(file)) {
        if (layerOf(file, spec) === 'cli') {
          offenders.push(`${rel(file)} → ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the rules can see what they forbid: a known crossing is found', () => {
    // http/ does import oauth/, so a rule that found nothing there would be blind, not satisfied.
    expect(crossings('http', ['oauth']).length).toBeGreaterThan(0);
  });

  it('only config/ reads process.env', () => {
    const offenders = sources(server)
      .filter((file) => !rel(file).startsWith('config/'))
      .filter((file) => /process\.env\b/.test(readFileSync(file, 'utf8')))
      .map(rel);
    expect(offenders).toEqual([]);
  });

  it('@tessera/protocol has no dependencies and no I/O; only its Node subpath aead.ts uses node:crypto', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'protocol/package.json'), 'utf8')) as {
      dependencies?: object;
    };
    expect(pkg.dependencies ?? {}).toEqual({});
    const nodeOnly = join(ROOT, 'protocol/src/aead.ts');
    for (const file of sources(join(ROOT, 'protocol/src'))) {
      for (const spec of importsOf(file)) {
        const allowed = spec.startsWith('.') || (file === nodeOnly && spec === 'node:crypto');
        expect(allowed, `${relative(ROOT, file)} imports ${spec}`).toBe(true);
      }
    }
  });

  it('one AES-256-GCM implementation: only @tessera/protocol/aead creates a cipher', () => {
    const offenders = ['protocol/src', 'server/src', 'verify/src', 'client/src']
      .flatMap((dir) => sources(join(ROOT, dir)))
      .filter((file) => file !== join(ROOT, 'protocol/src/aead.ts'))
      .filter((file) => /\bcreate(?:De)?[cC]ipheriv\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(offenders).toEqual([]);
  });
});
