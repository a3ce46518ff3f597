/**
 * How a confidential client proves who it is at the token, revocation and introspection endpoints:
 * a client secret (RFC 6749 §2.3.1, HTTP Basic by default) or a signed assertion
 * (`private_key_jwt`, RFC 7523 §2.2). oauth4webapi builds the request; this file only picks.
 */
import * as oauth from 'oauth4webapi';

/**
 * The client's credential: exactly one of `clientSecret` or `privateKey`.
 *
 * @example
 * ```ts
 * const bySecret: ClientCredential = { clientSecret: process.env.TESSERA_CLIENT_SECRET ?? '' };
 * const byKey: ClientCredential = { privateKey: { key: cryptoKey, kid: 'key-1' } };
 * ```
 */
export type ClientCredential =
  | {
      /** The `tsr_cs_…` secret shown once when the client was created. */
      clientSecret: string;
      /** RFC 6749 §2.3.1. Default `client_secret_basic`. */
      tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
      privateKey?: never;
    }
  | {
      /**
       * A private key whose public half is in the client's registered `jwks`/`jwks_uri` (a web
       * `CryptoKey`, e.g. from `crypto.subtle.importKey` or jose's `importPKCS8`), with its `kid`.
       */
      privateKey: CryptoKey | { key: CryptoKey; kid?: string };
      clientSecret?: never;
      tokenEndpointAuthMethod?: never;
    };

/**
 * Builds the oauth4webapi client authentication for a credential.
 *
 * @example
 * ```ts
 * const auth = clientAuthenticationOf({ clientSecret });
 * await oauth.clientCredentialsGrantRequest(as, client, auth, params);
 * ```
 */
export function clientAuthenticationOf(credential: ClientCredential): oauth.ClientAuth {
  if (credential.privateKey !== undefined) {
    const key = credential.privateKey;
    return oauth.PrivateKeyJwt('key' in key ? toPrivateKey(key) : key);
  }
  if (credential.tokenEndpointAuthMethod === 'client_secret_post') {
    return oauth.ClientSecretPost(credential.clientSecret);
  }
  return oauth.ClientSecretBasic(credential.clientSecret);
}

function toPrivateKey(value: { key: CryptoKey; kid?: string }): oauth.PrivateKey {
  return value.kid === undefined ? { key: value.key } : { key: value.key, kid: value.kid };
}
