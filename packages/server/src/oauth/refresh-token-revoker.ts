/**
 * Refresh tokens at `/revoke` (RFC 7009 §2.1): only the client the token was issued to (or the
 * operator) may revoke it, and revoking it ends the whole grant: the family and the access tokens
 * issued from it ("SHOULD also invalidate all access tokens based on the same authorization grant").
 */
import { parseSecret } from '@tessera/protocol';
import { hashSecret } from '../ids.js';
import type { RefreshTokenStore } from '../store/ports.js';
import type { UserTokens } from './grants/user-tokens.js';
import type { Revoker } from './revocation.js';

export function createRefreshTokenRevoker(deps: {
  store: Pick<RefreshTokenStore, 'findRefreshToken'>;
  tokens: Pick<UserTokens, 'revokeGrant'>;
}): Revoker {
  return {
    accepts: (token) => token.startsWith('tsr_rt_'),
    async revoke(token, caller) {
      if (parseSecret(token, 'rt') === undefined) {
        return 'unknown';
      }
      const record = await deps.store.findRefreshToken(hashSecret(token));
      if (record === undefined) {
        return 'unknown';
      }
      if (caller.kind === 'client' && caller.client.id !== record.clientId) {
        return 'not_owner';
      }
      if (record.revokedAt === null) {
        await deps.tokens.revokeGrant(
          record.familyId,
          'refresh token revoked',
          caller.kind === 'admin' ? 'admin' : caller.client.id,
        );
      }
      return 'revoked';
    },
  };
}
