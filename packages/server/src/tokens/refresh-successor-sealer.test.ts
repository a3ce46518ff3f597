import { describe, expect, it } from 'vitest';
import { createSuccessorSealer } from './refresh-successor-sealer.js';

const MASTER = Buffer.alloc(32, 7);

describe('refresh successor sealer (reuse grace, RFC 9700 §4.14.2)', () => {
  it('opens what it sealed for the same old token, and holds no readable copy of the token', () => {
    const sealer = createSuccessorSealer(MASTER);
    const sealed = sealer.seal('hash_old', 'tsr_rt_successor');
    expect(sealed).not.toContain('tsr_rt_successor');
    expect(sealer.open('hash_old', sealed)).toBe('tsr_rt_successor');
  });

  it('refuses a sealed successor moved to another token, or opened with another master key', () => {
    const sealed = createSuccessorSealer(MASTER).seal('hash_old', 'tsr_rt_successor');
    expect(() => createSuccessorSealer(MASTER).open('hash_other', sealed)).toThrow();
    expect(() => createSuccessorSealer(Buffer.alloc(32, 8)).open('hash_old', sealed)).toThrow();
  });
});
