/**
 * DPoP at the resource server (RFC 9449 §7): a request presenting a DPoP-bound token
 * (`Authorization: DPoP <token>`) must carry one `DPoP` proof for this method and URL, signed by the
 * key the token is bound to (`cnf.jkt`), with `ath` = the token's SHA-256, fresh (`iat` window),
 * never seen before (a replay cache bounded by that window) and, when asked for, with this
 * server's nonce (§9). The rules are `@tessera/protocol`'s, shared with the authorization server;
 * the signature is checked with `jose` and the proof's own `jwk`.
 */
import {
  checkDpopHeader,
  checkDpopProof,
  DPOP_ALGORITHMS,
  isOAuthError,
  normalizeHtu,
  OAuthError,
  singleDpopHeader,
} from '@tessera/protocol';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWK, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';

/**
 * DPoP options of `createVerifier`.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, audience, dpop: { publicOrigin: 'https://api.example.com', nonce: true } });
 * ```
 */
export interface DpopOptions {
  /** Proof algorithms accepted. Default ES256, EdDSA, RS256, PS256. */
  algorithms?: readonly string[];
  /** Seconds a proof's `iat` may differ from now, either way. Default 60. */
  proofWindow?: number;
  /**
   * The origin clients address this API by (`https://api.example.com`), when it differs from what
   * the server sees (behind a proxy). The proof's `htu` is compared with this origin plus the
   * request's path. Default: the request's own URL as the adapter reads it.
   */
  publicOrigin?: string;
  /**
   * RFC 9449 §9: require a nonce of this server in every proof; refused proofs get
   * `use_dpop_nonce` with a `DPoP-Nonce` header. A nonce is current for `lifetime` seconds
   * (default 300) and accepted one period longer. Default false.
   */
  nonce?: boolean | { lifetime?: number };
  /** Proof `jti`s remembered at most (LRU). Default 100 000. */
  replayCacheSize?: number;
}

/** What a DPoP check reads of the request. */
export interface DpopRequest {
  /** The `DPoP` header (repeated headers joined with `, `, which is refused). */
  proof: string | undefined;
  method: string;
  /** The request URL: absolute, or a path resolved against `publicOrigin`. */
  url: string | undefined;
}

/**
 * The resource server's proof checker.
 *
 * @example
 * ```ts
 * await dpop.check({ proof, method: 'GET', url }, tokenHash, token.cnf.jkt, now);
 * ```
 */
export interface DpopChecker {
  readonly algorithms: readonly string[];
  /** Throws `invalid_dpop_proof` or `use_dpop_nonce` (both 401 here, RFC 9449 §7.1 and §9). */
  check(request: DpopRequest, tokenHash: string, jkt: string, at: number): Promise<void>;
  /** The nonce to send in `DPoP-Nonce`, or undefined when nonces are off. */
  currentNonce(at: number): Promise<string | undefined>;
}

/** RFC 9449 §7.1: the proof problems at a protected resource are 401s with a DPoP challenge. */
function unauthorized(error: OAuthError): OAuthError {
  return new OAuthError(error.code, error.description, { status: 401, cause: error.cause });
}

function requestUrl(url: string | undefined, publicOrigin: string | undefined): string {
  if (url === undefined) {
    throw unauthorized(
      OAuthError.invalidDpopProof('The request URL is unknown, so no DPoP proof can match it'),
    );
  }
  if (publicOrigin !== undefined) {
    const path = URL.canParse(url) ? new URL(url).pathname : url.split(/[?#]/)[0];
    return new URL(path ?? '/', publicOrigin).href;
  }
  return url;
}

/** Server nonces: an HMAC (WebCrypto) of the time slot under a key made at startup. */
function createNonces(lifetime: number): (at: number) => Promise<{ current: string; previous: string }> {
  const key = crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const encoder = new TextEncoder();
  async function nonceOf(slot: number): Promise<string> {
    const mac = await crypto.subtle.sign('HMAC', await key, encoder.encode(String(slot)));
    return base64url(new Uint8Array(mac));
  }
  return async (at) => {
    const slot = Math.floor(at / lifetime);
    return { current: await nonceOf(slot), previous: await nonceOf(slot - 1) };
  };
}

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    text += String.fromCharCode(byte);
  }
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Creates the checker.
 *
 * @example
 * ```ts
 * const dpop = createDpopChecker({ publicOrigin: 'https://api.example.com' });
 * ```
 */
export function createDpopChecker(options: DpopOptions = {}): DpopChecker {
  const algorithms = [...(options.algorithms ?? DPOP_ALGORITHMS)];
  const window = options.proofWindow ?? 60;
  const publicOrigin = options.publicOrigin === undefined ? undefined : new URL(options.publicOrigin).origin;
  const nonceOption = options.nonce ?? false;
  const nonces =
    nonceOption === false
      ? undefined
      : createNonces(Math.max(1, nonceOption === true ? 300 : (nonceOption.lifetime ?? 300)));
  // jkt.jti → the time until which it is remembered: past it, its iat is outside the window anyway.
  const seen = new LRUCache<string, number>({ max: options.replayCacheSize ?? 100_000 });

  return {
    algorithms,
    async currentNonce(at) {
      return nonces === undefined ? undefined : (await nonces(at)).current;
    },
    async check(request, tokenHash, jkt, at) {
      try {
        const proof = singleDpopHeader(request.proof);
        if (proof === undefined) {
          throw OAuthError.invalidDpopProof('A DPoP-bound token needs a DPoP proof');
        }
        let header: Record<string, unknown>;
        try {
          header = decodeProtectedHeader(proof) as Record<string, unknown>;
        } catch (cause) {
          throw OAuthError.invalidDpopProof('The DPoP proof is not a JWS', { cause });
        }
        checkDpopHeader(header, algorithms);
        let payload: Record<string, unknown>;
        try {
          ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms }));
        } catch (cause) {
          throw OAuthError.invalidDpopProof('The DPoP proof signature is invalid', { cause });
        }
        const url = requestUrl(request.url, publicOrigin);
        if (normalizeHtu(url) === undefined) {
          throw OAuthError.invalidDpopProof('The request URL is not an absolute http(s) URL');
        }
        const valid = nonces === undefined ? undefined : await nonces(at);
        const claims = checkDpopProof(payload, {
          method: request.method.toUpperCase(),
          url,
          now: at,
          window,
          ath: tokenHash,
          ...(valid === undefined
            ? {}
            : { acceptsNonce: (nonce: string) => nonce === valid.current || nonce === valid.previous }),
        });
        // RFC 9449 §7.1: the proof's key must be the one the token is bound to.
        if ((await calculateJwkThumbprint(header.jwk as JWK)) !== jkt) {
          throw OAuthError.invalidDpopProof('The DPoP proof key is not the key the token is bound to');
        }
        const replayKey = `${jkt}.${claims.jti}`;
        const until = seen.get(replayKey);
        if (until !== undefined && until >= at) {
          throw OAuthError.invalidDpopProof('The DPoP proof was already used');
        }
        seen.set(replayKey, Math.max(claims.iat, at) + window);
      } catch (error) {
        throw isOAuthError(error) ? unauthorized(error) : error;
      }
    },
  };
}
