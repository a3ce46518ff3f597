/**
 * docs/decentralized.md runs as printed: every `sh` block, in page order, from a folder that sees
 * the repository's `node_modules` (the page runs from the repository root). A block that is only
 * `VAR=… npm start` (re)starts the dev server with those variables, as a second terminal would; the
 * blocks between two starts run in one bash session with `set -euo pipefail`. The only change made
 * to the page's text is the port: a free one instead of 4000, so parallel test files cannot collide.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/listening.js';
import { type ShBlock, shBlocks } from '../support/markdown.js';
import { waitFor } from '../support/wait-for.js';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const PAGE = join(ROOT, 'docs', 'decentralized.md');
const BIN = join(ROOT, 'packages', 'server', 'dist', 'cli', 'bin.js');
const HANG_MS = 120_000;
const run = promisify(execFile);

/** `A=1 B="x y" npm start` → the variables; `undefined` for any other block. */
export function serverStart(code: string): Record<string, string> | undefined {
  const match = /^((?:[A-Z0-9_]+=(?:"[^"]*"|\S+)\s+)*)npm start$/.exec(code.trim());
  if (match === null) {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const [, name, quoted, bare] of (match[1] ?? '').matchAll(/([A-Z0-9_]+)=(?:"([^"]*)"|(\S+))/g)) {
    env[name as string] = quoted ?? bare ?? '';
  }
  return env;
}

describe('docs/decentralized.md', () => {
  const blocks = shBlocks(readFileSync(PAGE, 'utf8'));
  let server: ChildProcess | undefined;

  async function stop(): Promise<void> {
    const child = server;
    server = undefined;
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }

  afterAll(stop);

  it('parses a start line with quoted and bare variables', () => {
    expect(serverStart('A_B=key,jwk C="openid profile" npm start')).toEqual({
      A_B: 'key,jwk',
      C: 'openid profile',
    });
    expect(serverStart('npx tessera clients block x')).toBeUndefined();
  });

  it(
    'runs every sh block as printed, in order, starting the server where the page says npm start',
    async () => {
      expect(existsSync(BIN), 'dist is built').toBe(true);
      expect(blocks.filter((b) => b.notRun !== undefined)).toEqual([]);
      const starts = blocks.filter((b) => serverStart(b.code) !== undefined);
      expect(starts.length).toBeGreaterThanOrEqual(3);
      const port = await freePort();
      const scratch = mkdtempSync(join(tmpdir(), 'tessera-did-docs-'));
      symlinkSync(join(ROOT, 'node_modules'), join(scratch, 'node_modules'));
      const env = { PATH: process.env.PATH ?? '', HOME: scratch, TESSERA_LOG_LEVEL: 'warn' };
      const onPort = (code: string) => code.replaceAll('127.0.0.1:4000', `127.0.0.1:${port}`);

      let output = '';
      let pending: ShBlock[] = [];
      async function flush(): Promise<void> {
        if (pending.length === 0) {
          return;
        }
        const script = [
          'set -euo pipefail',
          ...pending.map((b) => `echo "--- block at line ${b.line}"\n${onPort(b.code)}`),
        ].join('\n');
        pending = [];
        const result = await run('bash', ['-c', script], { cwd: scratch, env, timeout: HANG_MS }).catch(
          (error: { stdout?: string; stderr?: string; code?: number }) => ({
            stdout: error.stdout ?? '',
            stderr: `exit ${error.code}: ${error.stderr ?? ''}`,
          }),
        );
        expect(result.stderr, result.stdout).not.toMatch(/^exit /);
        output += result.stdout;
      }

      for (const block of blocks) {
        const vars = serverStart(block.code);
        if (vars === undefined) {
          pending.push(block);
          continue;
        }
        await flush();
        await stop();
        server = spawn(process.execPath, [BIN, 'serve', '--dev'], {
          cwd: scratch,
          env: { ...env, ...vars, TESSERA_PORT: String(port) },
          stdio: 'ignore',
        });
        await waitFor(
          () =>
            fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`).then(
              (r) => r.ok,
              () => false,
            ),
          { what: `the server of the block at line ${block.line}`, timeoutMs: 60_000, intervalMs: 100 },
        );
      }
      await flush();

      // §1: a did:key client, never registered, gets a token; blocking it works; a did:jwk is stored.
      expect(output).toMatch(/did:key:z6Mk\w+\n200 \{/);
      expect(output).toContain("scope: 'agent:read'");
      expect(output).toMatch(/Blocked client did:key:z6Mk\w+; its tokens are revoked/);
      expect(output).toContain('"client_id":"did:jwk:');
      // §3: RFC 7591 registration with an initial access token, read back and deleted (RFC 7592).
      expect(output).toMatch(/\ncli_[\w-]+\nagent:read\nhttp:\/\/127\.0\.0\.1:\d+\/register\/cli_[\w-]+\n/);
      expect(output).toContain('"client_name":"MCP agent"');
      expect(output).toMatch(/\}204\n/);
      // §6: a did:key made and kept, and a challenge signed with it as a compact JWS.
      expect(output).toMatch(/--- block at line \d+\ndid:key:z6Mk\w+\n/);
      expect(output).toMatch(/\neyJ[\w-]+\.eyJ[\w-]+\.[\w-]+\n/);
    },
    HANG_MS * 2,
  );
});
