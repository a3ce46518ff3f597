/**
 * Issue 12 item 18 (STYLE §9.9, §9.10 habit 1): a factory is a composition of modules of one
 * concept each, not a 150–400-line closure. The factories that were split are held to a bound here,
 * so one that grows back into a grab bag fails the run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Lines of a factory's body: from its `export function` line to the first closing `}` at column 0. */
function bodyLines(path: string, name: string): number {
  const lines = readFileSync(new URL(`../${path}`, import.meta.url), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith(`export function ${name}(`));
  expect(start, `${path}: export function ${name}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, index) => index > start && line === '}');
  expect(end, `${path}: end of ${name}`).toBeGreaterThan(start);
  return end - start + 1;
}

/** Most lines a split factory may span: wiring plus the few lines that tie its modules together. */
const MAX_FACTORY_LINES = 120;

const factories: ReadonlyArray<readonly [path: string, name: string]> = [
  ['packages/verify/src/create-verifier.ts', 'createVerifier'],
  ['packages/server/src/tokens/api-keys/api-key-service.ts', 'createApiKeyService'],
  ['packages/client/src/bff/bff.ts', 'createBff'],
  ['packages/verify/src/revocation-stream.ts', 'createRevocationStream'],
  ['packages/server/src/http/public/revocation-stream.ts', 'registerRevocationStream'],
];

describe('factories stay compositions of one-concept modules', () => {
  it.each(factories)(`issue 12 item 18 — %s: %s spans at most ${MAX_FACTORY_LINES} lines`, (path, name) => {
    expect(bodyLines(path, name)).toBeLessThanOrEqual(MAX_FACTORY_LINES);
  });
});
