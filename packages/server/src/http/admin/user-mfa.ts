/**
 * `POST /admin/users/{id}/mfa/reset`: an admin removes a person's second factors (authenticator
 * app and recovery codes), e.g. after a lost phone; the person signs in with the password alone
 * until they set one up again (or is sent to set one up, if their policy requires MFA).
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RecoveryCodes } from '../../users/authn/recovery-codes.js';
import type { TotpService } from '../../users/authn/totp.js';
import type { PasskeyService } from '../../users/passkey-service.js';
import type { UserService } from '../../users/user-service.js';
import { describeRoute } from './openapi.js';
import { toPasskeyView } from './passkeys.js';
import { type MfaStateView, mfaStateSchema } from './users.js';

export interface UserMfaDeps {
  users: Pick<UserService, 'find'>;
  totp: TotpService;
  recoveryCodes: RecoveryCodes;
}

export function mfaStateOf(
  deps: Omit<UserMfaDeps, 'users'> & { passkeys?: Pick<PasskeyService, 'list'> },
): (userId: string) => Promise<MfaStateView> {
  return async (userId) => ({
    totp: await deps.totp.enrolled(userId),
    recovery_codes_left: await deps.recoveryCodes.remaining(userId),
    ...(deps.passkeys === undefined
      ? {}
      : { passkeys: (await deps.passkeys.list(userId)).map(toPasskeyView) }),
  });
}

export function registerUserMfaRoutes(admin: FastifyInstance, deps: UserMfaDeps): void {
  const state = mfaStateOf(deps);
  admin.post(
    '/users/:id/mfa/reset',
    describeRoute({
      summary: "Remove a user's second factors (authenticator app, recovery codes)",
      tags: ['users'],
      params: z.object({ id: z.string() }),
      responses: { 200: mfaStateSchema.extend({ removed: z.boolean() }) },
      errors: [404],
    }),
    async (request) => {
      const { id } = request.params as { id: string };
      if ((await deps.users.find(id)) === undefined) {
        throw OAuthError.notFound('No such user');
      }
      const removed = await deps.totp.remove(id, 'admin');
      return { removed, ...(await state(id)) };
    },
  );
}
