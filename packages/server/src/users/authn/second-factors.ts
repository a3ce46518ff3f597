/**
 * The second factors a person may be asked for after their password (DESIGN §9: a registry of
 * authenticators under users/authn/). Each factor says whether the person has it and checks what
 * the second-factor form sent; the login flow asks them in order and adds the winner's `amr`
 * (RFC 8176) to `pwd`. TOTP and recovery codes are here; a passkey plugs in as one more entry
 * (its form field carries the WebAuthn assertion).
 */
import type { RecoveryCodes } from './recovery-codes.js';
import type { TotpService } from './totp.js';

export interface SecondFactor {
  /** `totp`, `recovery_code`, `passkey` … (also the audit name). */
  readonly name: string;
  /** RFC 8176 §2 values this factor proves (e.g. `otp`; a passkey: `hwk`, `user`). */
  readonly amr: readonly string[];
  /** The person can use it now. A factor that only backs up another one says false here. */
  enrolled(userId: string): Promise<boolean>;
  /** The form field it reads. */
  readonly field: string;
  /** Checks the submitted value; true when it proves the factor (and is now spent, if single use). */
  verify(userId: string, value: string): Promise<boolean>;
}

export interface SecondFactors {
  /** The factors the person has (at least one means: ask for it at every password sign-in). */
  enrolledFor(userId: string): Promise<SecondFactor[]>;
  /** The factor proven by this form, if any; every factor that finds its field is asked, in order. */
  verify(userId: string, form: (field: string) => string | undefined): Promise<SecondFactor | undefined>;
  /** The registered factors, by name. */
  readonly all: ReadonlyMap<string, SecondFactor>;
}

export function totpFactor(totp: TotpService): SecondFactor {
  return {
    name: 'totp',
    amr: ['otp'],
    field: 'code',
    enrolled: (userId) => totp.enrolled(userId),
    verify: (userId, value) => totp.verify(userId, value),
  };
}

/** A recovery code stands in for the authenticator: usable only by a person who has TOTP. */
export function recoveryCodeFactor(totp: TotpService, codes: RecoveryCodes): SecondFactor {
  return {
    name: 'recovery_code',
    amr: ['otp'],
    field: 'recovery_code',
    enrolled: async () => false,
    verify: async (userId, value) => (await totp.enrolled(userId)) && codes.use(userId, value),
  };
}

/** A frozen registry of factors, asked in the order given (a passkey joins by being listed). */
export function createSecondFactors(factors: readonly SecondFactor[]): SecondFactors {
  const all = new Map(factors.map((factor) => [factor.name, factor] as const));
  return Object.freeze({
    all,
    async enrolledFor(userId: string) {
      const out: SecondFactor[] = [];
      for (const factor of factors) {
        if (await factor.enrolled(userId)) {
          out.push(factor);
        }
      }
      return out;
    },
    async verify(userId: string, form: (field: string) => string | undefined) {
      for (const factor of factors) {
        const value = form(factor.field);
        if (value !== undefined && value !== '' && (await factor.verify(userId, value))) {
          return factor;
        }
      }
      return undefined;
    },
  });
}
