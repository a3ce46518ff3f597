/**
 * The authentication context of a sign-in: which methods the person used (`amr`, RFC 8176 §2 values)
 * and the level those methods reach (`acr`, OpenID Connect Core §2). The level is derived from the
 * methods here and nowhere else, so a session, an authorization code, a refresh family and every
 * token issued from them say the same thing.
 *
 * Levels, weakest first (documented in docs/mfa.md):
 * - `urn:tessera:acr:pwd`: one factor (a password, or a single OTP/recovery code).
 * - `urn:tessera:acr:mfa`: two factors of different kinds (RFC 8176 `mfa`), e.g. password + TOTP.
 * - `urn:tessera:acr:phr`: phishing-resistant: a passkey (`hwk` or `swk`, origin-bound) with user
 *   verification (`user` or `pin`). It also counts as multi-factor.
 */

/** RFC 8176 §2 Authentication Method Reference values this server records. */
export const AMR_VALUES = ['pwd', 'otp', 'hwk', 'swk', 'user', 'pin', 'mfa'] as const;
export type AmrValue = (typeof AMR_VALUES)[number];

export const ACR_PWD = 'urn:tessera:acr:pwd';
export const ACR_MFA = 'urn:tessera:acr:mfa';
export const ACR_PHR = 'urn:tessera:acr:phr';

/** Weakest first: discovery's `acr_values_supported` (OpenID Connect Discovery 1.0 §3). */
export const ACR_VALUES_SUPPORTED = [ACR_PWD, ACR_MFA, ACR_PHR] as const;
export type AcrValue = (typeof ACR_VALUES_SUPPORTED)[number];

/** The level an `acr` value stands for (0 for an unknown value or none). */
export function acrLevel(acr: string | null | undefined): number {
  return acr === null || acr === undefined ? 0 : ACR_VALUES_SUPPORTED.indexOf(acr as AcrValue) + 1;
}

/** True when the methods include a passkey with user verification (origin-bound, RFC 8176 hwk/swk). */
function isPhishingResistant(amr: ReadonlySet<string>): boolean {
  return (amr.has('hwk') || amr.has('swk')) && (amr.has('user') || amr.has('pin'));
}

/**
 * The `acr` a set of methods reaches: `phr` for a verified passkey, `mfa` for `mfa` or for a password
 * plus another factor, `pwd` for any single method, null for none.
 */
export function acrFor(amr: readonly string[]): AcrValue | null {
  const methods = new Set(amr);
  if (methods.size === 0) {
    return null;
  }
  if (isPhishingResistant(methods)) {
    return ACR_PHR;
  }
  const secondFactor = methods.has('otp') || methods.has('hwk') || methods.has('swk');
  if (methods.has('mfa') || (methods.has('pwd') && secondFactor)) {
    return ACR_MFA;
  }
  return ACR_PWD;
}

/**
 * `amr` for a password followed by second-factor methods: RFC 8176 §2 "mfa" is added whenever more
 * than one factor was used, in a stable order (pwd, the others, mfa).
 */
export function combineAmr(...parts: ReadonlyArray<readonly string[]>): string[] {
  const all = new Set(parts.flat());
  all.delete('mfa');
  const out = [...all];
  if (out.length > 1 && (all.has('pwd') || all.has('otp') || all.has('hwk') || all.has('swk'))) {
    out.push('mfa');
  }
  return out;
}

/**
 * Whether a sign-in of level `acr` satisfies a request for any of `wanted` (OIDC Core §3.1.2.1
 * `acr_values`, RFC 9470 §4): it must reach at least the weakest known level asked for. Values this
 * server does not know are ignored (OIDC Core §3.1.2.1: a voluntary claim); no known value → true.
 */
export function satisfiesAcr(acr: string | null, wanted: readonly string[]): boolean {
  const levels = wanted.map(acrLevel).filter((level) => level > 0);
  if (levels.length === 0) {
    return true;
  }
  return acrLevel(acr) >= Math.min(...levels);
}
