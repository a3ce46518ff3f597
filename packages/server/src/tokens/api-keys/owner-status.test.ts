import { describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../events/in-process.js';
import { createOwnerStatus } from './owner-status.js';

describe('owner status of API keys', () => {
  it('issue 20 item 6 — events.missed (a bus reconnect) empties the cached user owners, so a disable missed meanwhile applies at once', async () => {
    const bus = createInProcessBus();
    const users = new Map([['usr_a', { disabled: false }]]);
    const status = createOwnerStatus({
      findClient: async () => undefined,
      findUser: async (id) => users.get(id),
      bus,
      ttlMs: 3_600_000,
    });
    expect(await status.isActive('usr_a')).toBe(true);
    // Disabled on another node while this node's bus was down: no user.updated arrives here.
    users.set('usr_a', { disabled: true });
    expect(await status.isActive('usr_a')).toBe(true);
    bus.publishLocal('events.missed', { cause: 'reconnected', downMs: 1000 });
    expect(await status.isActive('usr_a')).toBe(false);
    status.close();
  });

  it('user.updated evicts one user; only clients and users own keys', async () => {
    const bus = createInProcessBus();
    const users = new Map([['usr_a', { disabled: false }]]);
    const status = createOwnerStatus({
      findClient: async (id) => (id === 'cli_a' ? { disabled: false } : undefined),
      findUser: async (id) => users.get(id),
      bus,
    });
    expect(await status.isActive('usr_a')).toBe(true);
    users.set('usr_a', { disabled: true });
    bus.publishLocal('user.updated', { userId: 'usr_a' });
    expect(await status.isActive('usr_a')).toBe(false);
    expect(await status.isActive('cli_a')).toBe(true);
    expect(await status.isActive('key_x')).toBe(false);
    status.close();
  });
});
