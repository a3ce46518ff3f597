/**
 * Reading one form parameter: the one implementation, used by the framework-free core and, as
 * `single`, by the HTTP layer (http/plugins/form-body.ts). Absent or empty → undefined (RFC 6749
 * §3.1: "parameters sent without a value MUST be treated as if they were omitted"), repeated →
 * `invalid_request` (RFC 6749 §3.2). Only the form's own members count, never inherited ones.
 */
import { OAuthError } from '@tessera/protocol';

/** A parsed form or query: repeated parameters are kept as arrays so readers can refuse them. */
export type FormParams = Record<string, string | string[]>;

export function singleParam(body: FormParams | undefined, name: string): string | undefined {
  const value = body !== undefined && Object.hasOwn(body, name) ? body[name] : undefined;
  if (Array.isArray(value)) {
    throw OAuthError.invalidRequest(`Parameter ${name} must not be repeated`);
  }
  return value === undefined || value === '' ? undefined : value;
}
