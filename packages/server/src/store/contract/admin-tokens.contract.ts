import { describe, expect, it } from 'vitest';
import { type AdminTokenRecord, ConflictError } from '../ports.js';
import { type MakeStore, T0, uid, useStore } from './fixtures.js';

function newToken(overrides: Partial<AdminTokenRecord> = {}): AdminTokenRecord {
  return {
    id: uid('adt'),
    name: 'deploy bot',
    scopes: ['clients:write', 'signing_keys:read'],
    hash: uid('hash'),
    start: 'tsr_adm_AbCd',
    createdAt: T0,
    expiresAt: T0 + 3600,
    revokedAt: null,
    ...overrides,
  };
}

export function describeAdminTokenStore(makeStore: MakeStore): void {
  describe('AdminTokenStore', () => {
    const store = useStore(makeStore);

    it('issue 12 item 11 — finds a token by its hash only, and lists it', async () => {
      const token = newToken();
      await store().insertAdminToken(token);
      expect(await store().findAdminTokenByHash(token.hash)).toEqual(token);
      expect(await store().findAdminTokenByHash('other')).toBeUndefined();
      expect((await store().listAdminTokens()).find((t) => t.id === token.id)).toEqual(token);
    });

    it('issue 12 item 11 — a duplicate hash is a conflict', async () => {
      const token = newToken();
      await store().insertAdminToken(token);
      await expect(store().insertAdminToken(newToken({ hash: token.hash }))).rejects.toBeInstanceOf(
        ConflictError,
      );
    });

    it('issue 12 item 11 — revokes once; an unknown or already revoked token reports false', async () => {
      const token = newToken({ expiresAt: null });
      await store().insertAdminToken(token);
      expect(await store().revokeAdminToken(token.id, T0 + 5)).toBe(true);
      expect(await store().revokeAdminToken(token.id, T0 + 6)).toBe(false);
      expect(await store().revokeAdminToken('adt_absent', T0 + 6)).toBe(false);
      expect(await store().findAdminTokenByHash(token.hash)).toEqual({ ...token, revokedAt: T0 + 5 });
    });
  });
}
