/**
 * Refresh tokens at `/introspect` (RFC 7662): active only while unused, unrevoked and unexpired,
 * and only to the client it was issued to (a refresh token means nothing to anyone else, so no
 * other client learns its claims, RFC 7662 §4).
 */
import { type IntrospectionResponse, parseSecret } from '@tessera/protocol';
import type { Clock } from '../clock.js';
import { hashSecret } from '../ids.js';
import type { ClientRecord, RefreshTokenStore } from '../store/ports.js';
import type { Introspector } from './introspection.js';

export function createRefreshTokenIntrospector(deps: {
  issuer: string;
  store: Pick<RefreshTokenStore, 'findRefreshToken'>;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  clock: Clock;
}): Introspector {
  return {
    accepts: (token) => token.startsWith('tsr_rt_'),
    async introspect(token, caller): Promise<IntrospectionResponse> {
      if (parseSecret(token, 'rt') === undefined) {
        return { active: false };
      }
      const record = await deps.store.findRefreshToken(hashSecret(token));
      const now = deps.clock.now();
      if (
        record === undefined ||
        record.clientId !== caller.id ||
        record.usedAt !== null ||
        record.revokedAt !== null ||
        record.expiresAt <= now ||
        record.familyExpiresAt <= now
      ) {
        return { active: false };
      }
      const client = await deps.clients.get(record.clientId);
      if (client === undefined || client.disabled) {
        return { active: false };
      }
      return {
        active: true,
        token_type: 'refresh_token',
        scope: record.scope.join(' '),
        client_id: record.clientId,
        sub: record.userId,
        iss: deps.issuer,
        iat: record.issuedAt,
        exp: record.expiresAt,
        ...(record.audience.length === 0
          ? {}
          : { aud: record.audience.length === 1 ? (record.audience[0] as string) : record.audience }),
      };
    },
  };
}
