/**
 * Redirect URI matching at the authorization and token endpoints: exact string comparison against
 * the registered list (RFC 9700 §4.1.3, OAuth 2.1 §4.1.1), no pattern, prefix or normalisation, so
 * no open redirector and no parser-differential can sneak in. Registration rules live in
 * `clients/redirect-uri.ts`.
 */
export function isRegisteredRedirectUri(registered: readonly string[], uri: string): boolean {
  return registered.includes(uri);
}
