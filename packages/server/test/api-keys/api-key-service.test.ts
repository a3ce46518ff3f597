/**
 * The API-key service on a real SQLite store and the in-process bus: the hot path (checksum before
 * any lookup, cache, negative cache), batched usage, rate limits that count once, cache invalidation
 * by bus events, and aggregated rejection audit (issue 4, DESIGN §3–§5).
 */
import { formatSecret, parseSecret } from '@tessera/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AuditLog, createAuditLog } from '../../src/audit/audit-log.js';
import { createFixedClock } from '../../src/clock.js';
import { createInProcessBus } from '../../src/events/in-process.js';
import { hashSecret, mintSecret, newId } from '../../src/ids.js';
import { createLogger } from '../../src/log.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/ports.js';
import { type ApiKeyService, createApiKeyService } from '../../src/tokens/api-keys/index.js';
import { createRevocations, type RevocationDenylist } from '../../src/tokens/revocations.js';

const logger = createLogger({ level: 'silent' });
/** A multiple of 60, so rate-limit windows of a minute start where the test starts. */
const START = 1_800_000_000 - (1_800_000_000 % 60);

let store: Store;
let bus: ReturnType<typeof createInProcessBus>;
let clock: ReturnType<typeof createFixedClock>;
let audit: AuditLog;
let revocations: RevocationDenylist;
let service: ApiKeyService;
let owner: string;

beforeEach(async () => {
  store = await openStore(':memory:');
  await store.migrate();
  bus = createInProcessBus();
  clock = createFixedClock(START);
  audit = createAuditLog({ store, clock, logger, intervalMs: 60_000 });
  revocations = createRevocations({ store, bus, clock });
  await revocations.start();
  // Long intervals: every flush in these tests is explicit.
  service = createApiKeyService({
    store,
    revocations,
    bus,
    clock,
    audit,
    logger,
    options: { flushIntervalMs: 3_600_000 },
  });
  const user = await store.createUser(
    {
      id: newId('usr'),
      username: `u-${newId('req')}`,
      email: null,
      emailVerified: false,
      name: null,
      passwordHash: 'x',
      disabled: false,
      tokensValidAfter: 0,
    },
    START,
  );
  owner = user.id;
});

afterEach(async () => {
  await service.close();
  revocations.stop();
  await audit.close();
  await store.close();
  vi.restoreAllMocks();
});

async function auditOf(type: string) {
  await audit.flush();
  return (await store.listAudit({ type, limit: 500 })).items;
}

describe('verification hot path (DESIGN §3, §4)', () => {
  it('DESIGN §3 — a bad checksum, a malformed key or another kind is not_found without touching the store', async () => {
    const { key } = await service.create({ name: 'k', owner });
    const lookups = vi.spyOn(store, 'findApiKeyByHash');
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    const bad = [
      `${key.slice(0, -1)}${last}`,
      key.slice(0, -1),
      `${key}x`,
      'tsr_key_',
      'not a key',
      '',
      mintSecret('cs'),
      key.replace('tsr_key_', 'tsr_rt_'),
    ];
    for (const candidate of bad) {
      expect(await service.verify(candidate), candidate).toEqual({ valid: false, code: 'not_found' });
    }
    expect(await service.verify(42)).toEqual({ valid: false, code: 'not_found' });
    expect(lookups).not.toHaveBeenCalled();
  });

  it('an unknown well-formed key gives the same not_found as a malformed one, and repeats come from the negative cache', async () => {
    const unknown = formatSecret('key', Buffer.alloc(32, 7));
    const lookups = vi.spyOn(store, 'findApiKeyByHash');
    expect(await service.verify(unknown)).toEqual({ valid: false, code: 'not_found' });
    expect(await service.verify(unknown)).toEqual({ valid: false, code: 'not_found' });
    expect(lookups).toHaveBeenCalledTimes(1);
  });

  it('a known key is one store lookup, then a hash and a cache lookup', async () => {
    const { key, record } = await service.create({ name: 'k', owner, scope: ['read'] });
    const lookups = vi.spyOn(store, 'findApiKeyByHash');
    const results = await Promise.all(Array.from({ length: 50 }, () => service.verify(key)));
    expect(results.every((result) => result.valid && result.key_id === record.id)).toBe(true);
    expect(lookups).toHaveBeenCalledTimes(1);
  });

  it('creating a key clears a negative cache entry for its hash', async () => {
    // Simulates a key verified (and remembered as unknown) just before it was inserted elsewhere.
    const key = mintSecret('key');
    expect((await service.verify(key)).code).toBe('not_found');
    const now = clock.now();
    await store.insertApiKey({
      id: newId('key'),
      hash: hashSecret(key),
      start: parseSecret(key, 'key')?.start ?? '',
      name: 'from another node',
      owner,
      scope: [],
      audiences: [],
      meta: {},
      rateLimit: null,
      createdAt: now,
      updatedAt: now,
      expiresAt: null,
      disabled: false,
      revokedAt: null,
      replacedBy: null,
      lastUsedAt: null,
      usageCount: 0,
      dpopJkt: null,
      anomalyPolicy: 'flag',
      usageProfile: null,
      anomalies: [],
      lastAnomalyAt: null,
      anomaliesAcknowledgedAt: null,
    });
    bus.publish('api_key.updated', { keyId: 'key_x', hash: hashSecret(key) });
    expect((await service.verify(key)).valid).toBe(true);
  });
});

