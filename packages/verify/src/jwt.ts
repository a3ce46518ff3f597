/**
 * Local verification of RFC 9068 JWT access tokens with jose. The keys come from the issuer's
 * JWKS through jose's `createRemoteJWKSet`, which caches the set, refetches it when a token names
 * an unknown `kid` (Tessera rotates keys), and refuses to refetch within a cooldown, so a flood of
 * garbage `kid`s cannot make the API hammer the authorization server.
 *
 * Checks (RFC 9068 §4): signature with an allow-listed algorithm (never `none`, never HMAC), `typ`
 * `at+jwt` (§2.1, so an ID token cannot pass as an access token), `iss`, `aud`, `exp`/`nbf` with a
 * small clock tolerance, and the presence of `sub`, `client_id`, `iat` and `jti` (§2.2).
 *
 * The signature of a token of the plain shape (header `alg`/`kid`/`typ` only) is checked with a
 * synchronous `crypto.verify` on a `KeyObject` made once per JWKS key (`jws-signature.ts`), about
 * twice jose's WebCrypto rate here; the key is still chosen by jose's JWKS, and the claims are still
 * judged by jose (`UnsecuredJWT.decode` of the verified payload, with the same options). Any other
 * token goes through `jwtVerify` as a whole.
 */
import { OAuthError } from '@tessera/protocol';
import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type JWSHeaderParameters,
  type JWTPayload,
  type JWTVerifyOptions,
  jwtVerify,
  UnsecuredJWT,
} from 'jose';
import { keyFits, keyObjectOf, parsePlainCompactJws, verifyJwsSignature } from './jws-signature.js';

export interface JwtVerifierOptions {
  issuer: string;
  audience: readonly string[];
  algorithms: readonly string[];
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. */
  clockTolerance: number;
  /** The JWKS URL, resolved lazily (discovery). */
  jwksUri: () => Promise<string>;
  /** Milliseconds: no refetch on an unknown `kid` within this time of the last fetch. */
  cooldownMs: number;
  /** Milliseconds a fetched JWKS is used before it is fetched again anyway. */
  cacheMaxAgeMs: number;
  /** Milliseconds before a JWKS request is abandoned. */
  timeoutMs: number;
  fetch?: typeof fetch | undefined;
}

/** The claims of a verified access token (RFC 9068 §2.2). */
export interface AccessTokenPayload extends JWTPayload {
  sub: string;
  client_id: string;
  jti: string;
  iat: number;
  exp: number;
  scope?: string;
}

/**
 * A JWT access-token verifier.
 *
 * @example
 * ```ts
 * const jwt = createJwtVerifier({ issuer, audience: ['https://api.example'], algorithms: ['ES256'], … });
 * const claims = await jwt.verify(token, Math.floor(Date.now() / 1000));
 * ```
 */
export interface JwtVerifier {
  /** Verifies a compact JWS; throws `invalid_token` (401) or `temporarily_unavailable` (503). */
  verify(token: string, now: number): Promise<VerifiedJwt>;
}

/** A verified access token: its claims, and the `kid` of its protected header (a pulled key names it). */
export interface VerifiedJwt {
  payload: AccessTokenPayload;
  kid: string | undefined;
}

/** jose errors that say "this token is bad", as opposed to "we could not check it". */
function describeTokenError(error: unknown): string | undefined {
  if (error instanceof errors.JWTExpired) {
    return 'The access token has expired';
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'aud':
        return 'The access token is not meant for this API';
      case 'iss':
        return 'The access token was issued by another issuer';
      case 'nbf':
        return 'The access token is not valid yet';
      case 'typ':
        return 'The token is not an access token (RFC 9068 typ at+jwt)';
      case 'iat':
        return 'The access token has an invalid iat';
      default:
        return 'The access token lacks a required claim';
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return 'The access token signature is invalid';
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return 'The access token uses an algorithm this API does not accept';
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'The access token is signed with an unknown key';
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return 'The access token is malformed';
  }
  return undefined;
}

/** What either path yields: jose's claims and the header's `kid`. */
interface VerifiedClaims {
  payload: JWTPayload;
  kid: string | undefined;
}

const unsecuredHeaders = new Map<string | undefined, string>();

/** The base64url `{"alg":"none","typ":…}` header under which jose judges a verified payload's claims. */
function unsecuredHeader(typ: string | undefined): string {
  let header = unsecuredHeaders.get(typ);
  if (header === undefined) {
    header = Buffer.from(JSON.stringify(typ === undefined ? { alg: 'none' } : { alg: 'none', typ })).toString(
      'base64url',
    );
    if (unsecuredHeaders.size < 16) {
      unsecuredHeaders.set(typ, header);
    }
  }
  return header;
}

