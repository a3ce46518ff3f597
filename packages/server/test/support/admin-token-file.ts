/**
 * Running the `tessera` CLI in-process against a listening test server, as an operator would: the
 * admin credential from a 0600 file (`--admin-token-file`, never argv), stdout captured.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { vi } from 'vitest';
import { createAdminClient } from '../../src/cli/admin-client.js';
import { addUsersCommands } from '../../src/cli/commands/users.js';
import { buildCli } from '../../src/cli/main.js';
import type { TestServer } from './bootstrap.js';

/** A 0600 temp file holding an admin credential, for the CLI's `--admin-token-file`. */
export function adminTokenFile(token: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tessera-admin-token-')), 'admin.token');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return path;
}

/** Runs `tessera --url URL --admin-token-file … ARGS` and returns what it wrote to stdout. */
export async function runCli(url: string, adminToken: string, ...args: string[]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    await buildCli().parseAsync([
      'node',
      'tessera',
      '--url',
      url,
      '--admin-token-file',
      adminTokenFile(adminToken),
      ...args,
    ]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

/**
 * Runs `tessera users ARGS` in-process (the commands alone, wired to the admin API at `url`), with
 * `stdin` as its standard input (`--password-stdin`); returns what it wrote to stdout.
 */
export async function runUsersCommand(
  t: Pick<TestServer, 'config' | 'adminToken'>,
  url: string,
  args: string[],
  stdin = '',
): Promise<string> {
  let out = '';
  const program = new Command('tessera').exitOverride();
  addUsersCommands(program, () => createAdminClient(t.config, { url, adminToken: t.adminToken }), {
    stdin: Readable.from([stdin]),
    stdout: { write: (text: string) => (out += text) },
  });
  await program.parseAsync(['node', 'tessera', ...args]);
  return out;
}
