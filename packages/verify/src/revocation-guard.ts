/**
 * The denylist wiring (DESIGN §5): the revocation stream feeds the denylist, each revocation
 * evicts the cache entries it covers, and a stream that has been down longer than
 * `failClosedAfter` makes the verifier refuse every request. Without client credentials or with
 * revocations turned off there is no stream and nothing is ever refused here.
 *
 * An `api_key_changed` event (a key disabled, enabled, updated or rotated) revokes nothing: it evicts
 * every cached answer for that key, whenever obtained (the verifier's clock cannot be compared with
 * Tessera's, and a needless eviction costs one introspection), so the next use is asked at Tessera.
 * An answer whose introspection was under way when such an event arrived may predate the change:
 * it is served to the requests that asked for it, but not cached ({@link RevocationGuard.mayCache}).
 */
import { OAuthError } from '@tessera/protocol';
import {
  assertCredentialsUnchanged,
  type CredentialChangePolicy,
  defaultCredentialChangePolicy,
} from './credential-change-policy.js';
import { createDenylist } from './denylist.js';
import type { ClientCredentials } from './introspection.js';
import {
  createRevocationStream,
  type RevocationStream,
  type RevocationStreamStatus,
} from './revocation-stream.js';
import type { TokenCache } from './token-cache.js';
import type { TokenFacts } from './verified-token.js';

/**
 * What {@link createRevocationGuard} needs. Durations are in milliseconds, except
 * `failClosedAfter` (seconds, like the verifier's clock).
 *
 * @example
 * ```ts
 * const deps: RevocationGuardDeps = {
 *   stream: { failClosedAfter: 60, minDelayMs: 250, maxDelayMs: 30_000, idleTimeoutMs: 45_000 },
 *   client, endpoint: async () => url, fetch, now, cache,
 * };
 * ```
 */
export interface RevocationGuardDeps {
  /** The stream's settings, or undefined when revocations are turned off. */
  stream:
    | {
        failClosedAfter: number | undefined;
        minDelayMs: number;
        maxDelayMs: number;
        idleTimeoutMs: number;
      }
    | undefined;
  client: ClientCredentials | undefined;
  endpoint: () => Promise<string | undefined>;
  fetch: typeof fetch;
  /** The verifier's clock, seconds. */
  now: () => number;
  cache: Pick<TokenCache, 'evict'>;
  /** What a `credential-change` of a token's subject after its sign-in does (default: see the policy). */
  onCredentialChange?: CredentialChangePolicy | undefined;
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * The guard.
 *
 * @example
 * ```ts
 * if (guard.isFailingClosed(now)) refuse();
 * guard.assertNotRevoked(facts, now);
 * ```
 */
export interface RevocationGuard {
  /** False when there is no stream (revocations off, or no client credentials). */
  readonly streaming: boolean;
  /** True while requests are refused because the stream has been down too long. */
  isFailingClosed(at: number): boolean;
  /** Throws `invalid_token` when a revocation in force covers the token. */
  assertNotRevoked(facts: TokenFacts, at: number): void;
  /** `api_key_changed` events received so far: stamped on introspection answers (`changeMark`). */
  changeMark(): number;
  /** False for an API key's answer asked for before the latest `api_key_changed` event arrived. */
  mayCache(facts: TokenFacts): boolean;
  status(at: number): RevocationStreamStatus & { denylistSize: number; failingClosed: boolean };
  /** Resolves once the stream is in sync (at once without a stream). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Creates the guard and starts the stream, if any.
 *
 * @example
 * ```ts
 * const guard = createRevocationGuard({ stream: undefined, client: undefined, endpoint, fetch, now, cache });
 * ```
 */
export function createRevocationGuard(deps: RevocationGuardDeps): RevocationGuard {
  const { now, cache } = deps;
  const onCredentialChange = deps.onCredentialChange ?? defaultCredentialChangePolicy;
  const failClosedAfter = deps.stream?.failClosedAfter;
  const denylist = createDenylist();
  let keyChanges = 0;

  /** `api_key_changed`: forget the key's cached answers; its next use is asked at Tessera. */
  function forgetKey(keyId: string): void {
    keyChanges++;
    cache.evict((facts) => facts.keyId === keyId);
  }

  let stream: RevocationStream | undefined;
  if (deps.stream !== undefined && deps.client !== undefined) {
    stream = createRevocationStream({
      endpoint: deps.endpoint,
      client: deps.client,
      fetch: deps.fetch,
      now,
      minDelayMs: deps.stream.minDelayMs,
      maxDelayMs: deps.stream.maxDelayMs,
      idleTimeoutMs: deps.stream.idleTimeoutMs,
      onEvent(event) {
        if (event.target.type === 'api_key_changed') {
          forgetKey(event.target.value);
          return;
        }
        const at = now();
        if (denylist.add(event, at)) {
          cache.evict((facts) => denylist.covers(event, facts));
        }
        if (denylist.size > 0 && event.id % 256 === 0) {
          denylist.prune(at);
        }
      },
      onError: deps.onError,
    });
    stream.start();
  }

  function isFailingClosed(at: number): boolean {
    if (failClosedAfter === undefined || stream === undefined) {
      return false;
    }
    const downSince = stream.downSince();
    return downSince !== undefined && at - downSince > failClosedAfter;
  }

  function assertNotRevoked(facts: TokenFacts, at: number): void {
    if (denylist.isRevoked(facts, at)) {
      throw OAuthError.invalidToken(
        facts.result.tokenType === 'api_key'
          ? 'The API key has been revoked'
          : 'The access token has been revoked',
      );
    }
    const acr = denylist.assuranceRequired(facts, at);
    if (acr !== undefined) {
      // OpenID CAEP assurance-level-change: the session must sign in again at this level (RFC 9470 §3).
      throw OAuthError.insufficientUserAuthentication(
        'The session must authenticate again at a higher level',
        { acrValues: acr },
      );
    }
    const changes = denylist.credentialChanges(facts, at);
    if (changes.length > 0) {
      // OpenID CAEP credential-change: the verifier's policy decides (credential-change-policy.ts).
      assertCredentialsUnchanged(changes, facts.result, onCredentialChange, at);
    }
  }

  return {
    streaming: stream !== undefined,
    isFailingClosed,
    assertNotRevoked,
    changeMark: () => keyChanges,
    mayCache(facts) {
      return facts.keyId === undefined || facts.changeMark === undefined || facts.changeMark === keyChanges;
    },
    status(at) {
      const streamStatus: RevocationStreamStatus = stream?.status() ?? {
        state: 'disabled',
        lastEventId: undefined,
        connectedSince: undefined,
        downSince: undefined,
        connections: 0,
        lastError: deps.client === undefined ? 'no client credentials' : undefined,
      };
      return {
        ...streamStatus,
        denylistSize: denylist.prune(at),
        failingClosed: isFailingClosed(at),
      };
    },
    async ready() {
      await stream?.ready();
    },
    async close() {
      await stream?.close();
    },
  };
}
