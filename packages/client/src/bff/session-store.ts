/// <reference types="node" />
/**
 * The BFF's sessions: what the browser's cookie points to. The cookie holds a random 256-bit id;
 * the store is keyed by its SHA-256 (a leaked store does not give working cookies) and every
 * record is sealed with AES-256-GCM. Writes are compare-and-swap on a version, which is what
 * makes refresh-token rotation safe (see {@link createSessionTokenStore}).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { TokenSet } from '../web-app/token-set.js';
import type { TokenStore } from '../web-app/token-store.js';
import type { AuthorizationTransaction } from '../web-app/web-app-client.js';
import type { SessionBackend } from './session-backend.js';
import type { SessionCipher } from './session-cipher.js';

/**
 * What a session holds. Tokens never leave the server.
 *
 * @example
 * ```ts
 * const data: SessionData = { createdAt: now, tokens };
 * ```
 */
export interface SessionData {
  createdAt: number;
  /** Present once the user has signed in. */
  tokens?: TokenSet;
  /** A sign-in in progress: the transaction and where to go afterwards. */
  pending?: { transaction: AuthorizationTransaction; returnTo: string };
}

/**
 * A loaded session.
 *
 * @example
 * ```ts
 * const session = await sessions.load(cookieValue);
 * session?.data.tokens?.claims?.sub;
 * ```
 */
export interface Session {
  /** The storage key (SHA-256 of the cookie value); also the refresh single-flight key. */
  key: string;
  version: number;
  data: SessionData;
  expiresAt: number;
}

/**
 * Made by {@link createSessionStore}.
 *
 * @example
 * ```ts
 * const { id, session } = await sessions.create({ createdAt: clock.now() });
 * ```
 */
export interface SessionStore {
  /** The session a cookie value points to, if live and intact. */
  load(cookieValue: string | undefined): Promise<Session | undefined>;
  /** The session under a storage key. */
  loadByKey(key: string): Promise<Session | undefined>;
  /** A new session with a fresh random id (the cookie value). */
  create(data: SessionData): Promise<{ id: string; session: Session }>;
  /** Compare-and-swap on `session.version`; `undefined` when someone else wrote first. */
  update(session: Session, data: SessionData): Promise<Session | undefined>;
  delete(session: Pick<Session, 'key'>): Promise<void>;
  /** Seconds a session lives. */
  readonly ttl: number;
}

/**
 * SHA-256 of a cookie value, base64url: the storage key.
 *
 * @example
 * ```ts
 * const key = storageKeyOf(cookieValue); // what the backend stores the session under
 * ```
 */
export function storageKeyOf(cookieValue: string): string {
  return createHash('sha256').update(cookieValue).digest('base64url');
}

/**
 * Creates the encrypted session store.
 *
 * @example
 * ```ts
 * const sessions = createSessionStore({ backend: createMemorySessionBackend(), cipher, clock: systemClock, ttl: 8 * 3600 });
 * ```
 */
export function createSessionStore(deps: {
  backend: SessionBackend;
  cipher: SessionCipher;
  clock: Clock;
  ttl: number;
}): SessionStore {
  const { backend, cipher, clock, ttl } = deps;

  function decode(
    key: string,
    record: { data: string; version: number; expiresAt: number },
  ): Session | undefined {
    const json = cipher.open(record.data, key);
    if (json === undefined) {
      return undefined;
    }
    return {
      key,
      version: record.version,
      data: JSON.parse(json) as SessionData,
      expiresAt: record.expiresAt,
    };
  }

  async function get(key: string): Promise<Session | undefined> {
    const record = await backend.get(key, clock.now());
    return record === undefined ? undefined : decode(key, record);
  }

  return {
    ttl,
    loadByKey: get,
    async load(cookieValue) {
      // 256-bit ids encode to 43 base64url characters; anything else is not ours.
      if (cookieValue === undefined || !/^[A-Za-z0-9_-]{43}$/.test(cookieValue)) {
        return undefined;
      }
      return get(storageKeyOf(cookieValue));
    },
    async create(data) {
      const id = randomBytes(32).toString('base64url');
      const key = storageKeyOf(id);
      const expiresAt = clock.now() + ttl;
      const version = await backend.put(
        key,
        undefined,
        cipher.seal(JSON.stringify(data), key),
        expiresAt,
        clock.now(),
      );
      if (version === undefined) {
        throw new Error('session id collision');
      }
      return { id, session: { key, version, data, expiresAt } };
    },
    async update(session, data) {
      const sealed = cipher.seal(JSON.stringify(data), session.key);
      const version = await backend.put(session.key, session.version, sealed, session.expiresAt, clock.now());
      return version === undefined ? undefined : { ...session, version, data };
    },
    async delete(session) {
      await backend.delete(session.key);
    },
  };
}

/**
 * The session store seen as a web-app {@link TokenStore} (keyed by session storage key), for the
 * refresher: rotated refresh tokens are written with the session's compare-and-swap.
 *
 * @example
 * ```ts
 * const refresher = createTokenRefresher({ client: webApp, store: createSessionTokenStore(sessions) });
 * ```
 */
export function createSessionTokenStore(
  sessions: Pick<SessionStore, 'loadByKey' | 'update' | 'delete'>,
): TokenStore {
  return {
    async get(key) {
      const session = await sessions.loadByKey(key);
      return session?.data.tokens === undefined
        ? undefined
        : { tokens: session.data.tokens, version: session.version };
    },
    async compareAndSwap(key, expectedVersion, next) {
      const session = await sessions.loadByKey(key);
      if (session === undefined || session.version !== expectedVersion) {
        return undefined;
      }
      const updated = await sessions.update(session, { ...session.data, tokens: next });
      return updated === undefined ? undefined : { tokens: next, version: updated.version };
    },
    async delete(key) {
      // The tokens are gone for good (reuse, revocation): the whole session ends with them.
      await sessions.delete({ key });
    },
  };
}
