/**
 * The client registry (DESIGN §4): the hot path reads clients from memory; bus events evict;
 * unknown ids are cached briefly so they cannot hammer the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientRegistry } from '../../src/oauth/client-registry.js';
import type { ClientStore } from '../../src/store/ports.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { createTestClient } from '../support/clients.js';
import { waitFor } from '../support/wait-for.js';

let t: TestServer;

beforeAll(async () => {
  t = await bootstrap();
});
afterAll(() => t.close());

/** The real store, counting lookups. */
function countingStore(): Pick<ClientStore, 'findClient'> & { lookups: number } {
  const counter = {
    lookups: 0,
    findClient(id: string) {
      counter.lookups++;
      return t.store.findClient(id);
    },
  };
  return counter;
}

describe('DESIGN §4 client registry', () => {
  it('DESIGN §4 — a client is read from the store once, then from memory', async () => {
    const store = countingStore();
    const registry = createClientRegistry({ store, bus: t.bus });
    const c = await createTestClient(t);
    await Promise.all([registry.get(c.id), registry.get(c.id), registry.get(c.id)]);
    expect((await registry.get(c.id))?.id).toBe(c.id);
    expect(store.lookups).toBe(1);
    registry.close();
  });

  it('DESIGN §4 — client.updated evicts: the next read sees the change', async () => {
    const store = countingStore();
    const registry = createClientRegistry({ store, bus: t.bus });
    const c = await createTestClient(t);
    expect((await registry.get(c.id))?.disabled).toBe(false);
    await t.store.updateClient(c.id, { disabled: true }, t.clock.now());
    t.bus.publish('client.updated', { clientId: c.id });
    expect((await registry.get(c.id))?.disabled).toBe(true);
    expect(store.lookups).toBe(2);
    registry.close();
  });

  it('DESIGN §4 — client.deleted evicts', async () => {
    const registry = createClientRegistry({ store: t.store, bus: t.bus });
    const c = await createTestClient(t);
    expect(await registry.get(c.id)).toBeDefined();
    await t.store.deleteClient(c.id);
    t.bus.publish('client.deleted', { clientId: c.id });
    expect(await registry.get(c.id)).toBeUndefined();
    registry.close();
  });

  it('DESIGN §4 — unknown ids are cached briefly (negative cache), then looked up again', async () => {
    const store = countingStore();
    const registry = createClientRegistry({ store, bus: t.bus, negativeTtlMs: 500 });
    for (let i = 0; i < 5; i++) {
      expect(await registry.get('cli_doesnotexist')).toBeUndefined();
    }
    expect(store.lookups).toBe(1);
    // Asked again until the entry expires (no sleep sized to the TTL): the first miss after it is
    // the second lookup.
    await waitFor(
      async () => {
        await registry.get('cli_doesnotexist');
        return store.lookups;
      },
      { what: 'the negative entry to expire', until: (lookups) => lookups > 1 },
    );
    expect(store.lookups).toBe(2);
    registry.close();
  });

  it('DESIGN §4 — a created client evicts a negative entry (client.updated on create)', async () => {
    const registry = createClientRegistry({ store: t.store, bus: t.bus, negativeTtlMs: 60_000 });
    const c = await createTestClient(t);
    await t.store.deleteClient(c.id);
    t.bus.publish('client.deleted', { clientId: c.id });
    expect(await registry.get(c.id)).toBeUndefined();
    const again = await t.store.createClient({ ...c.client }, t.clock.now());
    t.bus.publish('client.updated', { clientId: again.id });
    expect((await registry.get(c.id))?.id).toBe(c.id);
    registry.close();
  });

  it('DESIGN §4 — an eviction during a load is not lost (the stale load is not cached)', async () => {
    let release: (() => void) | undefined;
    const c = await createTestClient(t);
    const store: Pick<ClientStore, 'findClient'> = {
      async findClient(id) {
        const record = await t.store.findClient(id);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return record;
      },
    };
    const registry = createClientRegistry({ store, bus: t.bus });
    const first = registry.get(c.id);
    await new Promise((resolve) => setImmediate(resolve));
    await t.store.updateClient(c.id, { name: 'renamed' }, t.clock.now());
    t.bus.publish('client.updated', { clientId: c.id });
    release?.();
    expect((await first)?.name).toBe('test client');
    const second = registry.get(c.id);
    await new Promise((resolve) => setImmediate(resolve));
    release?.();
    expect((await second)?.name).toBe('renamed');
    registry.close();
  });

  it('garbage ids (empty, huge) never reach the store', async () => {
    const store = countingStore();
    const registry = createClientRegistry({ store, bus: t.bus });
    expect(await registry.get('')).toBeUndefined();
    expect(await registry.get('x'.repeat(10_000))).toBeUndefined();
    expect(store.lookups).toBe(0);
    registry.close();
  });
});
