/**
 * docs/operations.md runs as printed (issue 19 "Done when"): every `sh` block, in page order, in one
 * bash session with `set -euo pipefail`, except the blocks the page marks `<!-- not run: REASON -->`
 * (each must give its reason). `/etc/tessera` and `/opt/tessera` become folders of a scratch
 * directory, and `/opt/tessera/node_modules/.bin/tessera` is the checkout's built CLI (the page's
 * install step is what the packaging test does with the packed tarballs).
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { shBlocks } from '../support/markdown.js';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const PAGE = join(ROOT, 'docs', 'operations.md');
const BIN = join(ROOT, 'packages', 'server', 'bin', 'tessera.js');
const HANG_MS = 120_000;
const run = promisify(execFile);

describe('docs/operations.md', () => {
  const blocks = shBlocks(readFileSync(PAGE, 'utf8'));

  it('every block left out says why', () => {
    expect(blocks.length).toBeGreaterThan(5);
    for (const block of blocks.filter((b) => b.notRun !== undefined)) {
      expect(block.notRun?.length, `line ${block.line}`).toBeGreaterThan(10);
    }
  });

  it(
    'runs every other sh block as printed, in order, in one shell (fresh folders for /etc/tessera and /opt/tessera)',
    async () => {
      expect(existsSync(join(ROOT, 'packages', 'server', 'dist', 'cli', 'bin.js')), 'dist is built').toBe(
        true,
      );
      const scratch = mkdtempSync(join(tmpdir(), 'tessera-ops-docs-'));
      const bin = join(scratch, 'opt', 'tessera', 'node_modules', '.bin');
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, 'tessera'), `#!/bin/sh\nexec node ${JSON.stringify(BIN)} "$@"\n`);
      chmodSync(join(bin, 'tessera'), 0o755);
      const runnable = blocks.filter((block) => block.notRun === undefined);
      expect(runnable.length).toBeGreaterThanOrEqual(4);
      const script = [
        'set -euo pipefail',
        ...runnable.map((block) => `echo "--- block at line ${block.line}"\n${block.code}`),
      ]
        .join('\n')
        .replaceAll('/etc/tessera', join(scratch, 'etc', 'tessera'))
        .replaceAll('/opt/tessera', join(scratch, 'opt', 'tessera'));
      const work = join(scratch, 'work');
      mkdirSync(work);
      const result = await run('bash', ['-c', script], {
        cwd: work,
        timeout: HANG_MS,
        // A fresh login: nothing of this test's environment but the PATH to node, bash and openssl.
        env: { PATH: process.env.PATH ?? '', HOME: scratch, TESSERA_LOG_LEVEL: 'warn' },
      }).catch((error: { stdout?: string; stderr?: string; code?: number }) => ({
        stdout: error.stdout ?? '',
        stderr: `exit ${error.code}: ${error.stderr ?? ''}`,
      }));
      expect(result.stderr, result.stdout).toBe('');
      expect(result.stdout).toContain('Configuration is valid.');
      expect(result.stdout).toContain('Applied 0001-initial');
      expect(existsSync(join(scratch, 'etc', 'tessera', 'data', 'tessera.db'))).toBe(true);
    },
    HANG_MS,
  );
});

describe('npx tessera in the docs', () => {
  it("a page that runs the bare `npx tessera` says it is the repository's own CLI and names `npx -p @tessera/server tessera` for elsewhere (a bare one outside the checkout fetches an unrelated package)", () => {
    const pages = [
      'README.md',
      ...readdirSync(join(ROOT, 'docs')).map((name) => join('docs', name)),
      ...['protocol', 'server', 'verify', 'client'].map((name) => join('packages', name, 'README.md')),
      ...readdirSync(join(ROOT, 'examples')).map((name) => join('examples', name, 'README.md')),
    ].filter((page) => page.endsWith('.md') && existsSync(join(ROOT, page)));
    const offenders = pages.filter((page) => {
      const text = readFileSync(join(ROOT, page), 'utf8');
      return /npx tessera\b/.test(text) && !text.includes('npx -p @tessera/server tessera');
    });
    expect(offenders).toEqual([]);
  });
});
