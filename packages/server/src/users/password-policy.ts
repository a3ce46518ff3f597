/**
 * What a new password must be (NIST SP 800-63B §5.1.1.2): long enough, not absurdly long (argon2
 * input is bounded so a request cannot buy unbounded work), not one of the most common passwords,
 * and not the username. No composition rules: they make passwords worse, not better.
 */
import { OAuthError } from '@tessera/protocol';
import { COMMON_PASSWORDS } from './common-passwords.js';

export const MAX_PASSWORD_LENGTH = 256;

const COMMON = new Set(COMMON_PASSWORDS.map((p) => p.toLowerCase()));

export interface PasswordPolicy {
  minLength: number;
}

/** Throws `invalid_request` naming the rule the password breaks (never echoing the password). */
export function assertPasswordAcceptable(password: string, policy: PasswordPolicy, username?: string): void {
  const length = [...password].length;
  if (length < policy.minLength) {
    throw OAuthError.invalidRequest(`The password must be at least ${policy.minLength} characters long`);
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw OAuthError.invalidRequest(`The password must be at most ${MAX_PASSWORD_LENGTH} characters long`);
  }
  const lowered = password.toLowerCase();
  if (COMMON.has(lowered)) {
    throw OAuthError.invalidRequest('The password is one of the most common passwords; choose another');
  }
  if (username !== undefined && lowered === username.toLowerCase()) {
    throw OAuthError.invalidRequest('The password must not be the username');
  }
}
