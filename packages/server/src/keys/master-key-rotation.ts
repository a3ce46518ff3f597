/**
 * Master-key rotation (`tessera master-key rotate`, offline): re-seals every signing key's private
 * part, every TOTP secret and every server secret (the pairwise subject key), under a new master key, in one transaction, so the database is either all re-sealed or
 * untouched. Rows already sealed by the new key are left alone, so a rotation interrupted before
 * its commit, or run twice, is safe to run again.
 */
import type { MfaStore, ServerSecretStore, SigningKeyStore } from '../store/ports.js';
import { masterKeyIdOf, seal, totpAssociatedData, totpSealingKey, UnsealError, unseal } from './seal.js';
import { serverSecretAssociatedData } from './server-secrets.js';

/** A rotation that cannot be done; nothing was changed. */
export class MasterKeyRotationError extends Error {
  override readonly name = 'MasterKeyRotationError';
}

export interface MasterKeyRotationDeps {
  /** Runs `fn` in one write transaction (the Store's `transaction`). */
  transaction<T>(
    fn: (
      tx: SigningKeyStore &
        Pick<MfaStore, 'listTotpSecrets' | 'resealTotpSecret'> &
        Pick<ServerSecretStore, 'listServerSecrets' | 'resealServerSecret'>,
    ) => Promise<T>,
  ): Promise<T>;
  oldKey: Buffer;
  newKey: Buffer;
}

export interface MasterKeyRotationResult {
  /** Id of the new master key (what every row now carries). */
  masterKeyId: string;
  /** Kids re-sealed by this run. */
  resealed: string[];
  /** Kids that were already sealed by the new key. */
  alreadyCurrent: string[];
  /** TOTP secrets re-sealed by this run (those already under the new key are left alone). */
  totpResealed: number;
  /** Server secrets re-sealed by this run. */
  serverSecretsResealed: number;
}

export async function rotateMasterKey(deps: MasterKeyRotationDeps): Promise<MasterKeyRotationResult> {
  const oldId = masterKeyIdOf(deps.oldKey);
  const newId = masterKeyIdOf(deps.newKey);
  if (oldId === newId) {
    throw new MasterKeyRotationError('The old and the new master key are the same key');
  }
  return deps.transaction(async (tx) => {
    const resealed: string[] = [];
    const alreadyCurrent: string[] = [];
    for (const record of await tx.listSigningKeys()) {
      if (record.masterKeyId === newId) {
        alreadyCurrent.push(record.kid);
        continue;
      }
      if (record.masterKeyId !== null && record.masterKeyId !== oldId) {
        throw new MasterKeyRotationError(
          `Signing key ${record.kid} is sealed by master key ${record.masterKeyId}, not by the old key given (${oldId}): nothing was changed`,
        );
      }
      let plaintext: string;
      try {
        plaintext = unseal(deps.oldKey, record.sealedPrivateKey, record.kid);
      } catch (error) {
        if (error instanceof UnsealError) {
          throw new MasterKeyRotationError(
            `The old master key (${oldId}) does not open signing key ${record.kid}: wrong old key? Nothing was changed`,
            { cause: error },
          );
        }
        throw error;
      }
      await tx.resealSigningKey(record.kid, seal(deps.newKey, plaintext, record.kid), newId);
      resealed.push(record.kid);
    }
    const totpResealed = await resealTotpSecrets(tx, deps, oldId);
    const serverSecretsResealed = await resealServerSecrets(tx, deps, oldId, newId);
    return { masterKeyId: newId, resealed, alreadyCurrent, totpResealed, serverSecretsResealed };
  });
}

/** TOTP secrets carry no key id: one the old key does not open must already be under the new one. */
async function resealTotpSecrets(
  tx: Pick<MfaStore, 'listTotpSecrets' | 'resealTotpSecret'>,
  deps: Pick<MasterKeyRotationDeps, 'oldKey' | 'newKey'>,
  oldId: string,
): Promise<number> {
  const oldKey = totpSealingKey(deps.oldKey);
  const newKey = totpSealingKey(deps.newKey);
  let count = 0;
  for (const { userId, sealedSecret } of await tx.listTotpSecrets()) {
    const aad = totpAssociatedData(userId);
    let secret: string;
    try {
      secret = unseal(oldKey, sealedSecret, aad);
    } catch (error) {
      if (!(error instanceof UnsealError)) {
        throw error;
      }
      try {
        unseal(newKey, sealedSecret, aad);
        continue;
      } catch {
        throw new MasterKeyRotationError(
          `The old master key (${oldId}) does not open the TOTP secret of ${userId}: nothing was changed`,
          { cause: error },
        );
      }
    }
    await tx.resealTotpSecret(userId, seal(newKey, secret, aad));
    count += 1;
  }
  return count;
}

/** Server secrets carry their master key id: those under the new key are left alone. */
async function resealServerSecrets(
  tx: Pick<ServerSecretStore, 'listServerSecrets' | 'resealServerSecret'>,
  deps: Pick<MasterKeyRotationDeps, 'oldKey' | 'newKey'>,
  oldId: string,
  newId: string,
): Promise<number> {
  let count = 0;
  for (const secret of await tx.listServerSecrets()) {
    if (secret.masterKeyId === newId) {
      continue;
    }
    const aad = serverSecretAssociatedData(secret.name);
    let value: string;
    try {
      if (secret.masterKeyId !== oldId) {
        throw new UnsealError(`sealed by master key ${secret.masterKeyId}`);
      }
      value = unseal(deps.oldKey, secret.sealed, aad);
    } catch (error) {
      if (error instanceof UnsealError) {
        throw new MasterKeyRotationError(
          `The old master key (${oldId}) does not open the server secret ${secret.name}: nothing was changed`,
          { cause: error },
        );
      }
      throw error;
    }
    await tx.resealServerSecret({
      name: secret.name,
      sealed: seal(deps.newKey, value, aad),
      masterKeyId: newId,
    });
    count += 1;
  }
  return count;
}
