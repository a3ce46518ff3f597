import { describe, expect, it } from 'vitest';
import { ConflictError, type SigningKeyRecord } from '../ports.js';
import { type MakeStore, T0, uid, useStore } from './fixtures.js';

function newKey(overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  const kid = uid('kid');
  return {
    kid,
    alg: 'ES256',
    publicJwk: {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9',
      kid,
    },
    sealedPrivateKey: 'v1.sealed.payload',
    masterKeyId: '0011223344556677',
    createdAt: T0,
    activatesAt: T0 + 3600,
    retiredAt: null,
    expiresAt: null,
    ...overrides,
  };
}

export function describeSigningKeyStore(makeStore: MakeStore): void {
  describe('SigningKeyStore', () => {
    const store = useStore(makeStore);

    it('lists inserted keys with their public JWK round-tripped, oldest first', async () => {
      const older = newKey({ createdAt: T0 - 100, alg: 'EdDSA' });
      const newer = newKey();
      await store().insertSigningKey(newer);
      await store().insertSigningKey(older);
      const mine = (await store().listSigningKeys()).filter(
        (key) => key.kid === older.kid || key.kid === newer.kid,
      );
      expect(mine).toEqual([older, newer]);
    });

    it('rejects a duplicate kid', async () => {
      const key = newKey();
      await store().insertSigningKey(key);
      await expect(store().insertSigningKey(key)).rejects.toBeInstanceOf(ConflictError);
    });

    it('retires only the named keys', async () => {
      const a = newKey();
      const b = newKey();
      await store().insertSigningKey(a);
      await store().insertSigningKey(b);
      await store().retireSigningKeys([a.kid], T0 + 10, T0 + 1000);
      await store().retireSigningKeys([], T0 + 10, T0 + 1000);
      const keys = await store().listSigningKeys();
      expect(keys.find((key) => key.kid === a.kid)).toEqual({
        ...a,
        retiredAt: T0 + 10,
        expiresAt: T0 + 1000,
      });
      expect(keys.find((key) => key.kid === b.kid)).toEqual(b);
    });

    it('deletes only keys whose expiry has passed', async () => {
      const expired = newKey({ retiredAt: T0 - 100, expiresAt: T0 - 1 });
      const leaving = newKey({ retiredAt: T0 - 100, expiresAt: T0 + 100 });
      const current = newKey();
      for (const key of [expired, leaving, current]) {
        await store().insertSigningKey(key);
      }
      expect(await store().deleteExpiredSigningKeys(T0)).toBeGreaterThanOrEqual(1);
      const kids = (await store().listSigningKeys()).map((key) => key.kid);
      expect(kids).not.toContain(expired.kid);
      expect(kids).toEqual(expect.arrayContaining([leaving.kid, current.kid]));
    });

    it('issue 11 item 8 — deleteSigningKey removes exactly the named key and reports an unknown kid', async () => {
      const pulled = newKey();
      const kept = newKey();
      await store().insertSigningKey(pulled);
      await store().insertSigningKey(kept);
      expect(await store().deleteSigningKey(pulled.kid)).toBe(true);
      expect(await store().deleteSigningKey(pulled.kid)).toBe(false);
      const kids = (await store().listSigningKeys()).map((key) => key.kid);
      expect(kids).not.toContain(pulled.kid);
      expect(kids).toContain(kept.kid);
    });

    it('issue 11 item 8 — resealSigningKey replaces the sealed part and master key id of one key only', async () => {
      const legacy = newKey({ masterKeyId: null });
      const other = newKey();
      await store().insertSigningKey(legacy);
      await store().insertSigningKey(other);
      expect(await store().resealSigningKey(legacy.kid, 'v1.resealed', 'ffeeddccbbaa9988')).toBe(true);
      expect(await store().resealSigningKey('kid_absent', 'v1.x', 'ffeeddccbbaa9988')).toBe(false);
      const keys = await store().listSigningKeys();
      expect(keys.find((key) => key.kid === legacy.kid)).toEqual({
        ...legacy,
        sealedPrivateKey: 'v1.resealed',
        masterKeyId: 'ffeeddccbbaa9988',
      });
      expect(keys.find((key) => key.kid === other.kid)).toEqual(other);
    });
  });
}
