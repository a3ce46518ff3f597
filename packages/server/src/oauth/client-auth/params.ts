/**
 * Reading one form parameter inside the framework-free core (the HTTP layer's `single` lives in
 * http/plugins and must not be imported from oauth/): absent or empty → undefined (RFC 6749 §3.1),
 * repeated → `invalid_request` (RFC 6749 §3.2).
 */
import { OAuthError } from '@tessera/protocol';

export function singleParam(body: Record<string, string | string[]>, name: string): string | undefined {
  const value = Object.hasOwn(body, name) ? body[name] : undefined;
  if (Array.isArray(value)) {
    throw OAuthError.invalidRequest(`Parameter ${name} must not be repeated`);
  }
  return value === undefined || value === '' ? undefined : value;
}
