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
import type { AccessTokenRecord, AccessTokenStore, ClientRecord } from '../store/ports.js';
import { NOT_CACHED as OPAQUE_NOT_CACHED } from '../tokens/opaque-access-token-cache.js';
import { type Revocations, revocableJwt, revocableOpaque } from '../tokens/revocations.js';
import type { AccessTokenVerifier } from '../tokens/verify-access-token.js';
import { looksLikeJwt } from '../tokens/verify-access-token.js';
import { NOT_CACHED } from './client-registry.js';

/** What the resource server said about the request the token came with (API keys use it). */
export interface IntrospectionContext {
  clientIp?: string | undefined;
  endpoint?: string | undefined;
}

export interface Introspector {
  /** True when the token has this kind's shape (a cheap syntactic check, no lookup). */
  accepts(token: string): boolean;
  /** The answer; without a promise when everything it needs is in memory (a token seen before). */
  introspect(
    token: string,
    caller: ClientRecord,
    context?: IntrospectionContext,
  ): IntrospectionResponse | Promise<IntrospectionResponse>;
}

export const INACTIVE: Readonly<IntrospectionResponse> = Object.freeze({ active: false });

/**
 * Answers with the first introspector that accepts the token, else inactive. Without a promise when
 * the introspector answers without one; a failure is then thrown, else rejected.
 */
export function introspectToken(
  token: string,
  caller: ClientRecord,
  introspectors: readonly Introspector[],
  context: IntrospectionContext = {},
): IntrospectionResponse | Promise<IntrospectionResponse> {
  const introspector = introspectors.find((candidate) => candidate.accepts(token));
  if (introspector === undefined) {
    return { active: false };
  }
  const response = introspector.introspect(token, caller, context);
  return response instanceof Promise
    ? response.then((answer) => shownTo(caller, answer))
    : shownTo(caller, response);
}

/** The answer as this caller may see it (§4): inactive for a token it may not introspect. */
function shownTo(caller: ClientRecord, response: IntrospectionResponse): IntrospectionResponse {
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
  /** What `get` would answer from memory, or {@link NOT_CACHED} (the client registry's peek). */
  peek?(id: string): ClientRecord | undefined | typeof NOT_CACHED;
}

/**
 * A token of a deleted or disabled client is no longer active anywhere Tessera decides. From memory
 * without a promise when the registry holds the client (or knows it unknown).
 */
function isClientActive(clients: ClientLookup, clientId: string): boolean | Promise<boolean> {
  const known = clients.peek?.(clientId) ?? NOT_CACHED;
  if (known !== NOT_CACHED) {
    return known !== undefined && !known.disabled;
  }
  return clients.get(clientId).then((client) => client !== undefined && !client.disabled);
}

/** `then` for a value that may be a promise: `next` runs at once on a plain value. */
function andThen<T, U>(value: T | Promise<T>, next: (value: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** Tessera's JWT access tokens: verified locally, then the denylist (DESIGN §4). */
export function createJwtAccessTokenIntrospector(deps: {
  verify: AccessTokenVerifier;
  revocations: Pick<Revocations, 'isRevoked'>;
  clients: ClientLookup;
}): Introspector {
  const answers = createAnswerMemo();
  /** The verified token's answer: the denylist, then its client, then the answer built once. */
  function answerFor(
    claims: AccessTokenClaims | undefined,
  ): IntrospectionResponse | Promise<IntrospectionResponse> {
    if (claims === undefined || deps.revocations.isRevoked(revocableJwt(claims))) {
      return { active: false };
    }
    return andThen(isClientActive(deps.clients, claims.client_id), (active) =>
      active
        ? answers(claims, () => activeResponse(claims, typeof claims.gid === 'string' ? claims.gid : null))
        : { active: false },
    );
  }
  return {
    accepts: looksLikeJwt,
    introspect(token) {
      return andThen(deps.verify(token), answerFor);
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
  /** With `peek` (the row cache), a row in memory is answered without a promise. */
  store: Pick<AccessTokenStore, 'findAccessToken'> & {
    peek?(hash: string): AccessTokenRecord | typeof OPAQUE_NOT_CACHED;
  };
  revocations: Pick<Revocations, 'isRevoked'>;
  clients: ClientLookup;
  clock: Clock;
}): Introspector {
  const answers = createAnswerMemo();
  /** The row's answer: revoked or expired, the denylist, its client, then the answer built once. */
  function answerFor(
    record: AccessTokenRecord | undefined,
  ): IntrospectionResponse | Promise<IntrospectionResponse> {
    if (
      record === undefined ||
      record.revokedAt !== null ||
      record.expiresAt <= deps.clock.now() ||
      deps.revocations.isRevoked(revocableOpaque(record))
    ) {
      return { active: false };
    }
    return andThen(isClientActive(deps.clients, record.clientId), (active) =>
      active ? activeOf(record) : { active: false },
    );
  }
  function activeOf(record: AccessTokenRecord): IntrospectionResponse {
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
  }
  return {
    accepts: (token) => token.startsWith('tsr_at_'),
    introspect(token) {
      if (parseSecret(token, 'at') === undefined) {
        return { active: false };
      }
      const hash = hashSecret(token);
      const known = deps.store.peek?.(hash) ?? OPAQUE_NOT_CACHED;
      return known === OPAQUE_NOT_CACHED
        ? deps.store.findAccessToken(hash).then(answerFor)
        : answerFor(known);
    },
  };
}
