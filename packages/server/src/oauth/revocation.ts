/**
 * Token revocation (RFC 7009): a list of {@link Revoker}s, one per token kind, like introspection.
 * Only the client a token was issued to may revoke it: anyone else gets `not_owner`, which `/revoke`
 * answers with 400 `unauthorized_client` (§2.1, §2.2.1), and nothing happens. Unknown or invalid
 * tokens are `unknown` and answered 200 (§2.2). The operator (admin API) may revoke any token.
 *
 * Every revocation goes through {@link Revocations.revoke}: stored, on the denylist, and published
 * on the bus for other nodes and the revocation stream (DESIGN §5). A JWT is revoked by its `jti`
 * until its `exp`; an opaque token is also marked revoked in the store.
 */
import { parseSecret } from '@tessera/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { hashSecret } from '../ids.js';
import type { AccessTokenStore, ClientRecord } from '../store/ports.js';
import type { Revocations } from '../tokens/revocations.js';
import type { AccessTokenVerifier } from '../tokens/verify-access-token.js';
import { looksLikeJwt } from '../tokens/verify-access-token.js';

/** Who asks: an authenticated client at `/revoke`, or the operator through the admin API. */
export type RevocationCaller = { kind: 'client'; client: ClientRecord } | { kind: 'admin' };

/** What happened: `unknown` covers invalid, expired and unknown tokens alike. */
export type RevokeOutcome = 'revoked' | 'not_owner' | 'unknown';

export interface Revoker {
  /** True when the token has this kind's shape (a cheap syntactic check, no lookup). */
  accepts(token: string): boolean;
  revoke(token: string, caller: RevocationCaller): Promise<RevokeOutcome>;
}

/** Revokes with the first revoker that accepts the token; `unknown` when none does. */
export function revokeToken(
  token: string,
  caller: RevocationCaller,
  revokers: readonly Revoker[],
): Promise<RevokeOutcome> {
  for (const revoker of revokers) {
    if (revoker.accepts(token)) {
      return revoker.revoke(token, caller);
    }
  }
  return Promise.resolve('unknown');
}

function isOwner(caller: RevocationCaller, clientId: string): boolean {
  return caller.kind === 'admin' || caller.client.id === clientId;
}

function actorOf(caller: RevocationCaller): string {
  return caller.kind === 'admin' ? 'admin' : caller.client.id;
}

export interface RevokerDeps {
  revocations: Pick<Revocations, 'revoke'>;
  audit: Pick<AuditLog, 'record'>;
}

/** Tessera's JWT access tokens, by `jti` until `exp` (RFC 7009 §2, DESIGN §5). */
export function createJwtAccessTokenRevoker(deps: RevokerDeps & { verify: AccessTokenVerifier }): Revoker {
  return {
    accepts: looksLikeJwt,
    async revoke(token, caller) {
      const claims = await deps.verify(token);
      if (claims === undefined) {
        return 'unknown';
      }
      if (!isOwner(caller, claims.client_id)) {
        return 'not_owner';
      }
      await deps.revocations.revoke({ type: 'jti', value: claims.jti }, claims.exp);
      deps.audit.record({
        type: 'access_token.revoked',
        actor: actorOf(caller),
        subject: claims.jti,
        data: { client_id: claims.client_id, format: 'jwt' },
      });
      return 'revoked';
    },
  };
}

/** Opaque access tokens: marked revoked in the store and, by `jti`, on the denylist. */
export function createOpaqueAccessTokenRevoker(
  deps: RevokerDeps & {
    store: Pick<AccessTokenStore, 'findAccessToken' | 'revokeAccessToken'>;
    clock: Clock;
  },
): Revoker {
  return {
    accepts: (token) => token.startsWith('tsr_at_'),
    async revoke(token, caller) {
      if (parseSecret(token, 'at') === undefined) {
        return 'unknown';
      }
      const hash = hashSecret(token);
      const now = deps.clock.now();
      const record = await deps.store.findAccessToken(hash);
      if (record === undefined || record.expiresAt <= now) {
        return 'unknown';
      }
      if (!isOwner(caller, record.clientId)) {
        return 'not_owner';
      }
      if (record.revokedAt === null) {
        await deps.store.revokeAccessToken(hash, now);
        await deps.revocations.revoke({ type: 'jti', value: record.jti }, record.expiresAt);
        deps.audit.record({
          type: 'access_token.revoked',
          actor: actorOf(caller),
          subject: record.jti,
          data: { client_id: record.clientId, format: 'opaque' },
        });
      }
      return 'revoked';
    },
  };
}
