/**
 * The hot path of `verifier.verify`: fail closed when revocations cannot be checked, take the
 * token out of the input, answer from the cache or verify it once, refuse a revoked one, check
 * the scope, and turn every refusal into a {@link VerifyError}.
 */
import { OAuthError } from '@tessera/protocol';
import type { ExtractedToken, TokenSourceOptions } from './bearer.js';
import { requireScope } from './require-scope.js';
import type { RevocationGuard } from './revocation-guard.js';
import type { TokenCache } from './token-cache.js';
import { hashToken, hashTokenSync } from './token-hash.js';
import type { TokenVerification } from './token-verification.js';
import type { TokenFacts, VerifiedToken } from './verified-token.js';
import { VerifyError } from './verify-error.js';
import { extractFromInput, isPlainBearer, type VerifyInput } from './verify-input.js';

/**
 * What {@link createRequestVerification} needs.
 *
 * @example
 * ```ts
 * const deps: RequestVerificationDeps = { realm, sources, now, cache, guard, verification };
 * ```
 */
export interface RequestVerificationDeps {
  /** The `realm` of the challenge (RFC 6750 §3). */
  realm: string;
  sources: TokenSourceOptions;
  /** The current time in seconds. */
  now: () => number;
  cache: Pick<TokenCache, 'get' | 'set'>;
  guard: Pick<RevocationGuard, 'isFailingClosed' | 'assertNotRevoked'>;
  verification: TokenVerification;
}

/**
 * `verifier.verify`.
 *
 * @example
 * ```ts
 * const verify = createRequestVerification({ realm, sources, now, cache, guard, verification });
 * const token = await verify('Bearer eyJ…', ['cookies:read']);
 * ```
 */
export type RequestVerification = (
  input: VerifyInput,
  scope?: string | readonly string[],
) => Promise<VerifiedToken>;

/**
 * Creates the hot path.
 *
 * @example
 * ```ts
 * const verify = createRequestVerification({ realm: 'https://api.example', sources, now, cache, guard, verification });
 * ```
 */
export function createRequestVerification(deps: RequestVerificationDeps): RequestVerification {
  const { realm, sources, now, cache, guard, verification } = deps;

  /**
   * The hot path. A header string whose token is in the cache costs: a prefix check, one SHA-256,
   * one LRU lookup, the denylist check, and no allocation (the result object is built once per
   * source). Syntax is checked in full only on a miss: a hit means this exact string passed before.
   */
  return async function verify(input, scope) {
    try {
      const at = now();
      if (guard.isFailingClosed(at)) {
        throw OAuthError.temporarilyUnavailable('Revocations cannot be checked right now', { retryAfter: 5 });
      }
      let found: ExtractedToken | undefined;
      let facts: TokenFacts | undefined;
      let hash: string | undefined;
      if (typeof input === 'string' && hashTokenSync !== undefined && isPlainBearer(input)) {
        hash = hashTokenSync(input.slice(7));
        facts = cache.get(hash, at);
        if (facts !== undefined) {
          found = { token: '', source: 'header' };
        }
      }
      if (facts === undefined) {
        found = await extractFromInput(input, sources);
        if (found === undefined) {
          throw new VerifyError(OAuthError.invalidToken('An access token is required'), realm, true);
        }
        hash = hashTokenSync === undefined ? await hashToken(found.token) : hashTokenSync(found.token);
        facts = cache.get(hash, at);
        if (
          facts === undefined ||
          (found.source === 'api_key_header' && facts.result.tokenType !== 'api_key')
        ) {
          facts = await verification.verifyOnce(found, hash, at);
          guard.assertNotRevoked(facts, at);
          cache.set(facts, at);
        } else {
          guard.assertNotRevoked(facts, at);
        }
      } else {
        guard.assertNotRevoked(facts, at);
      }
      const source = found?.source ?? 'header';
      let result = facts.views[source];
      if (result === undefined) {
        result = Object.freeze({ ...facts.result, source });
        facts.views[source] = result;
      }
      if (scope !== undefined) {
        requireScope(result, scope);
      }
      return result;
    } catch (error) {
      throw VerifyError.from(error, realm);
    }
  };
}
