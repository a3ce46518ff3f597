import { describe, expect, it } from 'vitest';
import { type CreateOutcome, createFormTokens } from './form-tokens.js';

const made = (id: string): CreateOutcome<string> => ({
  answer: `made ${id}`,
  created: { what: 'client', id, name: id, href: `/console/clients/${id}` },
});

describe('console form tokens', () => {
  it('the first post creates; a repeat gets the first object without creating', async () => {
    const tokens = createFormTokens();
    const token = tokens.issue('s1');
    let calls = 0;
    const create = async () => made(`cli_${++calls}`);
    expect(await tokens.once('s1', token, create)).toEqual({ kind: 'first', answer: 'made cli_1' });
    const again = await tokens.once('s1', token, create);
    expect(again).toMatchObject({ kind: 'repeat', created: { id: 'cli_1' } });
    expect(calls).toBe(1);
  });

  it('two posts at once: one create, the other waits and gets its object', async () => {
    const tokens = createFormTokens();
    const token = tokens.issue('s1');
    let calls = 0;
    const create = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return made('cli_1');
    };
    const [a, b] = await Promise.all([tokens.once('s1', token, create), tokens.once('s1', token, create)]);
    expect(calls).toBe(1);
    expect([a.kind, b.kind].sort()).toEqual(['first', 'repeat']);
  });

  it('a refused create leaves the token usable; a thrown one too', async () => {
    const tokens = createFormTokens();
    const token = tokens.issue('s1');
    expect(await tokens.once('s1', token, async () => ({ answer: 'refused' }))).toEqual({
      kind: 'first',
      answer: 'refused',
    });
    await expect(
      tokens.once('s1', token, async () => {
        throw new Error('down');
      }),
    ).rejects.toThrow('down');
    expect(await tokens.once('s1', token, async () => made('cli_2'))).toMatchObject({ kind: 'first' });
  });

  it('a token is unknown to another session, after its time, or when never issued', async () => {
    let now = 1000;
    const tokens = createFormTokens({ ttlSeconds: 600, now: () => now });
    const token = tokens.issue('s1');
    const create = async () => made('cli_1');
    expect(await tokens.once('s2', token, create)).toEqual({ kind: 'unknown' });
    expect(await tokens.once('s1', 'made-up', create)).toEqual({ kind: 'unknown' });
    now += 600;
    expect(await tokens.once('s1', token, create)).toEqual({ kind: 'unknown' });
  });

  it('holds at most maxTokens, dropping the oldest', async () => {
    const tokens = createFormTokens({ maxTokens: 3 });
    const first = tokens.issue('s1');
    for (let i = 0; i < 3; i++) {
      tokens.issue('s1');
    }
    expect(await tokens.once('s1', first, async () => made('x'))).toEqual({ kind: 'unknown' });
  });
});
