/**
 * `bench/micro/http-path.mjs` (the in-process A/B of CPU per answer): it starts each build's runtime,
 * counts only successful answers, and prints per figure (CPU, main-thread CPU, wall time) one line
 * per build and their ratio. Run here with a few requests on the
 * build in the tree (after `tsc -b`), so a change to the server's start-up or seeding that breaks
 * the harness shows up in CI and not in the middle of a measurement.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../micro/http-path.mjs', import.meta.url));
const SERVER = fileURLToPath(new URL('../../packages/server', import.meta.url));

describe('bench/micro/http-path.mjs', () => {
  it.each([
    'cc-jwt',
    'api-key-verify',
    'introspect-jwt',
    'introspect-jwt-unseen',
    'introspect-opaque',
    'refresh',
    'login',
    'login-no-argon2',
  ])(
    '%s: every answer a success, process and main-thread CPU and wall time per answer per build and their B/A ratios',
    async (scenario) => {
      const { stdout } = await run(process.execPath, [SCRIPT, scenario, '2', '40', SERVER, SERVER], {
        timeout: 120_000,
      });
      const lines = stdout.trim().split('\n');
      expect(lines).toHaveLength(9);
      for (const [offset, name] of [
        [0, 'CPU'],
        [3, 'main-thread CPU'],
        [6, 'wall time'],
      ] as const) {
        expect(lines[offset]).toMatch(
          new RegExp(`^${scenario} A .*: [0-9.]+ µs ${name}/answer \\(median of 2 × 40;`),
        );
        expect(lines[offset + 1]).toMatch(new RegExp(`^${scenario} B .*: [0-9.]+ µs ${name}/answer`));
        // The main thread's 10 ms ticks may count no time in a batch this small: then no ratio, said so.
        expect(lines[offset + 2]).toMatch(
          new RegExp(
            `^${scenario} ${name} B/A ${name === 'main-thread CPU' ? "([0-9.]+ |— \\(A's median is 0: below the clock's resolution)" : '[0-9.]+ '}`,
          ),
        );
      }
    },
    120_000,
  );

  it('an unknown scenario is a usage error', async () => {
    await expect(run(process.execPath, [SCRIPT, 'nope', '1', '1', SERVER])).rejects.toMatchObject({
      code: 2,
    });
  });
});
