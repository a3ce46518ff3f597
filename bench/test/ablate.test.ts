/**
 * `bench/micro/ablate.mjs` (the served ablations of docs/performance.md, 69.): every variant still
 * finds the one line of the compiled server it edits, and the ablated copy starts and answers what
 * the bench counts as a success (`bench/micro/http-path.mjs`, a few requests, after `tsc -b`). So a
 * change to those routes that moves the line fails here, not in the middle of a measurement.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ABLATE = fileURLToPath(new URL('../micro/ablate.mjs', import.meta.url));
const HTTP_PATH = fileURLToPath(new URL('../micro/http-path.mjs', import.meta.url));
const SERVER = fileURLToPath(new URL('../../packages/server', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'tessera-ablate-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bench/micro/ablate.mjs', () => {
  it.each([
    ['api-key-answer-at-once', 'http/public/api-key-verify.js', 'api-key-verify'],
    ['api-key-after-client-auth', 'http/public/api-key-verify.js', 'api-key-verify'],
    ['api-key-after-key-checks', 'http/public/api-key-verify.js', 'api-key-verify'],
    ['token-answer-at-once', 'http/public/token.js', 'cc-jwt'],
    ['token-after-client-auth', 'http/public/token.js', 'cc-jwt'],
    ['no-security-headers', 'http/plugins/request-guard.js', 'api-key-verify'],
    ['no-ratelimit-fields', 'http/plugins/rate-limit.js', 'api-key-verify'],
  ])(
    '%s: edits %s of a copy, which then answers %s with successes only',
    async (variant, file, scenario) => {
      const out = join(work, variant);
      const { stdout } = await run(process.execPath, [ABLATE, variant, out], { timeout: 60_000 });
      const copy = stdout.trim();
      expect(copy).toBe(join(out, 'server'));
      const original = readFileSync(join(SERVER, 'dist', file), 'utf8');
      const edited = readFileSync(join(copy, 'dist', file), 'utf8');
      expect(edited).not.toBe(original);
      // One line edited: added or replaced, nothing else moved.
      const before = original.split('\n');
      const after = edited.split('\n');
      expect(after.length - before.length).toBeLessThanOrEqual(1);
      expect(after.filter((line) => !before.includes(line))).toHaveLength(1);
      // http-path.mjs exits non-zero when any answer is not a success.
      const served = await run(process.execPath, [HTTP_PATH, scenario, '1', '20', copy], {
        timeout: 120_000,
      });
      expect(served.stdout).toMatch(new RegExp(`^${scenario} A .*: [0-9.]+ µs CPU/answer`));
    },
    180_000,
  );

  it('refuses a build whose line to edit is not there once (exit 1), and edits nothing', async () => {
    const fake = join(work, 'fake-server');
    mkdirSync(join(fake, 'dist/http/plugins'), { recursive: true });
    writeFileSync(join(fake, 'dist/http/plugins/request-guard.js'), 'export function guard() {}\n');
    const refused = run(process.execPath, [ABLATE, 'no-security-headers', join(work, 'fake-out'), fake]);
    await expect(refused).rejects.toMatchObject({ code: 1 });
    await expect(refused).rejects.toMatchObject({ stderr: expect.stringContaining('occurs 0 times') });
    expect(readFileSync(join(work, 'fake-out/server/dist/http/plugins/request-guard.js'), 'utf8')).toBe(
      'export function guard() {}\n',
    );
  });

  it('an unknown variant is a usage error (exit 2)', async () => {
    await expect(run(process.execPath, [ABLATE, 'nope', join(work, 'nope')])).rejects.toMatchObject({
      code: 2,
    });
  });
});