describe('batched usage (DESIGN §3: last-used time written in batches)', () => {
  it('N verifications → no write until the flush, then one touchApiKeys call with the count', async () => {
    const { key, record } = await service.create({ name: 'k', owner });
    const other = await service.create({ name: 'k2', owner });
    const touches = vi.spyOn(store, 'touchApiKeys');
    for (let i = 0; i < 25; i++) {
      await service.verify(key);
    }
    clock.advance(3);
    await service.verify(other.key);
    expect(touches).not.toHaveBeenCalled();
    expect((await store.findApiKey(record.id))?.usageCount).toBe(0);

    await service.flush();
    expect(touches).toHaveBeenCalledTimes(1);
    const stored = await store.findApiKey(record.id);
    expect(stored?.usageCount).toBe(25);
    expect(stored?.lastUsedAt).toBe(START);
    expect((await store.findApiKey(other.record.id))?.lastUsedAt).toBe(START + 3);

    await service.flush();
    expect(touches).toHaveBeenCalledTimes(1);
  });

  it('close() flushes what is left (graceful shutdown)', async () => {
    const { key, record } = await service.create({ name: 'k', owner });
    await service.verify(key);
    await service.verify(key);
    await service.close();
    expect((await store.findApiKey(record.id))?.usageCount).toBe(2);
  });
});

describe('rate limits (issue 4 §4)', () => {
  it('40 concurrent verifications with limit 10 → exactly 10 valid; the refused ones count once (no further consumption)', async () => {
    const { key, record } = await service.create({
      name: 'k',
      owner,
      rateLimit: { limit: 10, window: 60, kind: 'fixed' },
    });
    const results = await Promise.all(Array.from({ length: 40 }, () => service.verify(key)));
    const valid = results.filter((result) => result.valid);
    const limited = results.filter((result) => result.code === 'rate_limited');
    expect(valid).toHaveLength(10);
    expect(limited).toHaveLength(30);
    expect(
      limited.every((result) => result.rate_limit?.remaining === 0 && result.rate_limit.reset === 60),
    ).toBe(true);
    // The counter holds 10, not 40: refused verifications were not counted.
    const counter = await store.consumeRateLimit({
      key: `api_key:${record.id}`,
      limit: 1000,
      window: 60,
      kind: 'fixed',
      now: START,
    });
    expect(counter.count).toBe(11);
    await service.flush();
    expect((await store.findApiKey(record.id))?.usageCount).toBe(10);
  });

  it('reports limit, remaining and reset; the next window starts over', async () => {
    const { key } = await service.create({
      name: 'k',
      owner,
      rateLimit: { limit: 2, window: 60, kind: 'fixed' },
    });
    clock.advance(15);
    expect((await service.verify(key)).rate_limit).toEqual({
      limit: 2,
      remaining: 1,
      reset: 45,
      window: 60,
      kind: 'fixed',
    });
    expect((await service.verify(key)).rate_limit).toEqual({
      limit: 2,
      remaining: 0,
      reset: 45,
      window: 60,
      kind: 'fixed',
    });
    expect((await service.verify(key)).code).toBe('rate_limited');
    clock.advance(45);
    expect((await service.verify(key)).valid).toBe(true);
  });

  it('sliding window: the previous window still weighs, and Retry-After is when room frees up', async () => {
    const { key } = await service.create({
      name: 'k',
      owner,
      rateLimit: { limit: 4, window: 60, kind: 'sliding' },
    });
    for (let i = 0; i < 4; i++) {
      expect((await service.verify(key)).valid).toBe(true);
    }
    clock.advance(60);
    // 0 s into the next window the previous 4 weigh fully: floor(4 * 60/60) = 4.
    const refused = await service.verify(key);
    expect(refused.code).toBe('rate_limited');
    expect(refused.rate_limit?.reset).toBe(1);
    clock.advance(1);
    // floor(4 * 59/60) = 3 of the previous window still count: room for one.
    expect((await service.verify(key)).valid).toBe(true);
    const again = await service.verify(key);
    expect(again.code).toBe('rate_limited');
    // Room for a second once floor(4 * (60 - s) / 60) <= 2, i.e. at s = 16: 15 s from now.
    expect(again.rate_limit?.reset).toBe(15);
    clock.advance(14);
    expect((await service.verify(key)).code).toBe('rate_limited');
    clock.advance(1);
    expect((await service.verify(key)).valid).toBe(true);
  });

  it('a key without a rate limit never touches the counter', async () => {
    const { key } = await service.create({ name: 'k', owner });
    const consume = vi.spyOn(store, 'consumeRateLimit');
    await service.verify(key);
    expect(consume).not.toHaveBeenCalled();
    expect((await service.verify(key)).rate_limit).toBeNull();
  });
});

