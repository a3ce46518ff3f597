/**
 * `client_secret_basic` (RFC 6749 §2.3.1) as the verifier sends it to the issuer, for introspection
 * and for the revocation stream alike.
 */
import type { ClientCredentials } from './introspection.js';

/**
 * The `Authorization` header value: client id and secret are each form-urlencoded (RFC 6749
 * Appendix B) before Basic encoding (RFC 7617 §2).
 *
 * @example
 * ```ts
 * basicAuthorization({ clientId: 'cli_api', clientSecret: 'tsr_cs_…' }); // 'Basic Y2xpX2Fw…'
 * ```
 */
export function basicAuthorization(client: ClientCredentials): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${btoa(`${encode(client.clientId)}:${encode(client.clientSecret)}`)}`;
}
