/**
 * `GET /userinfo` and `POST /userinfo` (OpenID Connect Core §5.3): the claims of the person an
 * access token speaks for, by the token's scope (§5.4). The token is a Bearer token (RFC 6750 §2.1
 * header; §2.2 form body on POST, never both); errors carry an RFC 6750 §3 challenge. A token
 * without `openid` gets `insufficient_scope` (403).
 */
import { type AccessTokenClaims, OAuthError, parseScope, parseSecret } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import { hashSecret } from '../../ids.js';
import { userClaims } from '../../oauth/oidc/claims.js';
import type { AccessTokenStore, ClientRecord, UserStore } from '../../store/ports.js';
import type { Revocations } from '../../tokens/revocations.js';
import { type AccessTokenVerifier, looksLikeJwt } from '../../tokens/verify-access-token.js';
import { formOf } from '../plugins/form-body.js';
import type { CallerLimit } from '../plugins/rate-limit.js';

export interface UserinfoDeps {
  verifyAccessToken: AccessTokenVerifier;
  revocations: Pick<Revocations, 'isRevoked'>;
  store: Pick<AccessTokenStore, 'findAccessToken'> & Pick<UserStore, 'findUser'>;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  clock: Clock;
  /** Per caller: the access token's client, else the address. */
  limit: CallerLimit;
}

interface BearerFacts {
  subject: string;
  clientId: string;
  scope: string[];
  issuedAt: number;
}

function invalid(cause: string): OAuthError {
  return OAuthError.invalidToken('The access token is invalid, expired or revoked', { cause });
}

/** RFC 6750 §2: exactly one way of sending the token. */
function bearerOf(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const body = request.method === 'POST' ? formOf(request) : undefined;
  const inBody = body?.access_token;
  if (Array.isArray(inBody) || (header !== undefined && inBody !== undefined)) {
    throw OAuthError.invalidRequest(
      'Send the access token once, in the Authorization header or the form body',
    );
  }
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
    if (match?.[1] === undefined) {
      throw OAuthError.invalidRequest('Malformed Authorization header', { status: 401 });
    }
    return match[1];
  }
  if (typeof inBody === 'string' && inBody !== '') {
    return inBody;
  }
  throw OAuthError.invalidToken('An access token is required', { noCredentials: true });
}

export function registerUserinfo(app: FastifyInstance, deps: UserinfoDeps): void {
  async function factsOf(token: string): Promise<BearerFacts> {
    if (looksLikeJwt(token)) {
      const claims: AccessTokenClaims | undefined = await deps.verifyAccessToken(token);
      if (claims === undefined) {
        throw invalid('JWT does not verify');
      }
      const revoked = deps.revocations.isRevoked({
        jti: claims.jti,
        clientId: claims.client_id,
        subject: claims.sub,
        issuedAt: claims.iat,
        grantId: typeof claims.gid === 'string' ? claims.gid : null,
        sessionId: typeof claims.sid === 'string' ? claims.sid : null,
      });
      if (revoked) {
        throw invalid('revoked');
      }
      return {
        subject: claims.sub,
        clientId: claims.client_id,
        scope: parseScope(claims.scope),
        issuedAt: claims.iat,
      };
    }
    if (parseSecret(token, 'at') === undefined) {
      throw invalid('not a Tessera access token');
    }
    const record = await deps.store.findAccessToken(hashSecret(token));
    if (record === undefined || record.revokedAt !== null || record.expiresAt <= deps.clock.now()) {
      throw invalid('unknown, revoked or expired opaque token');
    }
    if (
      deps.revocations.isRevoked({
        jti: record.jti,
        clientId: record.clientId,
        subject: record.subject,
        issuedAt: record.issuedAt,
        grantId: record.grantId,
        sessionId: typeof record.claims.sid === 'string' ? record.claims.sid : null,
      })
    ) {
      throw invalid('revoked');
    }
    return {
      subject: record.subject,
      clientId: record.clientId,
      scope: record.scope,
      issuedAt: record.issuedAt,
    };
  }

  async function handleUserinfo(request: FastifyRequest, reply: FastifyReply) {
    const facts = await deps.limit.identify(
      request,
      reply,
      () => factsOf(bearerOf(request)),
      (known) => known.clientId,
    );
    const client = await deps.clients.get(facts.clientId);
    if (client === undefined || client.disabled) {
      throw invalid('client gone or disabled');
    }
    // OIDC Core §5.3.1: the token must have been issued with `openid`.
    if (!facts.scope.includes('openid')) {
      throw OAuthError.insufficientScope('The access token lacks the openid scope', { scope: 'openid' });
    }
    const user = facts.subject.startsWith('usr_') ? await deps.store.findUser(facts.subject) : undefined;
    if (user === undefined || user.disabled || facts.issuedAt < user.tokensValidAfter) {
      throw invalid('user gone, disabled or re-keyed');
    }
    return userClaims(user, facts.scope);
  }

  const options = {
    config: { challenge: 'bearer' as const },
    onRequest: (request: FastifyRequest, reply: FastifyReply) => deps.limit.screen(request, reply),
  };
  app.get('/userinfo', options, async (request, reply) => {
    const claims = await handleUserinfo(request, reply);
    return reply.header('cache-control', 'no-store').send(claims);
  });
  app.post('/userinfo', options, async (request, reply) => {
    const claims = await handleUserinfo(request, reply);
    return reply.header('cache-control', 'no-store').send(claims);
  });
}
