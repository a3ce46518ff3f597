/**
 * `POST /admin/tokens/revoke`: the operator's revocation (`tessera tokens revoke`). The JSON body
 * names exactly one of:
 * - `{"token": "…"}`: a JWT or opaque access token this server issued (any owner);
 * - `{"jti": "…", "expires_at": 1700000000}`: a token id, kept on the denylist until `expires_at`
 *   (default: now + tokens.maxAccessTokenTtl, when every token with that id has expired);
 * - `{"client_id": "cli_…"}`: every access token the client holds now (issued at or before this
 *   second), for tokens.maxAccessTokenTtl.
 * Each is one revocation event on the bus (DESIGN §5) and an audit event.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import { type Revoker, revokeToken } from '../../oauth/revocation.js';
import type { AccessTokenStore } from '../../store/ports.js';
import type { Revocations } from '../../tokens/revocations.js';

export interface TokenAdminRoutesDeps {
  revokers: readonly Revoker[];
  revocations: Pick<Revocations, 'revoke'>;
  store: Pick<AccessTokenStore, 'revokeAccessTokensBy'>;
  clock: Clock;
  audit: Pick<AuditLog, 'record'>;
  /** Seconds: the longest any access token lives (tokens.maxAccessTokenTtl). */
  maxAccessTokenTtl: number;
}

const MAX_ID_LENGTH = 256;

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined) {
    return undefined;
  }
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > (name === 'token' ? 16_384 : MAX_ID_LENGTH)
  ) {
    throw OAuthError.invalidRequest(`${name} must be a non-empty string`);
  }
  return value;
}

export function registerTokenAdminRoutes(app: FastifyInstance, deps: TokenAdminRoutesDeps): void {
  app.post('/tokens/revoke', async (request) => {
    const raw = request.body;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw OAuthError.invalidRequest('Body must be a JSON object with token, jti or client_id');
    }
    const body = raw as Record<string, unknown>;
    const unknown = Object.keys(body).filter((k) => !['token', 'jti', 'expires_at', 'client_id'].includes(k));
    if (unknown.length > 0) {
      throw OAuthError.invalidRequest(`Unknown field: ${unknown.join(', ')}`);
    }
    const token = stringField(body, 'token');
    const jti = stringField(body, 'jti');
    const clientId = stringField(body, 'client_id');
    if ([token, jti, clientId].filter((v) => v !== undefined).length !== 1) {
      throw OAuthError.invalidRequest('Give exactly one of token, jti or client_id');
    }
    if (body.expires_at !== undefined && jti === undefined) {
      throw OAuthError.invalidRequest('expires_at goes with jti only');
    }
    const now = deps.clock.now();
    const horizon = now + deps.maxAccessTokenTtl;

    if (token !== undefined) {
      const outcome = await revokeToken(token, { kind: 'admin' }, deps.revokers);
      if (outcome !== 'revoked') {
        throw OAuthError.notFound('Not an unexpired access token issued by this server');
      }
      return { revoked: 'token' };
    }

    if (jti !== undefined) {
      const expiresAt = body.expires_at ?? horizon;
      if (typeof expiresAt !== 'number' || !Number.isInteger(expiresAt) || expiresAt <= now) {
        throw OAuthError.invalidRequest(
          'expires_at must be a time in the future, in seconds since the epoch',
        );
      }
      const event = await deps.revocations.revoke({ type: 'jti', value: jti }, expiresAt);
      deps.audit.record({
        type: 'access_token.revoked',
        actor: 'admin',
        subject: jti,
        data: { by: 'jti' },
        requestId: request.id,
      });
      return { revoked: 'jti', jti, expires_at: event.expiresAt };
    }

    const client = clientId as string;
    const event = await deps.revocations.revoke({ type: 'client', value: client }, horizon);
    const opaque = await deps.store.revokeAccessTokensBy({ clientId: client }, now);
    deps.audit.record({
      type: 'client.tokens_revoked',
      actor: 'admin',
      subject: client,
      data: { opaque_tokens: opaque },
      requestId: request.id,
    });
    return { revoked: 'client', client_id: client, revoked_at: event.revokedAt, expires_at: event.expiresAt };
  });
}
