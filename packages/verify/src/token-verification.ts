/**
 * The cache-miss path: a `tsr_` secret (opaque access token or API key) goes to introspection,
 * anything else is a JWT verified locally. Concurrent verifications of one token share one
 * signature check or introspection call.
 */
import { OAuthError, parseSecret } from '@tessera/protocol';
import type { ApiKeyUseContext } from './api-key-context.js';
import type { ExtractedToken } from './bearer.js';
import type { Introspector } from './introspection.js';
import type { JwtVerifier } from './jwt.js';
import type { TokenFactsBuilder } from './token-facts.js';
import type { TokenFacts } from './verified-token.js';

/**
 * What {@link createTokenVerification} needs.
 *
 * @example
 * ```ts
 * const deps: TokenVerificationDeps = { jwt, introspector, facts: createTokenFacts({ … }) };
 * ```
 */
export interface TokenVerificationDeps {
  jwt: Pick<JwtVerifier, 'verify'>;
  introspector: Pick<Introspector, 'introspect'>;
  facts: TokenFactsBuilder;
  /** `api_key_changed` events received so far (the guard's count); stamped on introspection answers. */
  changeMark?: (() => number) | undefined;
}

/**
 * Verifies a token the cache does not hold.
 *
 * @example
 * ```ts
 * const facts = await verification.verifyOnce({ token, source: 'header' }, hash, now);
 * ```
 */
export interface TokenVerification {
  /**
   * Throws `invalid_token` or `temporarily_unavailable`; never consults the denylist. `context`
   * goes with an API key's introspection (where it was used).
   */
  verifyOnce(
    found: ExtractedToken,
    hash: string,
    at: number,
    context?: ApiKeyUseContext,
  ): Promise<TokenFacts>;
}

/**
 * Creates the cache-miss path.
 *
 * @example
 * ```ts
 * const verification = createTokenVerification({ jwt, introspector, facts: tokenFacts });
 * ```
 */
export function createTokenVerification(deps: TokenVerificationDeps): TokenVerification {
  const { jwt, introspector } = deps;
  /** In flight, by token hash: tokens from the API key header apart from all others. */
  const pending = new Map<string, Promise<TokenFacts>>();
  const pendingApiKeys = new Map<string, Promise<TokenFacts>>();

  async function verifyUncached(
    found: ExtractedToken,
    hash: string,
    at: number,
    context: ApiKeyUseContext | undefined,
  ): Promise<TokenFacts> {
    const { token, source } = found;
    if (token.startsWith('tsr_')) {
      const parsed = parseSecret(token);
      if (parsed === undefined) {
        throw OAuthError.invalidToken('The token is malformed');
      }
      if (parsed.kind !== 'at' && parsed.kind !== 'key') {
        throw OAuthError.invalidToken('The token is not an access token or an API key');
      }
      if (source === 'api_key_header' && parsed.kind !== 'key') {
        throw OAuthError.invalidToken('The API key header carries something other than an API key');
      }
      const kind = parsed.kind === 'key' ? 'api_key' : 'opaque';
      const changeMark = deps.changeMark?.();
      const answer =
        kind === 'opaque'
          ? await introspector.introspect(token, 'access_token')
          : await introspector.introspect(token, undefined, context);
      const facts = deps.facts.ofIntrospection(hash, kind, answer, at);
      facts.changeMark = changeMark;
      return facts;
    }
    if (source === 'api_key_header') {
      throw OAuthError.invalidToken('The API key header carries something other than an API key');
    }
    const { payload, kid } = await jwt.verify(token, at);
    const facts = deps.facts.ofJwt(hash, payload);
    // A pulled signing key's tokens are refused even when its JWKS entry is still cached here.
    facts.signingKeyId = kid;
    return facts;
  }

  /** Coalesces concurrent verifications of one token into a single signature check or call. */
  function verifyOnce(
    found: ExtractedToken,
    hash: string,
    at: number,
    context?: ApiKeyUseContext,
  ): Promise<TokenFacts> {
    // Uses of a key with a context are each judged at Tessera: never shared with another request.
    if (context !== undefined) {
      return verifyUncached(found, hash, at, context);
    }
    const inFlight = found.source === 'api_key_header' ? pendingApiKeys : pending;
    let promise = inFlight.get(hash);
    if (promise === undefined) {
      promise = verifyUncached(found, hash, at, undefined).finally(() => inFlight.delete(hash));
      inFlight.set(hash, promise);
    }
    return promise;
  }

  return { verifyOnce };
}
