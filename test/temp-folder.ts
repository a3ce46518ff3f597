/**
 * Vitest's global setup: the whole run gets one temporary folder of its own (`TMPDIR`, which
 * `os.tmpdir()` reads and every worker and child process inherits), removed when the run ends.
 * Tests make their data folders, configuration files and admin-token files under `os.tmpdir()`;
 * without this, each run left some 150 of them behind in /tmp, test secrets included.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const folder = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  // Traversable by other users, as /tmp is: Apache's workers (another user) read the test CA a
  // test puts in a folder of its own here. What is inside keeps its own modes (mkdtemp: 0700).
  chmodSync(folder, 0o755);
  process.env.TMPDIR = folder;
  return () => {
    rmSync(folder, { recursive: true, force: true });
  };
}
