import { describe, expect, it } from 'vitest';
import { type MakeStore, uid, useStore } from './fixtures.js';

export function describeServerSecretStore(makeStore: MakeStore): void {
  describe('ServerSecretStore (0020)', () => {
    const store = useStore(makeStore);

    it('insert-if-absent: the first insert wins, a second leaves it as it was', async () => {
      const name = uid('secret');
      const first = { name, sealed: 'v1.first', masterKeyId: '0011223344556677' };
      expect(await store().insertServerSecretIfAbsent(first)).toBe(true);
      expect(await store().insertServerSecretIfAbsent({ ...first, sealed: 'v1.second' })).toBe(false);
      expect(await store().findServerSecret(name)).toEqual(first);
      expect(await store().findServerSecret(uid('absent'))).toBeUndefined();
    });

    it('re-seals in place and lists every secret', async () => {
      const name = uid('secret');
      await store().insertServerSecretIfAbsent({ name, sealed: 'v1.old', masterKeyId: '0011223344556677' });
      const resealed = { name, sealed: 'v1.new', masterKeyId: '8899aabbccddeeff' };
      await store().resealServerSecret(resealed);
      expect((await store().listServerSecrets()).filter((secret) => secret.name === name)).toEqual([
        resealed,
      ]);
    });
  });
}
