/**
 * Signing keys: generated on first start, sealed at rest, rotated with overlap (DESIGN §3).
 *
 * A rotated-in key is published in the JWKS at once but signs only from `activatesAt`, so every
 * verifier has fetched it first. The keys it replaces stop signing then and stay published until
 * every token they signed has expired (`expiresAt`).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Clock } from '../clock.js';
import type { SigningAlgorithm, SigningKeyRecord, SigningKeyStore } from '../store/ports.js';
import { masterKeyIdOf, seal, UnsealError, unseal } from './seal.js';

export interface KeyringDeps {
  store: SigningKeyStore;
  clock: Clock;
  masterKey: Buffer;
  /**
   * Master keys that may still open rows during a master-key rotation (`masterKeyPrevious`); new
   * keys are always sealed with `masterKey`.
   */
  previousMasterKeys?: readonly Buffer[];
  /** Seconds a rotated-in key is published before it signs. */
  activationDelay: number;
  /** Seconds a retired key stays published: the longest token lifetime plus clock skew. */
  retention: number;
}

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

interface LoadedKey extends SigningKey {
  record: SigningKeyRecord;
}

/** Key types and generator options for {@link generateKeyPairFromDer}. */
export type KeyPairType = 'ec' | 'ed25519' | 'rsa';

/**
 * A new key pair read back from the generator's DER. On Node 20 a KeyObject straight from
 * `generateKeyPairSync` shares a mutex with the generator's job, which takes it when the job is
 * garbage-collected; a collection that runs while such a key is exported as a JWK (the export
 * allocates while holding that mutex) deadlocks the process for good. Seen in CI on the RS256
 * ID-token key minted at start; reproduced in a few thousand generate-and-export rounds of EC keys,
 * not on Node 24. Keys read back from DER have a mutex of their own. Tests take their keys here too
 * (test/keys/keygen-deadlock.test.ts holds that no other code calls the generator).
 *
 * @example
 * ```ts
 * const { privateKey, publicKey } = generateKeyPairFromDer('rsa', { modulusLength: 2048 });
 * ```
 */
