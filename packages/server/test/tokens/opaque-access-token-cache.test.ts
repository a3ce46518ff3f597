/**
 * The opaque access-token cache behind introspection: a token introspected again is answered from
 * memory, and nothing a revocation could have changed outlives it (RFC 7662 §2.2: a revoked token
 * is inactive; DESIGN §5: a revocation reaches every node through the bus).
 */
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../src/clock.js';
import { createInProcessBus } from '../../src/events/in-process.js';
import { newAccessToken, T0 } from '../../src/store/contract/fixtures.js';
import type { AccessTokenRecord } from '../../src/store/ports.js';
import { createOpaqueAccessTokenCache } from '../../src/tokens/opaque-access-token-cache.js';

/** A store of one row that counts its reads; `hold()` keeps the next read open until released. */
function rowStore(row: AccessTokenRecord) {
  let current: AccessTokenRecord | undefined = row;
  let gate: Promise<void> | undefined;
  let open: () => void = () => {};
  const store = {
    reads: 0,
    set(next: AccessTokenRecord | undefined) {
      current = next;
    },
    hold() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release: () => open(),
    async findAccessToken(hash: string) {
      store.reads += 1;
      const value = hash === row.hash ? current : undefined;
      if (gate !== undefined) {
        const waiting = gate;
        gate = undefined;
        await waiting;
      }
      return value === undefined ? undefined : { ...value };
    },
  };
  return store;
}

const revocation = (type: 'jti' | 'client' | 'subject' | 'family', value: string) => ({
  id: 1,
  target: { type, value },
  revokedAt: T0 + 1,
  expiresAt: T0 + 600,
});

function setup(row = newAccessToken('cli_a')) {
  const store = rowStore(row);
  const bus = createInProcessBus();
  const clock = createFixedClock(T0);
  const cache = createOpaqueAccessTokenCache({ store, bus, clock });
  return { row, store, bus, clock, cache };
}

describe('opaque access-token cache (introspection)', () => {
  it('DESIGN §4 — a token looked up again is answered from memory, one store read for many', async () => {
    const { row, store, cache } = setup();
    for (let n = 0; n < 5; n += 1) {
      expect((await cache.findAccessToken(row.hash))?.jti).toBe(row.jti);
    }
    expect(store.reads).toBe(1);
  });

  it('concurrent lookups of the same token share one read', async () => {
    const { row, store, cache } = setup();
    const answers = await Promise.all([1, 2, 3].map(() => cache.findAccessToken(row.hash)));
    expect(answers.map((a) => a?.jti)).toEqual([row.jti, row.jti, row.jti]);
    expect(store.reads).toBe(1);
  });

  it.each(['jti', 'client', 'subject', 'family'] as const)(
    'RFC 7662 §2.2 — a %s revocation on the bus (this node or another) empties it: the next lookup reads the row the revocation marked',
    async (type) => {
      const { row, store, bus, cache } = setup();
      await cache.findAccessToken(row.hash);
      store.set({ ...row, revokedAt: T0 + 1 });
      bus.publishLocal('revocation.created', revocation(type, 'anything'));
      expect((await cache.findAccessToken(row.hash))?.revokedAt).toBe(T0 + 1);
      expect(store.reads).toBe(2);
    },
  );

  it('DESIGN §5 — events.missed (the bus was down) empties it', async () => {
    const { row, store, bus, cache } = setup();
    await cache.findAccessToken(row.hash);
    store.set({ ...row, revokedAt: T0 + 1 });
    bus.publishLocal('events.missed', { cause: 'reconnected', downMs: 1000 });
    expect((await cache.findAccessToken(row.hash))?.revokedAt).toBe(T0 + 1);
  });

  it('a read that raced with a revocation is not kept: the row it read may predate the mark', async () => {
    const { row, store, bus, cache } = setup();
    store.hold();
    const racing = cache.findAccessToken(row.hash);
    store.set({ ...row, revokedAt: T0 + 1 });
    bus.publishLocal('revocation.created', revocation('jti', row.jti));
    store.release();
    expect((await racing)?.revokedAt).toBeNull();
    expect((await cache.findAccessToken(row.hash))?.revokedAt).toBe(T0 + 1);
  });

  it('a revoked, an expired or an unknown token is never kept', async () => {
    const revoked = setup(newAccessToken('cli_a', { revokedAt: T0 }));
    await revoked.cache.findAccessToken(revoked.row.hash);
    await revoked.cache.findAccessToken(revoked.row.hash);
    expect(revoked.store.reads).toBe(2);

    const expired = setup(newAccessToken('cli_a', { expiresAt: T0 }));
    await expired.cache.findAccessToken(expired.row.hash);
    await expired.cache.findAccessToken(expired.row.hash);
    expect(expired.store.reads).toBe(2);

    const unknown = setup();
    expect(await unknown.cache.findAccessToken('hash_unknown')).toBeUndefined();
    expect(await unknown.cache.findAccessToken('hash_unknown')).toBeUndefined();
    expect(unknown.store.reads).toBe(2);
  });

  it('entries expire after the TTL, a safety net should a cross-node event be lost', async () => {
    const row = newAccessToken('cli_a');
    const store = rowStore(row);
    const cache = createOpaqueAccessTokenCache({
      store,
      bus: createInProcessBus(),
      clock: createFixedClock(T0),
      ttlMs: 20,
    });
    await cache.findAccessToken(row.hash);
    await new Promise((resolve) => setTimeout(resolve, 40));
    await cache.findAccessToken(row.hash);
    expect(store.reads).toBe(2);
  });
});
