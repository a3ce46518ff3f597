/**
 * Login sessions (OpenID Connect Core §2 `sid`): a row per login, revocable server-side (a stateless
 * cookie session could not be ended by logout, password change or an admin). The browser holds a
 * random secret; the store holds its SHA-256 only. Sessions slide (`sessionTtl` idle) within an
 * absolute `sessionMaxAge`. Ending a session revokes every token issued under it: its refresh-token
 * families, and through a `session` revocation (the tokens' `sid`) every access token, with or
 * without a refresh token, on this server and at every verifier (DESIGN §5).
 */
import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { hashSecret, newId } from '../ids.js';
import type {
  AccessTokenStore,
  RefreshTokenStore,
  SessionRecord,
  SessionStore,
  UserRecord,
  UserStore,
} from '../store/ports.js';
import type { Revocations } from '../tokens/revocations.js';
import { acrFor } from './authn/context.js';

export interface SessionService {
  /**
   * Starts a session for a person who just proved who they are; returns the cookie secret. `amr`
   * (RFC 8176 values, e.g. `['pwd']`, `['pwd', 'otp', 'mfa']`, `['hwk', 'user']`) is how; the
   * session's `acr` is derived from it by {@link acrFor}, and `auth_time` is now.
   */
  start(
    user: UserRecord,
    meta: { amr: string[]; userAgent: string | null; ip: string | null },
  ): Promise<{ secret: string; session: SessionRecord }>;
  /** The live session and its (enabled) user for a cookie secret, sliding its expiry. */
  resolve(secret: string | undefined): Promise<{ record: SessionRecord; user: UserRecord } | undefined>;
  /** Ends sessions and revokes their refresh tokens and the access tokens issued from them. */
  end(filter: { id?: string; userId?: string }, actor: string): Promise<string[]>;
}

export interface SessionServiceDeps {
  store: SessionStore &
    Pick<UserStore, 'findUser'> &
    Pick<RefreshTokenStore, 'revokeRefreshTokens'> &
    Pick<AccessTokenStore, 'revokeAccessTokensBy'>;
  revocations: Pick<Revocations, 'revoke'>;
  clock: Clock;
  audit: AuditLog;
  /** Idle lifetime, seconds. */
  ttl: number;
  /** Absolute lifetime, seconds. */
  maxAge: number;
  maxAccessTokenTtl: number;
}

/** Writing `lastSeenAt` on every page view would put a write on each request; once a minute is enough. */
const TOUCH_INTERVAL = 60;

export function createSessionService(deps: SessionServiceDeps): SessionService {
  const { store, clock } = deps;
  return {
    async start(user, meta) {
      const now = clock.now();
      const secret = randomBytes(32).toString('base64url');
      const session: SessionRecord = {
        id: newId('ses'),
        hash: hashSecret(secret),
        userId: user.id,
        authTime: now,
        amr: meta.amr,
        acr: acrFor(meta.amr),
        createdAt: now,
        lastSeenAt: now,
        expiresAt: Math.min(now + deps.ttl, now + deps.maxAge),
        userAgent: meta.userAgent === null ? null : meta.userAgent.slice(0, 256),
        ip: meta.ip,
      };
      await store.createSession(session);
      deps.audit.record({
        type: 'session.started',
        actor: user.id,
        subject: session.id,
        data: { amr: meta.amr, acr: session.acr },
      });
      return { secret, session };
    },

    async resolve(secret) {
      if (secret === undefined || secret.length === 0 || secret.length > 128) {
        return undefined;
      }
      const record = await store.findSessionByHash(hashSecret(secret));
      const now = clock.now();
      if (record === undefined || record.expiresAt <= now) {
        return undefined;
      }
      const user = await store.findUser(record.userId);
      // A session older than the user's last password change or disable is dead (belt and braces:
      // those also delete the sessions).
      if (user === undefined || user.disabled || record.authTime < user.tokensValidAfter) {
        return undefined;
      }
      if (now - record.lastSeenAt >= TOUCH_INTERVAL) {
        const expiresAt = Math.min(now + deps.ttl, record.createdAt + deps.maxAge);
        await store.touchSession(record.id, now, expiresAt);
        return { record: { ...record, lastSeenAt: now, expiresAt }, user };
      }
      return { record, user };
    },

    async end(filter, actor) {
      const now = clock.now();
      const ids = await store.deleteSessions(filter);
      for (const id of ids) {
        // Every access token of the session names it in `sid`: this one revocation reaches them all,
        // including sign-ins without offline_access, which have no refresh family.
        await deps.revocations.revoke({ type: 'session', value: id }, now + deps.maxAccessTokenTtl);
        const families = await store.revokeRefreshTokens({ sessionId: id }, now);
        for (const family of families) {
          await store.revokeAccessTokensBy({ grantId: family }, now);
          await deps.revocations.revoke({ type: 'family', value: family }, now + deps.maxAccessTokenTtl);
        }
        deps.audit.record({ type: 'session.ended', actor, subject: id, data: { families: families.length } });
      }
      return ids;
    },
  };
}
