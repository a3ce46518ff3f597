/**
 * Whether a person may remove a second factor: a person whose policy requires MFA keeps at least
 * one: removing the last factor of a person whose policy requires MFA is refused.
 * Each kind of factor (passkeys here, TOTP elsewhere) contributes a {@link FactorSource}; the
 * policy decides whether MFA is required. Both lists are fixed when the guard is built.
 */
import { OAuthError } from '@tessera/protocol';

export interface FactorSource {
  /** `passkey`, `totp`, … */
  kind: string;
  /** How many factors of this kind the person holds. */
  count(userId: string): Promise<number>;
}

export interface FactorGuard {
  /** Throws `invalid_request` (409) when removing `factor` would leave an MFA-bound person with none. */
  assertCanRemove(userId: string, factor: { kind: string; id?: string }): Promise<void>;
}

export interface FactorGuardDeps {
  sources: readonly FactorSource[];
  /** True when the person's policy requires a second factor (per user, or global). */
  requiresMfa(userId: string): Promise<boolean>;
}

export function createFactorGuard(deps: FactorGuardDeps): FactorGuard {
  const sources = Object.freeze([...deps.sources]);
  return {
    async assertCanRemove(userId) {
      if (!(await deps.requiresMfa(userId))) {
        return;
      }
      let total = 0;
      for (const source of sources) {
        total += await source.count(userId);
      }
      if (total <= 1) {
        throw OAuthError.conflict(
          'This is your last second factor and your account requires one. Add another passkey or authenticator app first.',
        );
      }
    },
  };
}
