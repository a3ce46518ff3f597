/**
 * The hot path of `verifier.verify`: fail closed when revocations cannot be checked, take the
 * token out of the input, answer from the cache or verify it once, refuse a revoked one, check
 * the DPoP binding (RFC 9449 §7), check the scope, and turn every refusal into a
 * {@link VerifyError}.
 */
import { OAuthError } from '@tessera/protocol';
import type { ApiKeyUseContext } from './api-key-context.js';
import type { ExtractedToken, TokenSource, TokenSourceOptions } from './bearer.js';
import type { DpopChecker } from './dpop.js';
import { type AuthenticationRequirement, requireAuthentication } from './require-authentication.js';
import { requireScope } from './require-scope.js';
import type { RevocationGuard } from './revocation-guard.js';
import type { TokenCache } from './token-cache.js';
import { hashOfKey, hashToken, keyOfHash, tokenKeySync } from './token-hash.js';
import type { TokenVerification } from './token-verification.js';
import type { TokenFacts, VerifiedToken } from './verified-token.js';
import { VerifyError } from './verify-error.js';
import {
  dpopRequestOf,
  extractFromInput,
  isPlainBearer,
  tokenOfHeader,
  type VerifyInput,
} from './verify-input.js';

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
 * `verifier.verify`, in two parts: `seen` answers a header string from the cache synchronously, or
 * says it cannot (undefined); `verify` is the whole path.
 *
 * @example
 * ```ts
 * const requests = createRequestVerification({ realm, sources, now, cache, guard, verification });
 * const token = requests.seen('Bearer eyJ…', ['cookies:read']) ?? (await requests.verify('Bearer eyJ…', ['cookies:read']));
 * ```
 */
export interface RequestVerification {
  /**
   * The token of an `Authorization: Bearer` header string, answered from the cache with every check
   * a cached token gets (fail-closed state, its `exp` against the clock with the clock tolerance,
   * the denylist, the DPoP binding, `scope`, `authentication`), or undefined: not cached, or
   * refused, or anything else (a web request, a DPoP-bound token). Undefined means "use `verify`",
   * which decides again and words the refusal. Never throws.
   */
  seen(
    input: VerifyInput,
    scope?: string | readonly string[],
    authentication?: AuthenticationRequirement,
  ): VerifiedToken | undefined;
  verify(input: VerifyInput, scope?: string | readonly string[]): Promise<VerifiedToken>;
}

/** The result object of a source, built once per cached token and source. */
function viewOf(facts: TokenFacts, source: TokenSource): VerifiedToken {
  let result = facts.views[source];
  if (result === undefined) {
    result = Object.freeze({ ...facts.result, source });
    facts.views[source] = result;
  }
  return result;
}

/**
 * Creates the hot path.
 *
 * @example
 * ```ts
 * const requests = createRequestVerification({ realm: 'https://api.example', sources, now, cache, guard, verification });
 * ```
 */
export function createRequestVerification(deps: RequestVerificationDeps): RequestVerification {
  const { realm, sources, now, cache, guard, verification, dpop, apiKeyContextOf } = deps;
  /**
   * The header string `seen` could not answer and its cache key, handed to the `verify` call that
   * follows at once (so it does not hash the token again); `verify` clears it, so no token stays here.
   */
  let missedHeader: string | undefined;
  let missedKey = '';
  /** What `seen`'s lookup found for it (a hit it would not answer, or nothing), and when. */
  let missedFacts: TokenFacts | undefined;
  let missedAt = Number.NaN;

  async function refusal(error: unknown, usedDpop: boolean, at: number): Promise<VerifyError> {
    const refused = VerifyError.from(error, realm);
    if (dpop === undefined) {
      return refused;
    }
    const nonce = refused.code === 'use_dpop_nonce' ? await dpop.currentNonce(at) : undefined;
    return refused.withDpop({ algorithms: dpop.algorithms, usedDpop, nonce });
  }

  /**
   * A cache hit costs a prefix check, one SHA-256, one map lookup, the denylist check and no
   * allocation (the result object is built once per source). Syntax is checked in full only on a
   * miss: a hit means this exact string passed before.
   */
  function seen(
    input: VerifyInput,
    scope?: string | readonly string[],
    authentication?: AuthenticationRequirement,
  ): VerifiedToken | undefined {
    if (typeof input !== 'string' || tokenKeySync === undefined || !isPlainBearer(input)) {
      return undefined;
    }
    const at = now();
    if (guard.isFailingClosed(at)) {
      return undefined;
    }
    const key = tokenKeySync(input.slice(7));
    const facts = cache.get(key, at);
    // A bound token needs a proof, which a header string does not carry (RFC 9449 §7.1).
    if (facts !== undefined && facts.jkt === undefined) {
      try {
        guard.assertNotRevoked(facts, at);
        const result = viewOf(facts, 'header');
        if (scope !== undefined) {
          requireScope(result, scope);
        }
        if (authentication !== undefined) {
          requireAuthentication(result, authentication, at);
        }
        return result;
      } catch {
        // `verify` decides again and words the refusal.
      }
    }
    missedHeader = input;
    missedKey = key;
    missedFacts = facts;
    missedAt = at;
    return undefined;
  }

  async function verify(input: VerifyInput, scope?: string | readonly string[]): Promise<VerifiedToken> {
    const at = now();
    const missed = missedHeader;
    const seenFacts = missedFacts;
    missedHeader = undefined;
    missedFacts = undefined;
    let usedDpop = false;
    try {
      if (guard.isFailingClosed(at)) {
        throw OAuthError.temporarilyUnavailable('Revocations cannot be checked right now', { retryAfter: 5 });
      }
      let found: ExtractedToken | undefined;
      let facts: TokenFacts | undefined;
      let key: string | undefined;
      let hashed: string | undefined;
      if (typeof input === 'string' && tokenKeySync !== undefined && isPlainBearer(input)) {
        hashed = input.slice(7);
        // `seen` looked this header up a moment ago, in the same second: its lookup stands.
        const fromSeen = input === missed && at === missedAt;
        key = input === missed ? missedKey : tokenKeySync(hashed);
        facts = fromSeen ? seenFacts : cache.get(key, at);
        if (facts !== undefined) {
          found = { token: '', source: 'header' };
        }
      }
      if (facts === undefined) {
        // A header string is parsed synchronously: nothing can have changed the cache since the
        // lookup above, so a token that lookup was for is not looked up again.
        found = typeof input === 'string' ? tokenOfHeader(input) : await extractFromInput(input, sources);
        if (found === undefined) {
          throw new VerifyError(OAuthError.invalidToken('An access token is required'), realm, true);
        }
        const looked = key !== undefined && found.token === hashed;
        let hash: string;
        if (key !== undefined && looked) {
          hash = hashOfKey(key);
        } else if (tokenKeySync === undefined) {
          hash = await hashToken(found.token);
          key = keyOfHash(hash);
        } else {
          key = tokenKeySync(found.token);
          hash = hashOfKey(key);
        }
        const context = found.token.startsWith('tsr_key_') ? apiKeyContextOf?.(input) : undefined;
        facts = context === undefined && !looked ? cache.get(key, at) : undefined;
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
            cache.set(key, facts, at);
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
      const result = viewOf(facts, found?.source ?? 'header');
      if (scope !== undefined) {
        requireScope(result, scope);
      }
      return result;
    } catch (error) {
      throw await refusal(error, usedDpop, at);
    }
  }

  return { seen, verify };
}
