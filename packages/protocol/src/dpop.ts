/**
 * DPoP (RFC 9449) proof rules shared by the authorization server and `@tessera/verify`: everything
 * about a proof except the signature, which each side checks with `jose` (this package has no
 * dependencies). Both callers verify the signature with the header's own `jwk` first, then hand the
 * protected header and the claims to {@link checkDpopProof}.
 */
import { OAuthError } from './errors.js';

/**
 * RFC 9449 §5.1 / §7.1: the proof algorithms Tessera accepts (discovery's
 * `dpop_signing_alg_values_supported`). `Ed25519` is RFC 9864's fully-specified name for EdDSA
 * over Ed25519, which oauth4webapi's Ed25519 keys sign with.
 */
export const DPOP_ALGORITHMS = Object.freeze(['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const);
export type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number];

/** A `DPoP` header longer than this is refused before it is parsed (RFC 9449 §11.1: bound the work). */
export const DPOP_MAX_PROOF_LENGTH = 8192;

/** RFC 7518 §6.2.2, §6.3.2 and §6.4: members only a private or symmetric key has. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/**
 * RFC 9449 §4.2/§4.3: `htu` is compared without its query and fragment, after the usual URI
 * normalisation (RFC 3986 §6.2.2/§6.2.3: case of scheme and host, default port, dot segments), which
 * the WHATWG `URL` parser performs. Undefined for something that is not an absolute http(s) URL.
 */
export function normalizeHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return undefined;
  }
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** The one `DPoP` header of a request (RFC 9449 §4.3 check 1: exactly one), or undefined when absent. */
export function singleDpopHeader(values: string | readonly string[] | undefined): string | undefined {
  if (values === undefined) {
    return undefined;
  }
  const list = typeof values === 'string' ? [values] : values;
  if (list.length === 0) {
    return undefined;
  }
  const [only] = list;
  if (list.length > 1 || only === undefined || only.includes(',')) {
    throw OAuthError.invalidDpopProof('Exactly one DPoP header is allowed');
  }
  if (only.length > DPOP_MAX_PROOF_LENGTH) {
    throw OAuthError.invalidDpopProof('The DPoP proof is too large');
  }
  return only;
}

/**
 * RFC 9449 §4.2 and §4.3 check 4-6: `typ`, `alg` (asymmetric and allowed), and a public `jwk`.
 * Run on the decoded protected header before the signature is verified with that `jwk`.
 */
export function checkDpopHeader(header: Record<string, unknown>, algorithms: readonly string[]): void {
  if (header.typ !== 'dpop+jwt') {
    throw OAuthError.invalidDpopProof('The DPoP proof must have typ dpop+jwt');
  }
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
    throw OAuthError.invalidDpopProof(`The DPoP proof algorithm is not one of ${algorithms.join(' ')}`);
  }
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw OAuthError.invalidDpopProof('The DPoP proof must carry its public key as jwk');
  }
  if (PRIVATE_JWK_MEMBERS.some((member) => Object.hasOwn(jwk, member))) {
    throw OAuthError.invalidDpopProof('The DPoP proof jwk must not contain a private key');
  }
}

/** What the receiver expects of a proof. */
export interface DpopExpectations {
  /** The request method (RFC 9449 §4.3 check 8). */
  method: string;
  /** The public URL of the request, as the client addressed it (check 9). */
  url: string;
  /** Seconds since the epoch. */
  now: number;
  /** Seconds a proof's `iat` may lie in the past or the future (check 11). */
  window: number;
  /** base64url(SHA-256(access token)) when the request carries one (check 12, §7). */
  ath?: string;
  /** Nonces the receiver currently accepts; undefined when it does not ask for one (check 10). */
  acceptsNonce?: (nonce: string) => boolean;
}

/** The claims a checked proof was found to have. */
export interface DpopClaims {
  jti: string;
  iat: number;
}

/**
 * RFC 9449 §4.3 checks 7-12 on a proof whose signature was verified: `jti`, `htm`, `htu`, `iat`
 * within the window, `nonce` when asked for, and `ath` when a token is presented. Throws
 * `invalid_dpop_proof` (or `use_dpop_nonce`, §8/§9) with a public description.
 */
export function checkDpopProof(payload: Record<string, unknown>, expect: DpopExpectations): DpopClaims {
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) {
    throw OAuthError.invalidDpopProof('The DPoP proof needs a jti');
  }
  if (htm !== expect.method) {
    throw OAuthError.invalidDpopProof('The DPoP proof htm does not match the request method');
  }
  const expected = normalizeHtu(expect.url);
  if (typeof htu !== 'string' || expected === undefined || normalizeHtu(htu) !== expected) {
    throw OAuthError.invalidDpopProof('The DPoP proof htu does not match the request URL');
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw OAuthError.invalidDpopProof('The DPoP proof needs a numeric iat');
  }
  if (Math.abs(expect.now - iat) > expect.window) {
    throw OAuthError.invalidDpopProof('The DPoP proof iat is outside the accepted window');
  }
  if (expect.acceptsNonce !== undefined) {
    const nonce = payload.nonce;
    if (typeof nonce !== 'string' || !expect.acceptsNonce(nonce)) {
      throw OAuthError.useDpopNonce('The DPoP proof must carry the nonce from the DPoP-Nonce header');
    }
  }
  if (expect.ath !== undefined && payload.ath !== expect.ath) {
    throw OAuthError.invalidDpopProof('The DPoP proof ath does not match the access token');
  }
  return { jti, iat };
}
