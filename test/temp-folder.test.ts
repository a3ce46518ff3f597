/**
 * The run's temporary folder (test/temp-folder.ts): tests write under a folder of this run's own,
 * which the global setup removes at the end, never straight into the system's temporary folder.
 */

import { tmpdir } from 'node:os';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the test run', () => {
  it('hands every test a temporary folder of its own run (removed when the run ends)', () => {
    expect(basename(tmpdir())).toMatch(/^tessera-test-[A-Za-z0-9]{6}$/);
    expect(process.env.TMPDIR).toBe(tmpdir());
  });
});