describe('cache invalidation by bus events (every change, every node)', () => {
  it('a change made by another node arrives as api_key.updated and is seen at once', async () => {
    const { key, record } = await service.create({ name: 'k', owner });
    expect((await service.verify(key)).valid).toBe(true);
    // Another node disabled it: the row changed and the event arrives through the bus bridge.
    await store.updateApiKey(record.id, { disabled: true }, clock.now());
    expect((await service.verify(key)).valid).toBe(true);
    bus.publish('api_key.updated', { keyId: record.id, hash: record.hash });
    expect(await service.verify(key)).toEqual({ valid: false, code: 'disabled', key_id: record.id, owner });
  });

  it('a revocation.created for the key evicts it', async () => {
    const { key, record } = await service.create({ name: 'k', owner });
    expect((await service.verify(key)).valid).toBe(true);
    await store.revokeApiKey(record.id, clock.now());
    await revocations.revoke({ type: 'api_key', value: record.id }, clock.now() + 60);
    expect((await service.verify(key)).code).toBe('revoked');
  });

  it('revoke() marks the row, evicts the key and streams a revocation until the retention ends', async () => {
    const { key, record } = await service.create({ name: 'k', owner });
    await service.verify(key);
    const streamed: unknown[] = [];
    bus.subscribe('revocation.created', (event) => streamed.push(event.target));
    await service.revoke(record.id);
    expect((await service.verify(key)).code).toBe('revoked');
    expect(streamed).toEqual([{ type: 'api_key', value: record.id }]);
    expect((await store.findApiKey(record.id))?.revokedAt).toBe(START);
    const active = await store.listActiveRevocations(clock.now());
    expect(active.find((event) => event.target.value === record.id)?.expiresAt).toBe(START + 86_400);
  });

  it('a revocation.created of type api_key_changed (a poll bringing what the bus lost) evicts the key', async () => {
    const { key, record } = await service.create({ name: 'k', owner });
    expect((await service.verify(key)).valid).toBe(true);
    await store.updateApiKey(record.id, { disabled: true }, clock.now());
    bus.publishLocal('revocation.created', {
      id: 999_999,
      target: { type: 'api_key_changed', value: record.id },
      revokedAt: clock.now(),
      expiresAt: clock.now() + 60,
    });
    expect((await service.verify(key)).code).toBe('disabled');
  });
});

