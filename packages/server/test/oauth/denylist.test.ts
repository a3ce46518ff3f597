/**
 * The revocation denylist (DESIGN §5): loaded from the store at startup, kept current from bus
 * events, pruned at expiry; `isRevoked` covers jti, client, subject and grant family.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../src/events/in-process.js';
import { createRevocations } from '../../src/tokens/revocations.js';
import { bootstrap, type TestServer } from '../support/bootstrap.js';
import { waitFor } from '../support/wait-for.js';

let t: TestServer;

beforeAll(async () => {
  t = await bootstrap();
});
afterAll(() => t.close());

const token = (
  overrides: Partial<{
    jti: string;
    clientId: string;
    subject: string;
    issuedAt: number;
    grantId: string | null;
  }> = {},
) => ({
  jti: 'jti_a',
  clientId: 'cli_a',
  subject: 'cli_a',
  issuedAt: t.clock.now(),
  grantId: null,
  ...overrides,
});

describe('DESIGN §5 revocation denylist', () => {
  it('DESIGN §5 — a restarted node loads the revocations still in force from the store', async () => {
    const now = t.clock.now();
    await t.store.addRevocation({ type: 'jti', value: 'jti_loaded' }, now, now + 60);
    await t.store.addRevocation({ type: 'jti', value: 'jti_expired' }, now - 120, now - 60);
    const denylist = createRevocations({ store: t.store, bus: t.bus, clock: t.clock });
    await denylist.start();
    expect(denylist.isRevoked(token({ jti: 'jti_loaded' }))).toBe(true);
    expect(denylist.isRevoked(token({ jti: 'jti_expired' }))).toBe(false);
    denylist.stop();
  });

  it('DESIGN §5 — revoke() stores, applies and publishes one revocation.created event', async () => {
    const denylist = createRevocations({ store: t.store, bus: t.bus, clock: t.clock });
    const seen: unknown[] = [];
    const unsubscribe = t.bus.subscribe('revocation.created', (event) => seen.push(event));
    const event = await denylist.revoke({ type: 'jti', value: 'jti_new' }, t.clock.now() + 30);
    unsubscribe();
    expect(seen).toEqual([event]);
    expect(denylist.isRevoked(token({ jti: 'jti_new' }))).toBe(true);
    expect((await t.store.listActiveRevocations(t.clock.now())).map((e) => e.id)).toContain(event.id);
  });

  it('DESIGN §5 — client, subject and family revocations cover tokens issued at or before them, not after', async () => {
    const denylist = createRevocations({ store: t.store, bus: t.bus, clock: t.clock });
    await denylist.start();
    const before = t.clock.now();
    await denylist.revoke({ type: 'client', value: 'cli_x' }, before + 600);
    await denylist.revoke({ type: 'subject', value: 'usr_y' }, before + 600);
    await denylist.revoke({ type: 'family', value: 'fam_z' }, before + 600);
    expect(denylist.isRevoked(token({ clientId: 'cli_x', issuedAt: before }))).toBe(true);
    expect(denylist.isRevoked(token({ subject: 'usr_y', issuedAt: before - 5 }))).toBe(true);
    expect(denylist.isRevoked(token({ grantId: 'fam_z', issuedAt: before }))).toBe(true);
    t.clock.advance(1);
    const after = t.clock.now();
    expect(denylist.isRevoked(token({ clientId: 'cli_x', issuedAt: after }))).toBe(false);
    expect(denylist.isRevoked(token({ subject: 'usr_y', issuedAt: after }))).toBe(false);
    expect(denylist.isRevoked(token({ grantId: 'fam_z', issuedAt: after }))).toBe(false);
    denylist.stop();
  });

  it('DESIGN §5 — entries are pruned once they expire', async () => {
    const denylist = createRevocations({ store: t.store, bus: t.bus, clock: t.clock });
    await denylist.start();
    await denylist.revoke({ type: 'jti', value: 'jti_short' }, t.clock.now() + 5);
    expect(denylist.hasTarget({ type: 'jti', value: 'jti_short' })).toBe(true);
    t.clock.advance(6);
    denylist.prune();
    expect(denylist.hasTarget({ type: 'jti', value: 'jti_short' })).toBe(false);
    denylist.stop();
  });

  it('DESIGN §5 — events from other nodes (the bus) are applied; a stopped denylist ignores them', async () => {
    const denylist = createRevocations({ store: t.store, bus: t.bus, clock: t.clock });
    await denylist.start();
    const now = t.clock.now();
    t.bus.publish('revocation.created', {
      id: 999_999,
      target: { type: 'jti', value: 'jti_remote' },
      revokedAt: now,
      expiresAt: now + 60,
    });
    expect(denylist.isRevoked(token({ jti: 'jti_remote' }))).toBe(true);
    denylist.stop();
    t.bus.publish('revocation.created', {
      id: 1_000_000,
      target: { type: 'jti', value: 'jti_late' },
      revokedAt: now,
      expiresAt: now + 60,
    });
    expect(denylist.isRevoked(token({ jti: 'jti_late' }))).toBe(false);
  });
});

describe('issue 11 item 2 — replay of revocations the bus missed', () => {
  it('sync() applies what only the store has, delivers it locally once, never again, and not what the bus already brought', async () => {
    // Its own bus: the runtime's denylist must not deliver these events too.
    const bus = createInProcessBus();
    const relayed: string[] = [];
    await bus.attach({
      send: (topic) => relayed.push(topic),
      start: async () => {},
      close: async () => {},
    });
    const denylist = createRevocations({ store: t.store, bus, clock: t.clock, pollIntervalMs: 0 });
    await denylist.start();
    const delivered: number[] = [];
    bus.subscribe('revocation.created', (event) => delivered.push(event.id));
    const now = t.clock.now();

    // Another node revoked twice; this node heard the first on the bus and missed the second.
    const heard = await t.store.addRevocation({ type: 'jti', value: 'jti_heard' }, now, now + 60);
    bus.publishLocal('revocation.created', heard);
    const missed = await t.store.addRevocation({ type: 'jti', value: 'jti_missed' }, now, now + 60);
    expect(denylist.isRevoked(token({ jti: 'jti_missed' }))).toBe(false);

    await denylist.sync();
    expect(denylist.isRevoked(token({ jti: 'jti_missed' }))).toBe(true);
    expect(delivered).toEqual([heard.id, missed.id]);
    expect(denylist.syncState()).toMatchObject({ lastAppliedId: missed.id, replayed: 1 });

    await denylist.sync();
    expect(delivered).toEqual([heard.id, missed.id]);
    // A replayed event is this node's news only: it is never sent to other nodes again.
    expect(relayed).toEqual([]);
    denylist.stop();
  });

  it('events.missed (a bus reconnect) triggers the replay at once', async () => {
    const bus = createInProcessBus();
    const denylist = createRevocations({ store: t.store, bus, clock: t.clock, pollIntervalMs: 0 });
    await denylist.start();
    const now = t.clock.now();
    await t.store.addRevocation({ type: 'subject', value: 'usr_missed' }, now, now + 60);
    bus.publishLocal('events.missed', { cause: 'reconnected', downMs: 1000 });
    await waitFor(() => denylist.isRevoked(token({ jti: 'jti_other', subject: 'usr_missed' })), {
      what: 'the replay after events.missed',
      intervalMs: 5,
    });
    denylist.stop();
  });
});
