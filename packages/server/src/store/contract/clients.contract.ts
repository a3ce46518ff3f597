import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../ports.js';
import {
  collectPages,
  type MakeStore,
  newAccessToken,
  newClient,
  newCode,
  newRefreshToken,
  newUser,
  T0,
  uid,
  useStore,
} from './fixtures.js';

export function describeClientStore(makeStore: MakeStore): void {
  describe('ClientStore', () => {
    const store = useStore(makeStore);

    it('round-trips every field of a created client, JSON included', async () => {
      const input = newClient({
        grantTypes: ['client_credentials'],
        defaultScope: ['read:orders'],
        postLogoutRedirectUris: ['https://app.example.com/bye'],
        tokenEndpointAuthMethod: 'private_key_jwt',
        tokenFormat: 'opaque',
        accessTokenTtl: 900,
        metadata: { tenant: 'acme', nested: { tier: 2, tags: ['a', 'b'] }, ok: true },
        jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }] },
        jwksUri: 'https://app.example.com/jwks.json',
        idTokenSignedResponseAlg: 'ES256',
        subjectType: 'pairwise',
        sectorIdentifierUri: 'https://app.example.com/sector.json',
        firstParty: true,
        dpopBoundAccessTokens: true,
        permissions: ['revocations:stream', 'api_keys:verify'],
        secrets: [{ hash: uid('hash'), start: 'abcd', createdAt: T0 - 10, expiresAt: null }],
      });
      const created = await store().createClient(input, T0);
      expect(created).toEqual({ ...input, createdAt: T0, updatedAt: T0 });
      expect(await store().findClient(input.id)).toEqual(created);
    });

    it('keeps subject_type public unless told, and updates subject_type and sector_identifier_uri (0019)', async () => {
      const { subjectType: _type, sectorIdentifierUri: _sector, ...input } = newClient();
      const created = await store().createClient(input, T0);
      expect([created.subjectType, created.sectorIdentifierUri]).toEqual(['public', null]);
      const updated = await store().updateClient(
        input.id,
        { subjectType: 'pairwise', sectorIdentifierUri: 'https://rp.example.com/sector.json' },
        T0 + 1,
      );
      expect([updated.subjectType, updated.sectorIdentifierUri]).toEqual([
        'pairwise',
        'https://rp.example.com/sector.json',
      ]);
      expect(await store().findClient(input.id)).toEqual(updated);
    });

    it('round-trips where a client comes from and its registration access token hash (0011)', async () => {
      const anchored = newClient({
        id: 'https://agent.example.com/client.json',
        source: 'metadata_document',
      });
      expect((await store().createClient(anchored, T0)).source).toBe('metadata_document');
      expect((await store().findClient(anchored.id))?.source).toBe('metadata_document');
      const registered = newClient({ registrationTokenHash: uid('hash') });
      await store().createClient(registered, T0);
      expect((await store().findClient(registered.id))?.registrationTokenHash).toBe(
        registered.registrationTokenHash,
      );
      const plain = await store().createClient(newClient(), T0);
      expect(plain.source).toBeUndefined();
      expect(plain.registrationTokenHash).toBeUndefined();
      const rotated = uid('hash');
      await store().updateClient(registered.id, { registrationTokenHash: rotated }, T0 + 1);
      expect((await store().findClient(registered.id))?.registrationTokenHash).toBe(rotated);
    });

    it('returns undefined for an unknown client', async () => {
      expect(await store().findClient(uid('cli'))).toBeUndefined();
    });

    it('rejects a second client with the same id', async () => {
      const input = newClient();
      await store().createClient(input, T0);
      await expect(store().createClient(input, T0)).rejects.toBeInstanceOf(ConflictError);
    });

    it('pages through clients in creation order with a cursor, each exactly once', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const client = await store().createClient(newClient(), T0 + 1000 + i);
        ids.push(client.id);
      }
      const { items, pages } = await collectPages(2, (options) => store().listClients(options));
      const mine = items.map((client) => client.id).filter((id) => ids.includes(id));
      expect(mine).toEqual(ids);
      expect(new Set(items.map((client) => client.id)).size).toBe(items.length);
      expect(pages).toBeGreaterThanOrEqual(3);
    });

    it('rejects a malformed cursor', async () => {
      await expect(store().listClients({ cursor: 'not-a-cursor' })).rejects.toThrow();
    });

    it('counts clients', async () => {
      const before = await store().countClients();
      await store().createClient(newClient(), T0);
      await store().createClient(newClient(), T0);
      expect(await store().countClients()).toBe(before + 2);
    });

    it('updates only the patched fields and bumps updatedAt', async () => {
      const created = await store().createClient(newClient({ accessTokenTtl: 300 }), T0);
      const updated = await store().updateClient(
        created.id,
        {
          name: 'Renamed',
          scope: ['read:orders'],
          disabled: true,
          accessTokenTtl: null,
          metadata: { a: 1 },
          dpopBoundAccessTokens: true,
        },
        T0 + 5,
      );
      expect(updated).toEqual({
        ...created,
        dpopBoundAccessTokens: true,
        name: 'Renamed',
        scope: ['read:orders'],
        disabled: true,
        accessTokenTtl: null,
        metadata: { a: 1 },
        updatedAt: T0 + 5,
      });
      expect(await store().findClient(created.id)).toEqual(updated);
    });

    it('throws NotFoundError when updating or deleting an unknown client', async () => {
      await expect(store().updateClient(uid('cli'), { name: 'x' }, T0)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store().deleteClient(uid('cli'))).rejects.toBeInstanceOf(NotFoundError);
    });

    it('deletes a client with everything it owns', async () => {
      const client = await store().createClient(
        newClient({ secrets: [{ hash: uid('hash'), start: 'abcd', createdAt: T0, expiresAt: null }] }),
        T0,
      );
      const user = await store().createUser(newUser(), T0);
      const code = newCode(client.id, user.id);
      const refresh = newRefreshToken(client.id, user.id);
      const access = newAccessToken(client.id);
      await store().insertAuthorizationCode(code);
      await store().insertRefreshToken(refresh);
      await store().insertAccessToken(access);
      await store().grantConsent(user.id, client.id, ['openid'], T0);

      await store().deleteClient(client.id);

      expect(await store().findClient(client.id)).toBeUndefined();
      expect(await store().consumeAuthorizationCode(code.hash, client.id, T0)).toEqual({
        status: 'not_found',
      });
      expect(await store().findRefreshToken(refresh.hash)).toBeUndefined();
      expect(await store().findAccessToken(access.hash)).toBeUndefined();
      expect(await store().findConsent(user.id, client.id)).toBeUndefined();
      expect(await store().findUser(user.id)).toBeDefined();
    });

    it('rotates a secret: adds the new one, expires the others, drops those already expired', async () => {
      const current = { hash: uid('hash'), start: 'cur1', createdAt: T0, expiresAt: null };
      const soon = { hash: uid('hash'), start: 'soon', createdAt: T0, expiresAt: T0 + 50 };
      const gone = { hash: uid('hash'), start: 'gone', createdAt: T0 - 100, expiresAt: T0 + 5 };
      const created = await store().createClient(newClient({ secrets: [gone, current, soon] }), T0 - 100);
      const next = { hash: uid('hash'), start: 'next', createdAt: T0 + 10, expiresAt: null };

      const rotated = await store().rotateClientSecret(created.id, next, T0 + 100, T0 + 10);

      expect(rotated.updatedAt).toBe(T0 + 10);
      expect(rotated.secrets).toHaveLength(3);
      expect(rotated.secrets).toEqual(
        expect.arrayContaining([
          { ...current, expiresAt: T0 + 100 },
          // It already expired earlier than the grace period: that stays.
          soon,
          next,
        ]),
      );
      expect(await store().findClient(created.id)).toEqual(rotated);
    });

    it('throws NotFoundError when rotating the secret of an unknown client', async () => {
      const secret = { hash: uid('hash'), start: 'next', createdAt: T0, expiresAt: null };
      await expect(store().rotateClientSecret(uid('cli'), secret, T0 + 100, T0)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });
  });
}
