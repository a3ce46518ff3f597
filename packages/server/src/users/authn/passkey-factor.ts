/**
 * A passkey as the second step of a password sign-in: a person who has one is asked for it (or
 * their authenticator app) after the password. The assertion is not a short code, so it is not
 * checked through the code form: the second-factor page offers the passkey ceremony, which posts
 * to `/login/passkey` and, after the password step, yields `pwd` + `hwk` + `user` + `mfa`.
 */
import type { PasskeyService } from '../passkey-service.js';
import type { SecondFactor } from './second-factors.js';

export function passkeyFactor(passkeys: Pick<PasskeyService, 'list'>): SecondFactor {
  return {
    name: 'passkey',
    amr: ['hwk', 'user'],
    field: 'passkey',
    enrolled: async (userId) => (await passkeys.list(userId)).length > 0,
    // Never through the code form (see above).
    verify: async () => false,
  };
}