export function generateKeyPairFromDer(
  type: KeyPairType,
  options: { namedCurve?: string; modulusLength?: number } = {},
): { privateKey: KeyObject; publicKey: KeyObject } {
  const publicKeyEncoding = { type: 'spki', format: 'der' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'der' } as const;
  const der: Buffer =
    type === 'ec'
      ? generateKeyPairSync('ec', {
          namedCurve: options.namedCurve ?? 'P-256',
          publicKeyEncoding,
          privateKeyEncoding,
        }).privateKey
      : type === 'rsa'
        ? generateKeyPairSync('rsa', {
            modulusLength: options.modulusLength ?? 2048,
            publicKeyEncoding,
            privateKeyEncoding,
          }).privateKey
        : generateKeyPairSync('ed25519', { publicKeyEncoding, privateKeyEncoding }).privateKey;
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

const KEY_TYPE: Record<SigningAlgorithm, KeyPairType> = { ES256: 'ec', EdDSA: 'ed25519', RS256: 'rsa' };

/**
 * A new signing key pair for `alg` (P-256, Ed25519, RSA 2048), through {@link generateKeyPairFromDer}.
 *
 * @example
 * ```ts
 * const { privateKey, publicKey } = generateSigningKeyPair('ES256');
 * ```
 */
export function generateSigningKeyPair(alg: SigningAlgorithm): {
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  return generateKeyPairFromDer(KEY_TYPE[alg]);
}

/** The public members of a JWK only: a JWKS must never show `d`, `p`, `q`, `dp`, `dq`, `qi`, `k`. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

function publicJwkOf(key: KeyObject): JWK {
  const full = key.export({ format: 'jwk' }) as JWK;
  const out: JWK = {};
  for (const member of PUBLIC_MEMBERS) {
    if (full[member] !== undefined) {
      out[member] = full[member];
    }
  }
  return out;
}

/** What pulling a key did, or why it did nothing. */
export type PullResult =
  | { status: 'pulled'; pulled: SigningKeyRecord; added: SigningKeyRecord[] }
  | { status: 'not_found' }
  /** The key is the only one able to sign `alg` tokens now; nothing was changed. */
  | { status: 'only_signer'; alg: SigningAlgorithm };

export interface Keyring {
  /** Loads every key from the store, creating the first key of `algorithms` when none is usable. */
  load(algorithms: SigningAlgorithm[]): Promise<void>;
  /** The key that signs now for `alg` (newest active, not retired). */
  current(alg: SigningAlgorithm): SigningKey;
  /** A published key by id (active, upcoming or retired), for local verification. */
  find(kid: string): SigningKey | undefined;
  /** The public JWK Set: current, upcoming and recently retired keys. */
  jwks(): { keys: JWK[] };
  /** Adds a key per algorithm in use; it signs after the activation delay, or at once with `now`. */
  rotate(options?: { now?: boolean }): Promise<SigningKeyRecord[]>;
  /**
   * Pulls a compromised key: it leaves the JWKS, `find` and the store (its sealed private part
   * too) at once. When it is the only key that can sign its algorithm now, nothing changes unless
   * `rotate`, which first mints a replacement that signs at once.
   */
  pull(kid: string, options?: { rotate?: boolean }): Promise<PullResult>;
  /** Drops a pulled key from memory at once and for good (another node pulled it). */
  forget(kid: string): void;
  /** Re-reads the keys from the store (another node rotated). */
  reload(): Promise<void>;
  /** Seconds until the earliest scheduled change (activation or removal), for cache headers. */
  secondsToNextChange(): number | undefined;
}

export function createKeyring(deps: KeyringDeps): Keyring {
  let keys: LoadedKey[] = [];
  /** Keys pulled while this keyring lives: never served again, even by a reload that raced the pull. */
  const pulled = new Set<string>();
  let jwksCache: { value: { keys: JWK[] }; until: number } | undefined;
  const algorithmsInUse = new Set<SigningAlgorithm>();

  const masterKeyId = masterKeyIdOf(deps.masterKey);
  const openers = [deps.masterKey, ...(deps.previousMasterKeys ?? [])].map((key) => ({
    id: masterKeyIdOf(key),
    key,
  }));

  /** Opens a sealed private key with the master key that sealed it (any configured one if unknown). */
  function open(record: SigningKeyRecord): string {
    if (record.masterKeyId !== null) {
      const opener = openers.find((o) => o.id === record.masterKeyId);
      if (opener === undefined) {
        throw new UnsealError(
          `Signing key ${record.kid} is sealed by master key ${record.masterKeyId}, which is neither masterKey (${masterKeyId}) nor masterKeyPrevious`,
        );
      }
      return unseal(opener.key, record.sealedPrivateKey, record.kid);
    }
    let failure: unknown;
    for (const opener of openers) {
      try {
        return unseal(opener.key, record.sealedPrivateKey, record.kid);
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
  }

  function unsealRecord(record: SigningKeyRecord): LoadedKey {
    const privateJwk = JSON.parse(open(record)) as JWK;
    const privateKey = createPrivateKey({
      key: privateJwk as import('node:crypto').JsonWebKey,
      format: 'jwk',
    });
    return { kid: record.kid, alg: record.alg, privateKey, publicKey: createPublicKey(privateKey), record };
  }

  async function mint(alg: SigningAlgorithm, activatesAt: number): Promise<SigningKeyRecord> {
    const pair = generateSigningKeyPair(alg);
    const publicJwk = publicJwkOf(pair.publicKey);
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const privateJwk = JSON.stringify(pair.privateKey.export({ format: 'jwk' }));
    const record: SigningKeyRecord = {
      kid,
      alg,
      publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
      sealedPrivateKey: seal(deps.masterKey, privateJwk, kid),
      masterKeyId,
      createdAt: deps.clock.now(),
      activatesAt,
      retiredAt: null,
      expiresAt: null,
    };
    await deps.store.insertSigningKey(record);
    return record;
  }

  async function reload(): Promise<void> {
    const now = deps.clock.now();
    await deps.store.deleteExpiredSigningKeys(now);
    keys = (await deps.store.listSigningKeys()).filter((r) => !pulled.has(r.kid)).map(unsealRecord);
    jwksCache = undefined;
  }

  function forget(kid: string): void {
    pulled.add(kid);
    keys = keys.filter((k) => k.kid !== kid);
    jwksCache = undefined;
  }

  function signing(alg: SigningAlgorithm, now: number, except?: string): LoadedKey | undefined {
    let best: LoadedKey | undefined;
    for (const key of keys) {
      const r = key.record;
      if (
        key.kid !== except &&
        r.alg === alg &&
        r.activatesAt <= now &&
        (r.retiredAt === null || r.retiredAt > now)
      ) {
        if (best === undefined || r.activatesAt > best.record.activatesAt) {
          best = key;
        }
      }
    }
    return best;
  }

  return {
    async load(algorithms) {
      for (const alg of algorithms) {
        algorithmsInUse.add(alg);
      }
      await reload();
      const now = deps.clock.now();
      let created = false;
      for (const alg of algorithmsInUse) {
        if (signing(alg, now) === undefined) {
          await mint(alg, now);
          created = true;
        }
      }
      if (created) {
        await reload();
      }
    },

    reload,

    current(alg) {
      const key = signing(alg, deps.clock.now());
      if (key === undefined) {
        throw new Error(`No active ${alg} signing key (was the keyring loaded with ${alg}?)`);
      }
      return key;
    },

    find(kid) {
      const now = deps.clock.now();
      const key = keys.find((k) => k.kid === kid);
      return key !== undefined && (key.record.expiresAt === null || key.record.expiresAt > now)
        ? key
        : undefined;
    },

    jwks() {
      const now = deps.clock.now();
      if (jwksCache === undefined || now >= jwksCache.until) {
        const live = keys.filter((k) => k.record.expiresAt === null || k.record.expiresAt > now);
        const expiries = live.map((k) => k.record.expiresAt).filter((t): t is number => t !== null);
        jwksCache = {
          value: { keys: live.map((k) => ({ ...(k.record.publicJwk as JWK) })) },
          until: expiries.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...expiries),
        };
      }
      return jwksCache.value;
    },

    async rotate(options = {}) {
      await reload();
      const now = deps.clock.now();
      const activatesAt = options.now === true ? now : now + deps.activationDelay;
      const added: SigningKeyRecord[] = [];
      for (const alg of algorithmsInUse) {
        const previous = keys.filter((k) => k.alg === alg && k.record.retiredAt === null).map((k) => k.kid);
        added.push(await mint(alg, activatesAt));
        await deps.store.retireSigningKeys(previous, activatesAt, activatesAt + deps.retention);
      }
      await reload();
      return added;
    },

    async pull(kid, options = {}) {
      await reload();
      const now = deps.clock.now();
      const target = keys.find(
        (k) => k.kid === kid && (k.record.expiresAt === null || k.record.expiresAt > now),
      );
      if (target === undefined) {
        return { status: 'not_found' };
      }
      const added: SigningKeyRecord[] = [];
      if (algorithmsInUse.has(target.alg) && signing(target.alg, now, kid) === undefined) {
        if (options.rotate !== true) {
          return { status: 'only_signer', alg: target.alg };
        }
        const others = keys
          .filter((k) => k.alg === target.alg && k.kid !== kid && k.record.retiredAt === null)
          .map((k) => k.kid);
        added.push(await mint(target.alg, now));
        await deps.store.retireSigningKeys(others, now, now + deps.retention);
      }
      await deps.store.deleteSigningKey(kid);
      forget(kid);
      await reload();
      return { status: 'pulled', pulled: target.record, added };
    },

    forget,

    secondsToNextChange() {
      const now = deps.clock.now();
      const times = keys.flatMap((k) => [k.record.activatesAt, k.record.retiredAt, k.record.expiresAt]);
      const future = times.filter((t): t is number => t !== null && t > now);
      return future.length === 0 ? undefined : Math.min(...future) - now;
    },
  };
}
