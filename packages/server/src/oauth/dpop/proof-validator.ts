/**
 * The server's one DPoP proof validator (RFC 9449 §4.3), used by `/token` and `/userinfo`: one
 * header, its size, `typ`/`alg`/public `jwk` and the claims by the shared rules of
 * `@tessera/protocol`, the signature by `jose` with the embedded key, the nonce when the server asks
 * for one, and `jti` single use across nodes through the store's replay marks.
 */
import { createHash } from 'node:crypto';
import { checkDpopHeader, checkDpopProof, OAuthError, singleDpopHeader } from '@tessera/protocol';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';
import type { Clock } from '../../clock.js';
import type { ReplayStore } from '../../store/ports.js';
import type { DpopNonces } from './nonces.js';

export interface DpopProofValidatorDeps {
  clock: Clock;
  replay: Pick<ReplayStore, 'markOnce'>;
  /** Accepted proof algorithms (discovery's `dpop_signing_alg_values_supported`). */
  algorithms: readonly string[];
  /** Seconds a proof's `iat` may differ from now. */
  window: number;
  /** Present when the server requires nonces (RFC 9449 §8). */
  nonces?: DpopNonces;
}

export interface DpopRequest {
  /** Every value of the request's `DPoP` header (`headersDistinct`). */
  header: string | readonly string[] | undefined;
  method: string;
  /** The public URL the client addressed (issuer-based, never the Host header). */
  url: string;
  /** The access token the request presents, when it presents one (`ath`, RFC 9449 §4.3 check 12). */
  accessToken?: string;
}

/** A proof that passed every check: the key's RFC 7638 thumbprint is what tokens are bound to. */
export interface VerifiedDpopProof {
  jkt: string;
}

export interface DpopProofValidator {
  readonly algorithms: readonly string[];
  readonly nonces: DpopNonces | undefined;
  /** The proof's key thumbprint, undefined when the request has no proof; throws on a bad one. */
  validate(request: DpopRequest): Promise<VerifiedDpopProof | undefined>;
}

/** RFC 9449 §4.2: `ath` is base64url(SHA-256(ASCII access token)). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

function decodedHeader(proof: string): Record<string, unknown> {
  try {
    return decodeProtectedHeader(proof) as Record<string, unknown>;
  } catch (cause) {
    throw OAuthError.invalidDpopProof('The DPoP proof is not a JWS', { cause });
  }
}

export function createDpopProofValidator(deps: DpopProofValidatorDeps): DpopProofValidator {
  return {
    algorithms: deps.algorithms,
    nonces: deps.nonces,
    async validate(request) {
      const proof = singleDpopHeader(request.header);
      if (proof === undefined) {
        return undefined;
      }
      const header = decodedHeader(proof);
      checkDpopHeader(header, deps.algorithms);
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
          typ: 'dpop+jwt',
          algorithms: [...deps.algorithms],
        }));
      } catch (cause) {
        throw OAuthError.invalidDpopProof('The DPoP proof signature is invalid', { cause });
      }
      const now = deps.clock.now();
      const { nonces } = deps;
      const claims = checkDpopProof(payload, {
        method: request.method,
        url: request.url,
        now,
        window: deps.window,
        ...(request.accessToken === undefined ? {} : { ath: accessTokenHash(request.accessToken) }),
        ...(nonces === undefined ? {} : { acceptsNonce: (nonce: string) => nonces.accepts(nonce) }),
      });
      const jkt = await calculateJwkThumbprint(header.jwk as Parameters<typeof calculateJwkThumbprint>[0]);
      // RFC 9449 §11.1: a jti is used once per key, across every node (the shared replay marks),
      // and remembered as long as its iat stays inside the window.
      const key = `dpop:${createHash('sha256').update(`${jkt}.${claims.jti}`).digest('base64url')}`;
      if (!(await deps.replay.markOnce(key, Math.max(claims.iat, now) + deps.window + 1, now))) {
        throw OAuthError.invalidDpopProof('The DPoP proof was already used');
      }
      return { jkt };
    },
  };
}
