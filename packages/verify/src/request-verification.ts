/**
 * The hot path of `verifier.verify`: fail closed when revocations cannot be checked, take the
 * token out of the input, answer from the cache or verify it once, refuse a revoked one, check
 * the DPoP binding (RFC 9449 §7), check the scope, and turn every refusal into a
 * {@link VerifyError}.
 */
import { OAuthError } from '@tessera/protocol';
import type { ApiKeyUseContext } from './api-key-context.js';
import type { ExtractedToken, TokenSourceOptions } from './bearer.js';
import type { DpopChecker } from './dpop.js';
import { requireScope } from './require-scope.js';
import type { RevocationGuard } from './revocation-guard.js';
import type { TokenCache } from './token-cache.js';
import { hashToken, hashTokenSync } from './token-hash.js';
import type { TokenVerification } from './token-verification.js';
import type { TokenFacts, VerifiedToken } from './verified-token.js';
import { VerifyError } from './verify-error.js';
import { dpopRequestOf, extractFromInput, isPlainBearer, type VerifyInput } from './verify-input.js';

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
  guard: Pick<RevocationGuard, 'isFailingClosed' | 'assertNotRevoked' | 'mayCache'>;
  verification: TokenVerification;
  /** The DPoP proof checker; undefined when DPoP-bound tokens are not accepted. */
  dpop?: DpopChecker | undefined;
  /**
   * Where an API key was used (`apiKeyContext`); such a use is verified at Tessera each time, never
   * from the cache, so the key's anomaly policy sees every one.
   */
  apiKeyContextOf?: ((input: VerifyInput) => ApiKeyUseContext | undefined) | undefined;
}

/**
 * RFC 9449 §7.1/§7.2: a bound token needs the DPoP scheme and a proof by its key (also when it is
 * an API key in its own header); an unbound token sent with the DPoP scheme is refused, as is a
 * bound token where DPoP is off.
 */
async function checkBinding(
  dpop: DpopChecker | undefined,
  facts: TokenFacts,
  found: ExtractedToken,
  input: VerifyInput,
  at: number,
): Promise<void> {
  if (facts.jkt === undefined) {
    if (found.scheme === 'dpop') {
      throw OAuthError.invalidToken('The access token is not DPoP-bound; send it as a Bearer token');
    }
    return;
  }
  if (dpop === undefined) {
    throw OAuthError.invalidToken('DPoP-bound tokens are not accepted by this API');
  }
  if (found.source !== 'api_key_header' && found.scheme !== 'dpop') {
    throw OAuthError.invalidToken('The access token is DPoP-bound; send it with the DPoP scheme and a proof');
  }
  await dpop.check(dpopRequestOf(input), facts.hash, facts.jkt, at);
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
  const { realm, sources, now, cache, guard, verification, dpop, apiKeyContextOf } = deps;

  async function refusal(error: unknown, usedDpop: boolean, at: number): Promise<VerifyError> {
    const refused = VerifyError.from(error, realm);
    if (dpop === undefined) {
      return refused;
    }
    const nonce = refused.code === 'use_dpop_nonce' ? await dpop.currentNonce(at) : undefined;
    return refused.withDpop({ algorithms: dpop.algorithms, usedDpop, nonce });
  }

  /**
   * The hot path. A header string whose token is in the cache costs: a prefix check, one SHA-256,
   * one LRU lookup, the denylist check, and no allocation (the result object is built once per
   * source). Syntax is checked in full only on a miss: a hit means this exact string passed before.
   */
  return async function verify(input, scope) {
    const at = now();
    let usedDpop = false;
    try {
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
        const context = found.token.startsWith('tsr_key_') ? apiKeyContextOf?.(input) : undefined;
        facts = context === undefined ? cache.get(hash, at) : undefined;
        if (context !== undefined) {
          facts = await verification.verifyOnce(found, hash, at, context);
          guard.assertNotRevoked(facts, at);
        } else if (
          facts === undefined ||
          (found.source === 'api_key_header' && facts.result.tokenType !== 'api_key')
        ) {
          facts = await verification.verifyOnce(found, hash, at);
          guard.assertNotRevoked(facts, at);
          if (guard.mayCache(facts)) {
            cache.set(facts, at);
          }
        } else {
          guard.assertNotRevoked(facts, at);
        }
      } else {
        guard.assertNotRevoked(facts, at);
      }
      usedDpop = found?.scheme === 'dpop';
      if (facts.jkt !== undefined || usedDpop) {
        await checkBinding(dpop, facts, found ?? { token: '', source: 'header' }, input, at);
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
      throw await refusal(error, usedDpop, at);
    }
  };
}
