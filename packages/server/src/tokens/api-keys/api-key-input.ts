/**
 * Validation of what a caller asks a key to be: name, scope, audiences, meta and expiry. Each
 * `assertX` returns the value to store or throws an RFC-style error, so a lifecycle write is
 * validated whole before anything is written.
 */
import { isScopeToken, OAuthError } from '@tessera/protocol';
import { API_KEY_ANOMALY_POLICIES, type ApiKeyAnomalyPolicy } from '../../store/ports.js';
import { isResourceUri } from '../audience.js';

const MAX_NAME_LENGTH = 200;
const MAX_META_BYTES = 8192;
const MAX_SCOPES = 100;
const MAX_AUDIENCES = 20;
const MAX_SCOPE_TOKEN = 200;

export function assertName(name: unknown): string {
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > MAX_NAME_LENGTH) {
    throw OAuthError.invalidRequest(`name must be 1 to ${MAX_NAME_LENGTH} characters`);
  }
  return name;
}

export function assertScope(scope: readonly string[]): string[] {
  if (scope.length > MAX_SCOPES) {
    throw OAuthError.invalidScope(`A key carries at most ${MAX_SCOPES} scopes`);
  }
  for (const token of scope) {
    if (!isScopeToken(token) || token.length > MAX_SCOPE_TOKEN) {
      throw OAuthError.invalidScope('The scope is malformed (RFC 6749 section 3.3)');
    }
  }
  return [...new Set(scope)];
}

/** RFC 8707 §2: an absolute URI without a fragment. */
export function assertAudiences(audiences: readonly string[]): string[] {
  if (audiences.length > MAX_AUDIENCES) {
    throw OAuthError.invalidTarget(`A key names at most ${MAX_AUDIENCES} audiences`);
  }
  for (const uri of audiences) {
    if (!isResourceUri(uri)) {
      throw OAuthError.invalidTarget(
        'Each audience must be an absolute URI without a fragment (RFC 8707 section 2)',
      );
    }
  }
  return [...new Set(audiences)];
}

export function assertMeta(meta: unknown): Record<string, unknown> {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw OAuthError.invalidRequest('meta must be a JSON object');
  }
  if (Buffer.byteLength(JSON.stringify(meta)) > MAX_META_BYTES) {
    throw OAuthError.invalidRequest(`meta must be at most ${MAX_META_BYTES} bytes of JSON`);
  }
  return meta as Record<string, unknown>;
}

/** RFC 7638 with SHA-256, base64url: 43 characters (what `cnf.jkt` holds, RFC 9449 §6.1). */
export function assertJkt(jkt: unknown): string {
  if (typeof jkt !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(jkt)) {
    throw OAuthError.invalidRequest('dpop_jkt must be a JWK SHA-256 thumbprint (43 base64url characters)');
  }
  return jkt;
}

/**
 * The latest expiry accepted: 9999-12-31T23:59:59Z. Expiries are shown as dates (the account page,
 * the console, the CLI), and a JavaScript date ends in the year 275760: a later one made each of
 * them fail.
 */
export const MAX_EXPIRES_AT = 253_402_300_799;

export function assertExpiresAt(expiresAt: number | null, now: number): number | null {
  if (expiresAt === null) {
    return null;
  }
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) {
    throw OAuthError.invalidRequest('The expiry must be a time in the future');
  }
  if (expiresAt > MAX_EXPIRES_AT) {
    throw OAuthError.invalidRequest('The expiry must be before the year 10000');
  }
  return expiresAt;
}

export function assertAnomalyPolicy(policy: unknown): ApiKeyAnomalyPolicy {
  if (!API_KEY_ANOMALY_POLICIES.includes(policy as ApiKeyAnomalyPolicy)) {
    throw OAuthError.invalidRequest(`anomaly_policy must be one of ${API_KEY_ANOMALY_POLICIES.join(', ')}`);
  }
  return policy as ApiKeyAnomalyPolicy;
}
