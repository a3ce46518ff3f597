/**
 * ID tokens (OpenID Connect Core §2, §3.1.3.6): signed with the keyring's current key for the
 * configured algorithm (RS256 by default, §3.1.3.7 "the default, if omitted, is RS256"), for the
 * client (`aud` and `azp` = client_id), with `nonce`, `auth_time`, `acr`, `amr`, `sid` and
 * `at_hash` when an access token is issued with it.
 */
import { hash } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Keyring } from '../../keys/keyring.js';
import type { ClientRecord, SigningAlgorithm, UserRecord } from '../../store/ports.js';
import { createCompactJwsSigner } from '../../tokens/compact-jws.js';
import { userClaims } from './claims.js';
import type { SubjectClient, SubjectOf } from './pairwise.js';

/**
 * The algorithms ID tokens can be signed with: `oidc.idTokenAlgorithm` (the default) and the
 * access-token algorithm, the keys the keyring holds anyway. All of them are advertised in
 * `id_token_signing_alg_values_supported`, so a client may pick one with
 * `id_token_signed_response_alg` (OIDC Registration §2), and resource-server libraries that take
 * their accepted algorithms from that list (e.g. express-oauth2-jwt-bearer) accept access tokens.
 */
export function idTokenAlgorithms(config: {
  oidc: { idTokenAlgorithm: SigningAlgorithm };
  keys: { algorithm: SigningAlgorithm };
}): SigningAlgorithm[] {
  return [...new Set([config.oidc.idTokenAlgorithm, config.keys.algorithm])];
}

export interface IdTokenInput {
  /** `aud`/`azp`, the `id_token_signed_response_alg` (null: the server default) and its `sub` (§8). */
  client: SubjectClient & Pick<ClientRecord, 'id' | 'idTokenSignedResponseAlg'>;
  user: UserRecord;
  scope: readonly string[];
  nonce: string | null;
  authTime: number;
  amr: readonly string[];
  acr: string | null;
  sessionId: string | null;
  accessToken: string;
  /** The pairwise `sub` the person chose for this client, if any (users/subject-choices.ts). */
  chosenSubject?: string | undefined;
}

export interface IdTokenIssuer {
  readonly algorithm: SigningAlgorithm;
  issue(input: IdTokenInput): Promise<string>;
}

export interface IdTokenIssuerDeps {
  issuer: string;
  keyring: Pick<Keyring, 'current'>;
  clock: Clock;
  algorithm: SigningAlgorithm;
  ttl: number;
  /** The `sub` the client sees (OIDC Core §8: public or pairwise). */
  subjectOf: SubjectOf;
}

/**
 * OIDC Core §3.1.3.6: the left-most half of the hash of the access token's ASCII octets, with the
 * hash of the ID token's `alg` (SHA-256 for RS256/ES256; SHA-512 for EdDSA over Ed25519, as
 * OpenID Connect's EdDSA registration specifies), base64url-encoded.
 */
export function computeAtHash(accessToken: string, alg: SigningAlgorithm): string {
  // One-shot `crypto.hash` (no Hash object); the token is ASCII, so its UTF-8 octets are the same.
  const digest = hash(alg === 'EdDSA' ? 'sha512' : 'sha256', accessToken, 'buffer');
  return digest.toString('base64url', 0, digest.length / 2);
}

export function createIdTokenIssuer(deps: IdTokenIssuerDeps): IdTokenIssuer {
  // Synchronous node:crypto signing, as for access tokens (compact-jws.ts); `typ: JWT`.
  const signCompact = createCompactJwsSigner('JWT');
  return {
    algorithm: deps.algorithm,
    async issue(input) {
      const key = deps.keyring.current(input.client.idTokenSignedResponseAlg ?? deps.algorithm);
      const now = deps.clock.now();
      // OIDC Core §2: iss, sub, aud (the client), exp, iat; then the optional members below.
      // Added one by one to the claims object (same members, same order as before): an object
      // literal that spread the claims and then named eight more took V8's slow path, ~8 µs here
      // against ~0.5 µs, more than the rest of the ID token but its signature (docs/performance.md).
      const payload = userClaims(input.user, input.scope);
      payload.auth_time = input.authTime;
      payload.azp = input.client.id;
      payload.at_hash = computeAtHash(input.accessToken, key.alg);
      payload.iss = deps.issuer;
      // §8: the `sub` this client sees replaces the account id `userClaims` starts with.
      payload.sub = deps.subjectOf(input.client, input.user.id, input.chosenSubject);
      payload.aud = input.client.id;
      payload.iat = now;
      payload.exp = now + deps.ttl;
      if (input.nonce !== null) {
        payload.nonce = input.nonce;
      }
      if (input.acr !== null) {
        payload.acr = input.acr;
      }
      if (input.amr.length > 0) {
        payload.amr = [...input.amr];
      }
      if (input.sessionId !== null) {
        payload.sid = input.sessionId;
      }
      return signCompact(key, payload);
    },
  };
}
