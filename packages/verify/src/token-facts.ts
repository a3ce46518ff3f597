/**
 * What the caches and the denylist know of a verified credential ({@link TokenFacts}), built from a
 * verified JWT's claims or from an introspection answer. An introspection answer is held here to
 * the rules a JWT meets in jwt.ts: active, this issuer, this API's audience, not expired.
 */
import { type IntrospectionResponse, OAuthError, parseScope } from '@tessera/protocol';
import type { AccessTokenPayload } from './jwt.js';
import type { TokenFacts } from './verified-token.js';

/**
 * What {@link createTokenFacts} needs.
 *
 * @example
 * ```ts
 * const deps: TokenFactsDeps = { issuer: 'https://auth.example', audience: ['https://api.example'], clockTolerance: 5, introspectionTtl: 30 };
 * ```
 */
export interface TokenFactsDeps {
  issuer: string;
  audience: readonly string[];
  /** Seconds of clock skew tolerated on `exp`. */
  clockTolerance: number;
  /** Seconds an introspection answer is reused (never past the token's `exp`). */
  introspectionTtl: number;
}

/**
 * Builds {@link TokenFacts}.
 *
 * @example
 * ```ts
 * const facts = tokenFacts.ofJwt(hash, (await jwt.verify(token, now)).payload);
 * ```
 */
export interface TokenFactsBuilder {
  ofJwt(hash: string, payload: AccessTokenPayload): TokenFacts;
  /** Throws `invalid_token` when the answer does not make a valid credential for this API. */
  ofIntrospection(
    hash: string,
    kind: 'opaque' | 'api_key',
    answer: IntrospectionResponse,
    at: number,
  ): TokenFacts;
}

/**
 * Creates the builder.
 *
 * @example
 * ```ts
 * const tokenFacts = createTokenFacts({ issuer, audience: ['https://api.example'], clockTolerance: 5, introspectionTtl: 30 });
 * ```
 */
export function createTokenFacts(deps: TokenFactsDeps): TokenFactsBuilder {
  const { audience, clockTolerance, introspectionTtl } = deps;

  function factsOfJwt(hash: string, payload: AccessTokenPayload): TokenFacts {
    return {
      hash,
      result: Object.freeze({
        tokenType: 'jwt' as const,
        subject: payload.sub,
        clientId: payload.client_id,
        scope: Object.freeze(parseScope(payload.scope)),
        // jose's freshly parsed claims set, held by nothing else: frozen as it is, not copied.
        claims: Object.freeze(payload),
        expiresAt: payload.exp,
      }),
      jti: payload.jti,
      keyId: undefined,
      // Tessera names the grant (refresh-token family) in `gid`, so a family revocation reaches it.
      grantId: stringOf(payload.gid),
      sessionId: stringOf(payload.sid),
      jkt: jktOf(payload.cnf),
      issuedAt: payload.iat,
      cacheUntil: payload.exp + clockTolerance,
      views: {},
    };
  }

  function factsOfIntrospection(
    hash: string,
    kind: 'opaque' | 'api_key',
    answer: IntrospectionResponse,
    at: number,
  ): TokenFacts {
    const what = kind === 'api_key' ? 'API key' : 'access token';
    if (!answer.active) {
      throw OAuthError.invalidToken(`The ${what} is not active`);
    }
    if (answer.iss !== undefined && answer.iss !== deps.issuer) {
      throw OAuthError.invalidToken(`The ${what} was issued by another issuer`);
    }
    const aud = answer.aud === undefined ? [] : typeof answer.aud === 'string' ? [answer.aud] : answer.aud;
    // RFC 9068 §4 applies the audience rule to JWTs; we hold opaque tokens to it too. An API key
    // without audiences is valid for any API of its owner.
    if ((kind === 'opaque' || aud.length > 0) && !aud.some((value) => audience.includes(value))) {
      throw OAuthError.invalidToken(`The ${what} is not meant for this API`);
    }
    if (answer.exp !== undefined && answer.exp <= at - clockTolerance) {
      throw OAuthError.invalidToken(`The ${what} has expired`);
    }
    const keyId = kind === 'api_key' ? (stringOf(answer.key_id) ?? stringOf(answer.jti)) : undefined;
    return {
      hash,
      result: Object.freeze({
        tokenType: kind,
        subject: stringOf(answer.sub) ?? '',
        clientId: stringOf(answer.client_id) ?? '',
        scope: Object.freeze(parseScope(answer.scope)),
        claims: Object.freeze({ ...answer }),
        expiresAt: answer.exp,
      }),
      jti: stringOf(answer.jti),
      keyId,
      grantId: stringOf(answer.grant_id),
      sessionId: stringOf(answer.sid),
      jkt: jktOf(answer.cnf),
      issuedAt: answer.iat,
      cacheUntil: Math.min(at + introspectionTtl, answer.exp ?? Number.POSITIVE_INFINITY),
      views: {},
    };
  }

  return { ofJwt: factsOfJwt, ofIntrospection: factsOfIntrospection };
}

/** RFC 7800 §3.1 / RFC 9449 §6: `cnf.jkt`, the confirmation by a DPoP key thumbprint. */
function jktOf(cnf: unknown): string | undefined {
  return typeof cnf === 'object' && cnf !== null ? stringOf((cnf as Record<string, unknown>).jkt) : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
