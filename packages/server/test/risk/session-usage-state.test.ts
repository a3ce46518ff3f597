/**
 * One node's scoring of a session's use groups (src/users/session-usage-state.ts) on the real store:
 * a group whose record was read before this node's previous group of the session wrote it must not
 * write on that stale version (it would lose the write to this node itself and use up an attempt).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSessionUsageState, type GroupUse } from '../../src/users/session-usage-state.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const log = { warn: () => undefined };

function uses(now: number, count: number, network = 'net-a'): GroupUse[] {
  return Array.from({ length: count }, (_, i) => ({
    jti: `jti-${now}-${i}-${Math.random()}`,
    reportedAt: now,
    at: now,
    network,
    endpoint: 'GET /things',
  }));
}

describe('session usage on one node', () => {
  it('a group loaded before the previous group of its session wrote is scored on the record as written, with no lost write', async () => {
    t = await bootstrap();
    const store = t.store;
    const state = createSessionUsageState({ store, log });
    const now = Math.floor(Date.now() / 1000);
    const sid = 'sid-stale-load';
    // Two batches read the (absent) record at the same moment …
    const first = await state.load([sid]);
    const second = await state.load([sid]);
    const write = vi.spyOn(store, 'writeSessionUsage');
    // … the first is scored and written completely before the second is scored.
    expect((await state.score(sid, uses(now, 2), first.get(sid), now + 3600, now)).kind).toBe('scored');
    await new Promise((resolve) => setImmediate(resolve));
    expect((await state.score(sid, uses(now, 3), second.get(sid), now + 3600, now)).kind).toBe('scored');
    const results = await Promise.all(write.mock.results.map((result) => result.value as Promise<boolean>));
    expect(results).toEqual([true, true]);
    const [stored] = await store.findSessionUsage([sid]);
    expect(stored?.version).toBe(2);
  });

  it('a record another node wrote after this node’s last write is still re-read and both counted', async () => {
    t = await bootstrap();
    const store = t.store;
    const state = createSessionUsageState({ store, log });
    const now = Math.floor(Date.now() / 1000);
    const sid = 'sid-other-node';
    expect((await state.score(sid, uses(now, 2), undefined, now + 3600, now)).kind).toBe('scored');
    await new Promise((resolve) => setImmediate(resolve));
    const loaded = (await state.load([sid])).get(sid);
    // Another node (its own state object on the same store) writes after this one read.
    const other = createSessionUsageState({ store, log });
    expect((await other.score(sid, uses(now, 1), loaded, now + 3600, now)).kind).toBe('scored');
    await new Promise((resolve) => setImmediate(resolve));
    expect((await state.score(sid, uses(now, 1), loaded, now + 3600, now)).kind).toBe('scored');
    const [stored] = await store.findSessionUsage([sid]);
    expect(stored?.version).toBe(3);
  });
});
