/**
 * Running the `tessera` CLI in-process against a listening test server, as an operator would: the
 * admin credential from a 0600 file (`--admin-token-file`, never argv), stdout captured.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { buildCli } from '../../src/cli/main.js';

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