describe('api_key_changed on the revocation stream (verifiers forget what they cached)', () => {
  /** The targets streamed while `act` runs. */
  async function streamedBy(act: () => Promise<unknown>) {
    const streamed: { type: string; value: string }[] = [];
    const unsubscribe = bus.subscribe('revocation.created', (event) => streamed.push(event.target));
    try {
      await act();
    } finally {
      unsubscribe();
    }
    return streamed;
  }

  it('disable, enable, update and a rotation with grace each stream api_key_changed for the key; create and acknowledge stream nothing', async () => {
    let created: Awaited<ReturnType<typeof service.create>> | undefined;
    expect(
      await streamedBy(async () => {
        created = await service.create({ name: 'k', owner });
      }),
    ).toEqual([]);
    const id = created?.record.id ?? '';
    const changed = [{ type: 'api_key_changed', value: id }];
    expect(await streamedBy(() => service.disable(id))).toEqual(changed);
    expect(await streamedBy(() => service.enable(id))).toEqual(changed);
    expect(await streamedBy(() => service.update(id, { scope: ['a'] }))).toEqual(changed);
    expect(await streamedBy(() => service.acknowledgeAnomalies(id))).toEqual([]);
    expect(await streamedBy(() => service.rotate(id, { grace: 60 }))).toEqual(changed);
    // Kept for changeRetention (default 300 s), never past the key's own expiry.
    const active = await store.listActiveRevocations(clock.now());
    expect(
      active.filter((event) => event.target.type === 'api_key_changed').map((event) => event.expiresAt),
    ).toEqual([START + 300, START + 300, START + 300, START + 60]);
  });

  it('a rotation without grace streams the revocation, not a change; revoke streams only the revocation', async () => {
    const { record } = await service.create({ name: 'k', owner });
    const rotatedAway = await streamedBy(() => service.rotate(record.id, { grace: 0 }));
    expect(rotatedAway).toEqual([{ type: 'api_key', value: record.id }]);
    const { record: other } = await service.create({ name: 'other', owner });
    expect(await streamedBy(() => service.revoke(other.id))).toEqual([{ type: 'api_key', value: other.id }]);
  });
});

describe('audit of rejected verifications (aggregated, never the key)', () => {
  it('1000 rejections of one start and reason → one event with the count; the key never appears', async () => {
    const { key, record } = await service.create({ name: 'k', owner });
    await service.disable(record.id);
    for (let i = 0; i < 1000; i++) {
      await service.verify(key, { actor: 'cli_rs' });
    }
    await service.flush();
    const events = await auditOf('api_key.verification_rejected');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: 'cli_rs',
      subject: record.id,
      data: { reason: 'disabled', start: record.start, count: 1000 },
    });
    const all = JSON.stringify((await store.listAudit({ limit: 500 })).items);
    expect(all).not.toContain(key);
    expect(all).not.toContain(record.hash);
  });

  it('a flood of distinct unknown keys → at most 20 detailed events plus one summary per reason', async () => {
    for (let i = 0; i < 300; i++) {
      await service.verify(mintSecret('key'), { actor: 'cli_attacker' });
    }
    await service.flush();
    const events = await auditOf('api_key.verification_rejected');
    expect(events.length).toBe(21);
    const summary = events.find((event) => event.data.aggregated === true);
    expect(summary?.data).toMatchObject({ reason: 'not_found', count: 280 });
    expect(events.reduce((sum, event) => sum + Number(event.data.count), 0)).toBe(300);
  });
});

describe('anomaly policy default (apiKeys.anomalyPolicy; docs/api-keys.md, "Anomalies")', () => {
  it('a key created without a policy gets the configured default; one that names a policy keeps it', async () => {
    const guarded = createApiKeyService({
      store,
      revocations,
      bus,
      clock,
      audit,
      logger,
      options: { flushIntervalMs: 3_600_000, anomalyPolicy: 'disable' },
    });
    try {
      expect((await guarded.create({ name: 'default', owner })).record.anomalyPolicy).toBe('disable');
      expect((await guarded.create({ name: 'own', owner, anomalyPolicy: 'off' })).record.anomalyPolicy).toBe(
        'off',
      );
      expect((await service.create({ name: 'built-in', owner })).record.anomalyPolicy).toBe('flag');
      await expect(
        guarded.create({ name: 'bad', owner, anomalyPolicy: 'panic' as unknown as 'off' }),
      ).rejects.toMatchObject({ code: 'invalid_request' });
    } finally {
      await guarded.close();
    }
  });
});
