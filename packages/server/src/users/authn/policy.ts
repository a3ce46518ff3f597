/**
 * Which authentication level a sign-in must reach (DESIGN §9: policies only say which `acr`).
 * A second factor is required when the server says so (`login.requireMfa`), when the client was
 * registered with `require_mfa`, or when an admin marked the person "MFA required"; the request's
 * own `acr_values` (OIDC Core §3.1.2.1, RFC 9470 §4) may ask for more, never for less.
 */
import type { ClientRecord, UserRecord } from '../../store/ports.js';
import { ACR_MFA, acrLevel } from './context.js';

export interface MfaPolicyInput {
  /** `login.requireMfa`. */
  global: boolean;
  client: Pick<ClientRecord, 'requireMfa'>;
  /** Unknown before the person has typed their username. */
  user?: Pick<UserRecord, 'mfaRequired'> | undefined;
}

export function mfaRequired(input: MfaPolicyInput): boolean {
  return input.global || input.client.requireMfa || input.user?.mfaRequired === true;
}

/**
 * The `acr` values one of which the sign-in must reach: the request's `acr_values`, and under an
 * MFA policy only those at least as strong as `urn:tessera:acr:mfa` (or that level itself).
 */
export function wantedAcr(acrValues: readonly string[] | undefined, policyNeedsMfa: boolean): string[] {
  const requested = [...(acrValues ?? [])];
  if (!policyNeedsMfa) {
    return requested;
  }
  const strongEnough = requested.filter((acr) => acrLevel(acr) >= acrLevel(ACR_MFA));
  return strongEnough.length > 0 ? strongEnough : [ACR_MFA];
}
