/**
 * Server-wide secrets (e.g. the pairwise subject key): made once, stored sealed with the master key
 * (AES-256-GCM, the name as associated data) and re-sealed by master-key rotation, so their value
 * outlives any one master key. Every node reads the same row: the first to start inserts it, the
 * others find it (insert-if-absent, then read back), so concurrent first starts agree.
 */
import type { ServerSecretStore } from '../store/ports.js';
import { masterKeyIdOf, seal, UnsealError, unseal } from './seal.js';

/** The associated data of a sealed server secret: it cannot be moved to another name. */
export function serverSecretAssociatedData(name: string): string {
  return `tessera server secret ${name}`;
}

/**
 * The secret named `name`, created from `initial()` if the store has none yet. `masterKeys` are the
 * current key first, then previous ones still accepted; throws {@link UnsealError} if none opens it.
 */
export async function loadServerSecret(
  store: Pick<ServerSecretStore, 'insertServerSecretIfAbsent' | 'findServerSecret'>,
  name: string,
  masterKeys: readonly Buffer[],
  initial: () => Promise<Buffer>,
): Promise<Buffer> {
  const [current] = masterKeys;
  if (current === undefined) {
    throw new Error('no master key');
  }
  const aad = serverSecretAssociatedData(name);
  if ((await store.findServerSecret(name)) === undefined) {
    const value = await initial();
    await store.insertServerSecretIfAbsent({
      name,
      sealed: seal(current, value.toString('base64url'), aad),
      masterKeyId: masterKeyIdOf(current),
    });
  }
  const stored = await store.findServerSecret(name);
  const key = masterKeys.find((candidate) => masterKeyIdOf(candidate) === stored?.masterKeyId);
  if (stored === undefined || key === undefined) {
    throw new UnsealError(
      `The server secret ${name} is sealed by master key ${stored?.masterKeyId ?? '(none)'}`,
    );
  }
  return Buffer.from(unseal(key, stored.sealed, aad), 'base64url');
}
