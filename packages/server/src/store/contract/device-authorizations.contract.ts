import { describe, expect, it } from 'vitest';
import { ConflictError, type DeviceAuthorizationRecord } from '../ports.js';
import { type MakeStore, seedOwners, T0, uid, useStore } from './fixtures.js';

export function newDeviceAuthorization(
  clientId: string,
  overrides: Partial<DeviceAuthorizationRecord> = {},
): DeviceAuthorizationRecord {
  return {
    id: uid('dev'),
    deviceCodeHash: uid('dch'),
    userCodePrefix: uid('P').slice(0, 12),
    userCodeHash: uid('uch'),
    clientId,
    scope: ['openid', 'profile'],
    audience: ['https://api.example'],
    deviceInfo: 'TV/1.0',
    status: 'pending',
    userId: null,
    sessionId: null,
    authTime: null,
    amr: [],
    acr: null,
    interval: 5,
    lastPolledAt: null,
    failedAttempts: 0,
    createdAt: T0,
    expiresAt: T0 + 600,
    ...overrides,
  };
}

export function describeDeviceAuthorizationStore(makeStore: MakeStore): void {
  describe('DeviceAuthorizationStore (RFC 8628)', () => {
    const store = useStore(makeStore);
    const approval = (userId: string) => ({
      userId,
      sessionId: uid('ses'),
      authTime: T0 + 10,
      amr: ['pwd'],
      acr: null,
    });

    it('round-trips a request and finds it by user-code prefix while pending and unexpired', async () => {
      const { client } = await seedOwners(store());
      const request = newDeviceAuthorization(client.id);
      await store().insertDeviceAuthorization(request);
      expect(await store().findDeviceAuthorization(request.id)).toEqual(request);
      expect(await store().findPendingDeviceAuthorizations(request.userCodePrefix, T0)).toEqual([request]);
      expect(await store().findPendingDeviceAuthorizations(request.userCodePrefix, T0 + 600)).toEqual([]);
      await expect(store().insertDeviceAuthorization(request)).rejects.toBeInstanceOf(ConflictError);
    });

    it('RFC 8628 §3.5 — pending, then slow_down raising the interval by 5 for every later poll', async () => {
      const { client } = await seedOwners(store());
      const request = newDeviceAuthorization(client.id);
      await store().insertDeviceAuthorization(request);
      const poll = (at: number) => store().pollDeviceAuthorization(request.deviceCodeHash, client.id, at, 5);
      expect(await poll(T0)).toEqual({ status: 'pending' });
      expect(await poll(T0 + 2)).toEqual({ status: 'slow_down', interval: 10 });
      expect(await poll(T0 + 9)).toEqual({ status: 'slow_down', interval: 15 });
      expect(await poll(T0 + 24)).toEqual({ status: 'pending' });
      expect((await store().findDeviceAuthorization(request.id))?.interval).toBe(15);
    });

    it('another client polling changes nothing; an unknown code is not_found; an expired one expired', async () => {
      const { client } = await seedOwners(store());
      const request = newDeviceAuthorization(client.id);
      await store().insertDeviceAuthorization(request);
      expect(await store().pollDeviceAuthorization(request.deviceCodeHash, uid('cli'), T0, 5)).toEqual({
        status: 'wrong_client',
      });
      expect((await store().findDeviceAuthorization(request.id))?.lastPolledAt).toBeNull();
      expect(await store().pollDeviceAuthorization(uid('dch'), client.id, T0, 5)).toEqual({
        status: 'not_found',
      });
      expect(await store().pollDeviceAuthorization(request.deviceCodeHash, client.id, T0 + 600, 5)).toEqual({
        status: 'expired',
      });
    });

    it('approval is decided once and consumed by exactly one of 20 concurrent polls', async () => {
      const { client, user } = await seedOwners(store());
      const request = newDeviceAuthorization(client.id);
      await store().insertDeviceAuthorization(request);
      expect(await store().decideDeviceAuthorization(request.id, approval(user.id), T0 + 1)).toBe(true);
      expect(await store().decideDeviceAuthorization(request.id, 'denied', T0 + 1)).toBe(false);
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          store().pollDeviceAuthorization(request.deviceCodeHash, client.id, T0 + 30, 5),
        ),
      );
      const won = results.filter((r) => r.status === 'approved');
      expect(won).toHaveLength(1);
      expect(results.filter((r) => r.status === 'consumed')).toHaveLength(19);
      const record = won[0]?.status === 'approved' ? won[0].record : undefined;
      expect(record).toMatchObject({ userId: user.id, authTime: T0 + 10, amr: ['pwd'], status: 'approved' });
      expect((await store().findDeviceAuthorization(request.id))?.status).toBe('consumed');
    });

    it('a denied request answers denied; an expired one cannot be decided', async () => {
      const { client, user } = await seedOwners(store());
      const denied = newDeviceAuthorization(client.id);
      await store().insertDeviceAuthorization(denied);
      expect(await store().decideDeviceAuthorization(denied.id, 'denied', T0)).toBe(true);
      expect(await store().pollDeviceAuthorization(denied.deviceCodeHash, client.id, T0, 5)).toEqual({
        status: 'denied',
      });
      const late = newDeviceAuthorization(client.id);
      await store().insertDeviceAuthorization(late);
      expect(await store().decideDeviceAuthorization(late.id, approval(user.id), T0 + 600)).toBe(false);
    });

    it('RFC 8628 §5.1 — wrong confirmations are counted and lock the user code at the limit', async () => {
      const { client, user } = await seedOwners(store());
      const request = newDeviceAuthorization(client.id);
      await store().insertDeviceAuthorization(request);
      expect(await store().recordDeviceAuthorizationFailure(request.id, 3)).toBe(1);
      expect(await store().recordDeviceAuthorizationFailure(request.id, 3)).toBe(2);
      expect(await store().recordDeviceAuthorizationFailure(request.id, 3)).toBe(3);
      expect((await store().findDeviceAuthorization(request.id))?.status).toBe('denied');
      expect(await store().decideDeviceAuthorization(request.id, approval(user.id), T0)).toBe(false);
      expect(await store().findPendingDeviceAuthorizations(request.userCodePrefix, T0)).toEqual([]);
    });

    it('purges expired requests only', async () => {
      const { client } = await seedOwners(store());
      const old = newDeviceAuthorization(client.id, { expiresAt: T0 - 1 });
      const live = newDeviceAuthorization(client.id);
      await store().insertDeviceAuthorization(old);
      await store().insertDeviceAuthorization(live);
      expect(await store().purgeExpiredDeviceAuthorizations(T0)).toBeGreaterThanOrEqual(1);
      expect(await store().findDeviceAuthorization(old.id)).toBeUndefined();
      expect(await store().findDeviceAuthorization(live.id)).toEqual(live);
    });
  });
}