function isString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * Creates the verifier; the JWKS is fetched on first use.
 *
 * @example
 * ```ts
 * const jwt = createJwtVerifier({
 *   issuer: 'https://auth.example',
 *   audience: ['https://api.example'],
 *   algorithms: ['ES256', 'EdDSA'],
 *   clockTolerance: 5,
 *   jwksUri: async () => 'https://auth.example/jwks',
 *   cooldownMs: 30_000,
 *   cacheMaxAgeMs: 600_000,
 *   timeoutMs: 5_000,
 * });
 * ```
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  let keySet: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  /** jose's JWKS once discovery has given its URL (it then never changes): no await per token. */
  let keySetReady: ReturnType<typeof createRemoteJWKSet> | undefined;

  function keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (keySet === undefined) {
      const pending = options.jwksUri().then((uri) =>
        createRemoteJWKSet(new URL(uri), {
          cooldownDuration: options.cooldownMs,
          cacheMaxAge: options.cacheMaxAgeMs,
          timeoutDuration: options.timeoutMs,
          ...(options.fetch === undefined ? {} : { [customFetch]: options.fetch }),
        }),
      );
      // A failed discovery must not stick: the next request tries again.
      pending.then(
        (jwks) => {
          if (keySet === pending) {
            keySetReady = jwks;
          }
        },
        () => {
          if (keySet === pending) {
            keySet = undefined;
          }
        },
      );
      keySet = pending;
    }
    return keySet;
  }

  const audience = [...options.audience];
  const algorithms = [...options.algorithms];
  let rulesAt = Number.NaN;
  let rules: JWTVerifyOptions = {};

  /** The same rules for both paths (RFC 9068 §4); made once per second of the clock. */
  function claimRules(now: number): JWTVerifyOptions {
    if (now !== rulesAt) {
      rules = {
        issuer: options.issuer,
        audience,
        algorithms,
        typ: 'at+jwt',
        clockTolerance: options.clockTolerance,
        currentDate: new Date(now * 1000),
        requiredClaims: ['exp', 'iat', 'sub', 'jti', 'client_id'],
      };
      rulesAt = now;
    }
    return rules;
  }

  /**
   * The fast path, or undefined when the token or its key is not of the plain shape. The claims are
   * judged only once the signature holds: jose's `UnsecuredJWT.decode` of a `none` header carrying
   * the token's `typ` and the token's own payload segment applies exactly `jwtVerify`'s claim rules.
   */
  async function verifyPlain(token: string, rules: JWTVerifyOptions): Promise<VerifiedClaims | undefined> {
    const jws = parsePlainCompactJws(token, options.algorithms);
    if (jws === undefined) {
      return undefined;
    }
    const jwks = keySetReady ?? (await keys());
    const key = keyObjectOf(
      await jwks(jws.header as JWSHeaderParameters, {
        protected: jws.protectedSegment,
        payload: jws.payloadSegment,
        signature: jws.signatureSegment,
      }),
    );
    if (key === undefined || !keyFits(jws.header.alg, key)) {
      return undefined;
    }
    if (!verifyJwsSignature(jws, key)) {
      throw new errors.JWSSignatureVerificationFailed();
    }
    const unsecured = unsecuredHeader(jws.header.typ);
    return {
      payload: UnsecuredJWT.decode(`${unsecured}.${jws.payloadSegment}.`, rules).payload,
      kid: jws.header.kid,
    };
  }

  async function verifyWithJose(token: string, rules: JWTVerifyOptions): Promise<VerifiedClaims> {
    const { payload, protectedHeader } = await jwtVerify(token, await keys(), rules);
    return { payload, kid: protectedHeader.kid };
  }

  return {
    async verify(token, now) {
      let verified: VerifiedClaims;
      try {
        const rules = claimRules(now);
        verified = (await verifyPlain(token, rules)) ?? (await verifyWithJose(token, rules));
      } catch (error) {
        if (error instanceof OAuthError) {
          throw error;
        }
        const description = describeTokenError(error);
        if (description !== undefined) {
          throw OAuthError.invalidToken(description, { cause: error });
        }
        throw OAuthError.temporarilyUnavailable('The signing keys could not be fetched', { cause: error });
      }
      const payload = verified.payload;
      const { sub, client_id: clientId, jti, iat, exp, scope } = payload as Record<string, unknown>;
      if (
        !isString(sub) ||
        !isString(clientId) ||
        !isString(jti) ||
        typeof iat !== 'number' ||
        typeof exp !== 'number' ||
        (scope !== undefined && typeof scope !== 'string')
      ) {
        throw OAuthError.invalidToken('The access token has a malformed claim');
      }
      return {
        payload: payload as AccessTokenPayload,
        kid: typeof verified.kid === 'string' ? verified.kid : undefined,
      };
    },
  };
}
