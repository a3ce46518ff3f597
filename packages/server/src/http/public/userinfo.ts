/**
 * `GET /userinfo` and `POST /userinfo` (OpenID Connect Core §5.3): the claims of the person an
 * access token speaks for, by the token's scope (§5.4). The token is a Bearer token (RFC 6750 §2.1
 * header; §2.2 form body on POST, never both); errors carry an RFC 6750 §3 challenge. A token
 * without `openid` gets `insufficient_scope` (403). A DPoP-bound token (RFC 9449 §7) comes with
 * the `DPoP` scheme and a proof by its key for this method and URL; sent as Bearer it is refused.
 */
import { type AccessTokenClaims, isOAuthError, OAuthError, parseScope, parseSecret } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import { hashSecret } from '../../ids.js';
import type { DpopProofValidator } from '../../oauth/dpop/proof-validator.js';
import { boundJkt } from '../../oauth/introspection.js';
import { userClaims } from '../../oauth/oidc/claims.js';
import type { SubjectOf } from '../../oauth/oidc/pairwise.js';
import type { AccessTokenStore, ClientRecord, SubjectChoiceStore, UserStore } from '../../store/ports.js';
import { type Revocations, revocableJwt, revocableOpaque } from '../../tokens/revocations.js';
import { type AccessTokenVerifier, looksLikeJwt } from '../../tokens/verify-access-token.js';
import { formOf } from '../plugins/form-body.js';
import { type CallerLimit, checkHook } from '../plugins/rate-limit.js';

export interface UserinfoDeps {
  verifyAccessToken: AccessTokenVerifier;
  revocations: Pick<Revocations, 'isRevoked'>;
  store: Pick<AccessTokenStore, 'findAccessToken'> &
    Pick<UserStore, 'findUser'> &
    Pick<SubjectChoiceStore, 'findSubjectChoiceBySubject'>;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  clock: Clock;
  /** Per caller: the access token's client, else the address. */
  limit: CallerLimit;
  issuer: string;
  dpop: DpopProofValidator;
  /** OIDC Core §8: the `sub` this token's client sees, as in its ID tokens. */
  subjectOf: SubjectOf;
}

interface BearerFacts {
  subject: string;
  clientId: string;
  scope: string[];
  issuedAt: number;
  /** RFC 9449 §6: the key the token is bound to. */
  jkt: string | undefined;
}

interface PresentedToken {
  token: string;
  /** The `DPoP` authorization scheme (RFC 9449 §7.1) rather than Bearer. */
  dpop: boolean;
}

function invalid(cause: string): OAuthError {
  return OAuthError.invalidToken('The access token is invalid, expired or revoked', { cause });
}

/** RFC 6750 §2: exactly one way of sending the token. */
function bearerOf(request: FastifyRequest): PresentedToken {
  const header = request.headers.authorization;
  const body = request.method === 'POST' ? formOf(request) : undefined;
  const inBody = body?.access_token;
  if (Array.isArray(inBody) || (header !== undefined && inBody !== undefined)) {
    throw OAuthError.invalidRequest(
      'Send the access token once, in the Authorization header or the form body',
    );
  }
  if (header !== undefined) {
    // RFC 6750 §3.1: another scheme is no credential at all (401 without an error code); a Bearer
    // or DPoP credential that does not parse is invalid_request, 400.
    if (!/^(?:Bearer|DPoP)(?: |$)/i.test(header)) {
      throw OAuthError.invalidToken('An access token is required', { noCredentials: true });
    }
    const match = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
    if (match?.[2] === undefined) {
      throw OAuthError.invalidRequest('Malformed Authorization header');
    }
    return { token: match[2], dpop: match[1]?.toLowerCase() === 'dpop' };
  }
  if (typeof inBody === 'string' && inBody !== '') {
    return { token: inBody, dpop: false };
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
      const revoked = deps.revocations.isRevoked(revocableJwt(claims));
      if (revoked) {
        throw invalid('revoked');
      }
      return {
        subject: claims.sub,
        clientId: claims.client_id,
        scope: parseScope(claims.scope),
        issuedAt: claims.iat,
        jkt: boundJkt(claims),
      };
    }
    if (parseSecret(token, 'at') === undefined) {
      throw invalid('not a Tessera access token');
    }
    const record = await deps.store.findAccessToken(hashSecret(token));
    if (record === undefined || record.revokedAt !== null || record.expiresAt <= deps.clock.now()) {
      throw invalid('unknown, revoked or expired opaque token');
    }
    if (deps.revocations.isRevoked(revocableOpaque(record))) {
      throw invalid('revoked');
    }
    return {
      subject: record.subject,
      clientId: record.clientId,
      scope: record.scope,
      issuedAt: record.issuedAt,
      jkt: boundJkt(record.claims),
    };
  }

  /** RFC 9449 §7.1/§7.2: a bound token needs the DPoP scheme and a proof by its key. */
  async function checkBinding(request: FastifyRequest, presented: PresentedToken, facts: BearerFacts) {
    if (facts.jkt === undefined) {
      if (presented.dpop) {
        throw invalid('unbound token sent with the DPoP scheme');
      }
      return;
    }
    if (!presented.dpop) {
      throw invalid('DPoP-bound token sent as Bearer');
    }
    let proof: { jkt: string } | undefined;
    try {
      proof = await deps.dpop.validate({
        header: request.headers.dpop,
        method: request.method,
        url: `${deps.issuer}/userinfo`,
        accessToken: presented.token,
      });
    } catch (error) {
      // RFC 9449 §7.1 and §9: at a protected resource, proof problems are 401s.
      throw isOAuthError(error)
        ? new OAuthError(error.code, error.description, { status: 401, cause: error.cause })
        : error;
    }
    if (proof === undefined) {
      throw OAuthError.invalidDpopProof('A DPoP-bound token needs a DPoP proof', { status: 401 });
    }
    if (proof.jkt !== facts.jkt) {
      throw OAuthError.invalidDpopProof('The DPoP proof key is not the key the token is bound to', {
        status: 401,
      });
    }
  }

  async function handleUserinfo(request: FastifyRequest, reply: FastifyReply) {
    if (deps.dpop.nonces !== undefined) {
      reply.header('dpop-nonce', deps.dpop.nonces.current());
    }
    const facts = await deps.limit.identify(
      request,
      reply,
      async () => {
        const presented = bearerOf(request);
        const found = await factsOf(presented.token);
        await checkBinding(request, presented, found);
        return found;
      },
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
    // The token names the person by their id (`usr_…`, or the `did:pkh:…` of a wallet sign-up), or
    // by the pairwise `sub` they chose for this client.
    const chosen = facts.subject.startsWith('usr_')
      ? undefined
      : await deps.store.findSubjectChoiceBySubject(client.id, facts.subject);
    const user = await deps.store.findUser(chosen?.userId ?? facts.subject);
    if (user === undefined || user.disabled || facts.issuedAt < user.tokensValidAfter) {
      throw invalid('user gone, disabled or re-keyed');
    }
    // OIDC Core §5.3.2: this `sub` must equal the ID token's, so it is the client's view (§8).
    return { ...userClaims(user, facts.scope), sub: deps.subjectOf(client, user.id, chosen?.subject) };
  }

  const options = {
    config: { challenge: 'bearer' as const },
    onRequest: checkHook((request, reply) => deps.limit.screen(request, reply)),
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
