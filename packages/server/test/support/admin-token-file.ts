/** A 0600 temp file holding an admin credential, for the CLI's `--admin-token-file`. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function adminTokenFile(token: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tessera-admin-token-')), 'admin.token');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return path;
}
