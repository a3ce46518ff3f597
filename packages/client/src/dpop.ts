/**
 * DPoP for the token client (RFC 9449): one key pair per client, made with WebCrypto and
 * non-extractable (oauth4webapi's `generateKeyPair` default), so the private key cannot be read out
 * even by the application; proofs for token requests and API calls (with `ath`, §4.2) signed by
 * oauth4webapi's DPoP handle, which also remembers the latest `DPoP-Nonce` of each origin (§8, §9).
 */
import * as oauth from 'oauth4webapi';
import { parseChallenges } from './bearer-challenge.js';
import type { Clock } from './clock.js';
import type { FetchLike } from './http-options.js';

/**
 * DPoP options of the token client.
 *
 * @example
 * ```ts
 * createTokenClient({ issuer, clientId, clientSecret, dpop: { algorithm: 'EdDSA' } });
 * ```
 */
export interface DpopClientOptions {
  /** Proof algorithm of the generated key. Default ES256. */
  algorithm?: 'ES256' | 'EdDSA' | 'Ed25519' | 'RS256' | 'PS256';
  /** A key pair of your own (e.g. one kept in IndexedDB), instead of a generated one. */
  keyPair?: CryptoKeyPair;
}

/**
 * The DPoP key and proof signer of one token client.
 *
 * @example
 * ```ts
 * const dpop = createDpopSigner({ algorithm: 'ES256' }, systemClock);
 * const jkt = await dpop.thumbprint();
 * ```
 */
export interface DpopSigner {
  /** The oauth4webapi handle for token requests (`DPoP` option). */
  handle(): Promise<oauth.DPoPHandle>;
  /** RFC 7638 thumbprint of the public key: the `cnf.jkt` of the tokens it gets. */
  thumbprint(): Promise<string>;
}

/**
 * Creates the signer; the key pair is generated on first use and kept for the client's life.
 *
 * @example
 * ```ts
 * const dpop = createDpopSigner({}, systemClock);
 * ```
 */
export function createDpopSigner(options: DpopClientOptions, clock: Clock): DpopSigner {
  let handle: Promise<oauth.DPoPHandle> | undefined;
  const get = () => {
    handle ??= (async () => {
      const keyPair = options.keyPair ?? (await oauth.generateKeyPair(options.algorithm ?? 'ES256'));
      // Proof `iat`s follow the injected clock, as every other time the client reads.
      return oauth.DPoP({ [oauth.clockSkew]: clock.now() - Math.floor(Date.now() / 1000) }, keyPair);
    })();
    return handle;
  };
  return {
    handle: get,
    async thumbprint() {
      return (await get()).calculateThumbprint();
    },
  };
}

/**
 * True when a resource server asks for a (new) nonce: 401 with a DPoP challenge whose error is
 * `use_dpop_nonce` (RFC 9449 §9).
 *
 * @example
 * ```ts
 * if (isDpopNonceResponse(response)) { // retry once: the handle kept the DPoP-Nonce }
 * ```
 */
export function isDpopNonceResponse(response: Response): boolean {
  const header = response.headers.get('www-authenticate');
  return (
    response.status === 401 &&
    header !== null &&
    parseChallenges(header).some(
      (challenge) => challenge.scheme === 'dpop' && challenge.params.error === 'use_dpop_nonce',
    )
  );
}

/**
 * Sends `request` with `Authorization: DPoP <token>` and a fresh proof for its method and URL.
 *
 * @example
 * ```ts
 * const response = await sendWithDpop(await dpop.handle(), fetch, request, body, token);
 * ```
 */
export async function sendWithDpop(
  handle: oauth.DPoPHandle,
  fetchImpl: FetchLike,
  request: Request,
  body: ArrayBuffer | null,
  token: string,
): Promise<Response> {
  const headers = new Headers(request.headers);
  headers.delete('authorization');
  headers.delete('dpop');
  try {
    return await oauth.protectedResourceRequest(token, request.method, new URL(request.url), headers, body, {
      DPoP: handle,
      // The application chose this URL; the Bearer path sends to it as it is, so does this one.
      [oauth.allowInsecureRequests]: true,
      [oauth.customFetch]: (url, init) => fetchImpl(url, init as RequestInit),
    });
  } catch (error) {
    // oauth4webapi throws on any challenge; the caller reads the response itself.
    if (error instanceof oauth.WWWAuthenticateChallengeError) {
      return error.response;
    }
    throw error;
  }
}
