/**
 * Token introspection (RFC 7662): a list of {@link Introspector}s, one per token kind. The first
 * that accepts a token's shape answers; no taker means `{"active": false}` (§2.2). JWT and opaque
 * access tokens, API keys (`tsr_key_…`) and refresh tokens (`tsr_rt_…`) each have one; the
 * composition root lists them once, frozen.
 *
 * Every introspector answers `active: false` for anything expired, revoked, forged, malformed or
 * unknown, and never says which (§2.2: "the authorization server MUST NOT... disclose" why).
 * Who may see what (§2.1, §4: the endpoint "MUST also require some form of authorization", against
 * token scanning): a client may introspect the tokens issued to it; a client holding the `introspect`
 * permission (an API server) may introspect any token; `api_keys:verify` also covers API keys. For
 * anyone else the answer is `{"active": false}`, the same as for an unknown token.
 */
import type { AccessTokenClaims, IntrospectionResponse } from '@tessera/protocol';
import { parseSecret } from '@tessera/protocol';
import type { Clock } from '../clock.js';
import { hashSecret } from '../ids.js';
import type { AccessTokenStore, ClientRecord } from '../store/ports.js';
import { type Revocations, revocableJwt, revocableOpaque } from '../tokens/revocations.js';
import type { AccessTokenVerifier } from '../tokens/verify-access-token.js';
import { looksLikeJwt } from '../tokens/verify-access-token.js';

/** What the resource server said about the request the token came with (API keys use it). */
export interface IntrospectionContext {
  clientIp?: string | undefined;
  endpoint?: string | undefined;
}

export interface Introspector {
  /** True when the token has this kind's shape (a cheap syntactic check, no lookup). */
  accepts(token: string): boolean;
  introspect(
    token: string,
    caller: ClientRecord,
    context?: IntrospectionContext,
  ): Promise<IntrospectionResponse>;
}

export const INACTIVE: Readonly<IntrospectionResponse> = Object.freeze({ active: false });

/** Answers with the first introspector that accepts the token, else inactive. */
export async function introspectToken(
  token: string,
  caller: ClientRecord,
  introspectors: readonly Introspector[],
  context: IntrospectionContext = {},
): Promise<IntrospectionResponse> {
  const introspector = introspectors.find((candidate) => candidate.accepts(token));
  if (introspector === undefined) {
    return { active: false };
  }
  const response = await introspector.introspect(token, caller, context);
  return response.active && mayIntrospect(caller, response) ? response : { active: false };
}

function mayIntrospect(caller: ClientRecord, response: IntrospectionResponse): boolean {
  if (caller.permissions.includes('introspect') || response.client_id === caller.id) {
    return true;
  }
  return response.token_type === 'api_key' && caller.permissions.includes('api_keys:verify');
}

interface ClientLookup {
  get(id: string): Promise<ClientRecord | undefined>;
}

/** A token of a deleted or disabled client is no longer active anywhere Tessera decides. */
async function isClientActive(clients: ClientLookup, clientId: string): Promise<boolean> {
  const client = await clients.get(clientId);
  return client !== undefined && !client.disabled;
}

/** Tessera's JWT access tokens: verified locally, then the denylist (DESIGN §4). */
export function createJwtAccessTokenIntrospector(deps: {
  verify: AccessTokenVerifier;
  revocations: Pick<Revocations, 'isRevoked'>;
  clients: ClientLookup;
}): Introspector {
  const answers = createAnswerMemo();
  return {
    accepts: looksLikeJwt,
    async introspect(token) {
      const claims = await deps.verify(token);
      if (claims === undefined) {
        return { active: false };
      }
      const revoked = deps.revocations.isRevoked(revocableJwt(claims));
      if (revoked || !(await isClientActive(deps.clients, claims.client_id))) {
        return { active: false };
      }
      return answers(claims, () =>
        activeResponse(claims, typeof claims.gid === 'string' ? claims.gid : null),
      );
    },
  };
}

/**
 * The active answer made from one verified claims object (or stored row), built once: a token seen
 * before comes back as the very object the verifier (or the row cache) holds, so its answer is too.
 * Only ever consulted after the revocation and client checks of the request at hand; frozen, so
 * nobody can change what the next caller gets.
 */
function createAnswerMemo(): (source: object, make: () => IntrospectionResponse) => IntrospectionResponse {
  const answers = new WeakMap<object, IntrospectionResponse>();
  return (source, make) => {
    let answer = answers.get(source);
    if (answer === undefined) {
      answer = Object.freeze(make());
      answers.set(source, answer);
    }
    return answer;
  };
}

/**
 * RFC 7662 §2.2: the token's claims, plus `active` and `token_type` (RFC 6749 §7.1 type), and the
 * grant (refresh family) as `grant_id` (an RFC 7662 §2.2 extension member), so a resource server
 * that caches the answer can drop it when a `family` revocation arrives. Only a caller allowed to
 * introspect the token sees it (see {@link introspectToken}). A DPoP-bound token keeps its
 * `cnf.jkt` and is of type `DPoP` (RFC 9449 §6.2), so the resource server checks the proof's key.
 */
function activeResponse(claims: AccessTokenClaims, grantId: string | null): IntrospectionResponse {
  return {
    ...claims,
    active: true,
    token_type: boundJkt(claims) === undefined ? 'Bearer' : 'DPoP',
    ...(grantId === null ? {} : { grant_id: grantId }),
  };
}

/** RFC 9449 §6: the `cnf.jkt` a token is bound to, if any. */
export function boundJkt(claims: Record<string, unknown>): string | undefined {
  const cnf = claims.cnf;
  if (typeof cnf !== 'object' || cnf === null) {
    return undefined;
  }
  const jkt = (cnf as Record<string, unknown>).jkt;
  return typeof jkt === 'string' ? jkt : undefined;
}

/** Opaque access tokens (`tsr_at_…`): checksum first, then one lookup by SHA-256. */
export function createOpaqueAccessTokenIntrospector(deps: {
  issuer: string;
  store: Pick<AccessTokenStore, 'findAccessToken'>;
  revocations: Pick<Revocations, 'isRevoked'>;
  clients: ClientLookup;
  clock: Clock;
}): Introspector {
  const answers = createAnswerMemo();
  return {
    accepts: (token) => token.startsWith('tsr_at_'),
    async introspect(token) {
      if (parseSecret(token, 'at') === undefined) {
        return { active: false };
      }
      const record = await deps.store.findAccessToken(hashSecret(token));
      if (record === undefined || record.revokedAt !== null || record.expiresAt <= deps.clock.now()) {
        return { active: false };
      }
      const revoked = deps.revocations.isRevoked(revocableOpaque(record));
      if (revoked || !(await isClientActive(deps.clients, record.clientId))) {
        return { active: false };
      }
      return answers(record, () =>
        activeResponse(
          {
            ...record.claims,
            iss: deps.issuer,
            sub: record.subject,
            aud: record.audience.length === 1 ? (record.audience[0] as string) : record.audience,
            client_id: record.clientId,
            scope: record.scope.join(' '),
            iat: record.issuedAt,
            exp: record.expiresAt,
            jti: record.jti,
          },
          record.grantId,
        ),
      );
    },
  };
}
