/**
 * Issue 12.15: CI fails on a skipped test nobody decided to skip. Runs vitest itself on a fixture
 * project (test/fixtures/skip-check) whose allowlist lists one of its two skips.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import rootConfig from '../vitest.config.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));

function runFixture(files: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string }>((resolve) => {
    execFile(
      process.execPath,
      [VITEST, 'run', '--config', 'test/fixtures/skip-check/vitest.config.ts', ...files],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env }, timeout: 120_000 },
      (error, stdout) => resolve({ code: error === null ? 0 : (error.code as number | null), stdout }),
    );
  });
}

describe('summary reporter: unlisted skips fail CI (issue 12.15)', () => {
  it('issue 12.15 — under TESSERA_REQUIRE_SERVICES=1 a skip missing from the allowlist fails the run (exit 1) and is named', async () => {
    const { code, stdout } = await runFixture(['allowed-skip', 'stray-skip'], {
      TESSERA_REQUIRE_SERVICES: '1',
    });
    expect(stdout).toContain('1 passed, 0 failed, 2 skipped');
    expect(stdout).toContain('stray-skip.fixture.ts > fixture > is skipped and not listed');
    expect(stdout).not.toContain('allowed-skip.fixture.ts > fixture > is skipped and listed');
    expect(code).toBe(1);
  }, 130_000);

  it('issue 12.15 — a skip listed with a reason does not fail the run', async () => {
    const { code, stdout } = await runFixture(['allowed-skip'], { TESSERA_REQUIRE_SERVICES: '1' });
    expect(stdout).toContain('1 passed, 0 failed, 1 skipped');
    expect(code).toBe(0);
  }, 130_000);

  it('issue 12.15 — on a laptop (no TESSERA_REQUIRE_SERVICES) skips are counted, not failed', async () => {
    const { code, stdout } = await runFixture(['allowed-skip', 'stray-skip'], {});
    expect(stdout).toContain('1 passed, 0 failed, 2 skipped');
    expect(code).toBe(0);
  }, 130_000);

  it('issue 12.15 — the project refuses focused tests (vitest allowOnly: false)', () => {
    expect(rootConfig.test?.allowOnly).toBe(false);
  });
});
