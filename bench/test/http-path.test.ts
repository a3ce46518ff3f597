/**
 * `bench/micro/http-path.mjs` (the in-process A/B of CPU per answer): it starts each build's runtime,
 * counts only successful answers, and prints one line per build. Run here with a few requests on the
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
  it.each(['cc-jwt', 'api-key-verify', 'introspect-jwt', 'refresh'])(
    '%s: every answer a success, one CPU-per-answer line per build and the B/A ratio',
    async (scenario) => {
      const { stdout } = await run(process.execPath, [SCRIPT, scenario, '2', '40', SERVER, SERVER], {
        timeout: 120_000,
      });
      const lines = stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(new RegExp(`^${scenario} A .*: [0-9.]+ µs CPU/answer \\(median of 2 × 40;`));
      expect(lines[1]).toMatch(new RegExp(`^${scenario} B .*: [0-9.]+ µs CPU/answer`));
      expect(lines[2]).toMatch(new RegExp(`^${scenario} B/A [0-9.]+`));
    },
    120_000,
  );

  it('an unknown scenario is a usage error', async () => {
    await expect(run(process.execPath, [SCRIPT, 'nope', '1', '1', SERVER])).rejects.toMatchObject({
      code: 2,
    });
  });
});
