/**
 * `private_key_jwt` (RFC 7523 §2.2 and §3, RFC 7521 §4.2, OIDC Core §9): the client signs a JWT with
 * a key from its registered JWK Set (`jwks`) or `jwks_uri`, and sends it as `client_assertion`.
 *
 * Checked (RFC 7523 §3): `iss` = `sub` = client_id; `aud` names the issuer, the token endpoint or the
 * endpoint being called; `exp` present, not passed and not far in the future; `jti` present and
 * single-use (recorded in the replay store until `exp`); asymmetric algorithms only, so `alg: none`
 * and HMAC (a shared secret the server would have to hold) are refused. Any failure is
 * `invalid_client` (RFC 7521 §4.2.1).
 */
import { OAuthError } from '@tessera/protocol';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../../clock.js';
import type { ClientRecord, ReplayStore } from '../../store/ports.js';
import type { JwksFetch } from './jwks-uri-fetch.js';
import { singleParam } from './params.js';

/** RFC 7523 §2.2. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Accepted assertion algorithms: the ones discovery advertises, all asymmetric. */
export const ASSERTION_ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'PS256', 'ES384'] as const;

/** Longest accepted assertion lifetime from now: assertions are one-shot and short-lived. */
const MAX_ASSERTION_LIFETIME = 600;
/** Clock skew tolerated on `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE = 30;
const MAX_JTI_LENGTH = 256;

export interface PrivateKeyJwtDeps {
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  replay: Pick<ReplayStore, 'markOnce'>;
  clock: Clock;
  /** Audiences always accepted: the issuer and the token endpoint URL (RFC 7523 §3 item 3). */
  audiences: readonly string[];
  /** Options for `jwks_uri` fetches; `fetch` is the bounded, address-checked fetch (jwks-uri-fetch.ts). */
  remoteJwks?: RemoteJwksOptions;
}

export interface RemoteJwksOptions {
  timeoutMs?: number;
  cooldownMs?: number;
  maxAgeMs?: number;
  fetch?: JwksFetch;
}

export interface PrivateKeyJwtInput {
  body: Record<string, string | string[]>;
  /** The URL of the endpoint being called, also accepted as `aud`. */
  endpoint: string;
}

function refused(description: string, cause?: unknown): OAuthError {
  return OAuthError.invalidClient(description, cause === undefined ? undefined : { cause });
}

export function createPrivateKeyJwtAuthenticator(
  deps: PrivateKeyJwtDeps,
): (input: PrivateKeyJwtInput) => Promise<ClientRecord> {
  const localKeySets = new WeakMap<ClientRecord, JWTVerifyGetKey>();
  const remoteKeySets = new LRUCache<string, JWTVerifyGetKey>({ max: 1_000 });

  function keySetOf(client: ClientRecord): JWTVerifyGetKey | undefined {
    if (client.jwks !== null) {
      let keySet = localKeySets.get(client);
      if (keySet === undefined) {
        keySet = createLocalJWKSet(client.jwks as unknown as JSONWebKeySet);
        localKeySets.set(client, keySet);
      }
      return keySet;
    }
    if (client.jwksUri !== null) {
      // Keyed by id and URI: a changed jwks_uri gets a fresh cache.
      const cacheKey = `${client.id} ${client.jwksUri}`;
      let keySet = remoteKeySets.get(cacheKey);
      if (keySet === undefined) {
        keySet = createRemoteJWKSet(new URL(client.jwksUri), {
          timeoutDuration: deps.remoteJwks?.timeoutMs ?? 5_000,
          cooldownDuration: deps.remoteJwks?.cooldownMs ?? 30_000,
          cacheMaxAge: deps.remoteJwks?.maxAgeMs ?? 600_000,
          ...(deps.remoteJwks?.fetch === undefined ? {} : { [customFetch]: deps.remoteJwks.fetch }),
        });
        remoteKeySets.set(cacheKey, keySet);
      }
      return keySet;
    }
    return undefined;
  }

  function clientIdOf(body: Record<string, string | string[]>, assertion: string): string {
    const explicit = singleParam(body, 'client_id');
    if (explicit !== undefined) {
      return explicit;
    }
    let claims: JWTPayload;
    try {
      claims = decodeJwt(assertion);
    } catch (error) {
      throw refused('Client assertion is not a JWT', error);
    }
    // Only to find the client; the verified `iss` and `sub` must equal it below.
    if (typeof claims.sub !== 'string' || claims.sub.length === 0) {
      throw refused('Client assertion has no sub');
    }
    return claims.sub;
  }

  return async function authenticatePrivateKeyJwt(input) {
    const type = singleParam(input.body, 'client_assertion_type');
    const assertion = singleParam(input.body, 'client_assertion');
    if (type === undefined || assertion === undefined) {
      throw OAuthError.invalidRequest('client_assertion and client_assertion_type must be sent together');
    }
    if (type !== JWT_BEARER_ASSERTION_TYPE) {
      throw refused(`Unsupported client_assertion_type (expected ${JWT_BEARER_ASSERTION_TYPE})`);
    }
    const clientId = clientIdOf(input.body, assertion);
    const client = await deps.clients.get(clientId);
    if (client === undefined || client.disabled) {
      throw refused(
        'Client authentication failed',
        client === undefined ? 'unknown client' : 'client disabled',
      );
    }
    let keySet: JWTVerifyGetKey | undefined;
    try {
      keySet = keySetOf(client);
    } catch (error) {
      throw refused('Client authentication failed', error);
    }
    if (keySet === undefined) {
      throw refused('Client has no registered keys for private_key_jwt');
    }

    const now = deps.clock.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, keySet, {
        issuer: client.id,
        subject: client.id,
        audience: [...deps.audiences, input.endpoint],
        algorithms: [...ASSERTION_ALGORITHMS],
        requiredClaims: ['exp', 'jti'],
        currentDate: new Date(deps.clock.nowMs()),
        clockTolerance: CLOCK_TOLERANCE,
      }));
    } catch (error) {
      throw refused('Client assertion is invalid', error);
    }
    const { exp, jti } = payload;
    if (typeof exp !== 'number' || exp > now + MAX_ASSERTION_LIFETIME) {
      throw refused(`Client assertion exp must be within ${MAX_ASSERTION_LIFETIME} seconds`);
    }
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
      throw refused('Client assertion jti is missing or too long');
    }
    // RFC 7523 §3 item 7: a jti is accepted once, remembered until the assertion expires.
    const first = await deps.replay.markOnce(`pkjwt:${client.id}:${jti}`, exp + CLOCK_TOLERANCE, now);
    if (!first) {
      throw refused('Client assertion was already used (jti replay)');
    }
    return client;
  };
}
