/**
 * Backoff on repeated `invalid_client` per client id (DESIGN §7: lockout with backoff on the token
 * endpoint): past `freeFailures` failed secret checks in an hour, each further failure makes the
 * client id wait, 1 s, 2 s, 4 s … up to `maxBackoff`; every attempt inside the wait, right secret or
 * not, gets `rate_limited` (429) with `Retry-After` before the secret is compared.
 *
 * The count lives in the store (shared by every worker and node); the wait a node learned is kept
 * in memory, so a client that authenticates correctly never costs a database round trip (DESIGN §4).
 * Only ids of registered clients are counted: unknown ids are left to the per-address limits.
 */
import { OAuthError } from '@tessera/protocol';
import type { Clock } from '../../clock.js';
import type { AttemptStore } from '../../store/ports.js';

export interface ClientAuthBackoff {
  /** Throws `rate_limited` when the client id is waiting. */
  assertAllowed(clientId: string): void;
  /** Counts a failed authentication of a registered client. */
  failed(clientId: string): Promise<void>;
  /**
   * A success forgets the client's failures: a promise of the store's clearing when it had some,
   * else undefined, so the common case (no failures) costs no promise and no await.
   */
  succeeded(clientId: string): Promise<void> | undefined;
}

export interface ClientAuthBackoffDeps {
  store: AttemptStore;
  clock: Clock;
  freeFailures: number;
  /** Seconds; 0 turns the backoff off. */
  maxBackoff: number;
}

const WINDOW_SECONDS = 3600;

const keyOf = (clientId: string) => `client_auth:${clientId}`;

export function createClientAuthBackoff(deps: ClientAuthBackoffDeps): ClientAuthBackoff {
  /** Client id → end of its wait, for ids with failures counted (bounded by the registered clients). */
  const waits = new Map<string, number>();

  return {
    assertAllowed(clientId) {
      const until = waits.get(clientId);
      const wait = until === undefined ? 0 : until - deps.clock.now();
      if (wait > 0) {
        throw OAuthError.rateLimited('Too many failed authentications for this client; retry later', {
          retryAfter: wait,
        });
      }
    },
    async failed(clientId) {
      if (deps.maxBackoff === 0) {
        return;
      }
      const now = deps.clock.now();
      const result = await deps.store.takeAttempt({
        key: keyOf(clientId),
        now,
        freeAttempts: deps.freeFailures,
        maxBackoff: deps.maxBackoff,
        window: WINDOW_SECONDS,
      });
      waits.set(clientId, now + (result.allowed ? result.backoff : result.retryAfter));
    },
    succeeded(clientId) {
      return waits.delete(clientId) ? deps.store.clearAttempts(keyOf(clientId)) : undefined;
    },
  };
}
