/**
 * Storage ports: one interface per aggregate, speaking the domain rather than CRUD (STYLE §9.5).
 *
 * Rules every adapter keeps (the contract suites in `contract/` hold them to it):
 * - times are whole seconds since the Unix epoch;
 * - `findX` returns `undefined` when absent; writes to an absent row throw {@link NotFoundError};
 * - no port ever sees a raw secret: lookups take the SHA-256 (base64url) of the presented value;
 * - security-relevant writes are single atomic verbs (`consume`, `rotate`, `revokeFamily`).
 */
import type { RevocationEvent, RevocationTarget } from '@tessera/protocol';

/** Thrown by a store when a write targets a row that does not exist. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** Thrown by a store when a write would break a uniqueness rule (e.g. a taken username). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** A page of results; `next` is an opaque cursor for the following page. */
export interface Page<T> {
  items: T[];
  next?: string;
}

export interface PageOptions {
  limit?: number;
  cursor?: string;
}

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

export type TokenEndpointAuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt'
  | 'none';

/** One client secret, stored as its SHA-256. `expiresAt` is set when it was rotated away. */
export interface ClientSecretRecord {
  hash: string;
  /** Display start (first characters after the prefix). */
  start: string;
  createdAt: number;
  expiresAt: number | null;
}

/** OIDC Core §8: what a client sees as the person's `sub`. */
export type SubjectType = 'public' | 'pairwise';

export interface ClientRecord {
  /** `cli_…` */
  id: string;
  name: string;
  grantTypes: string[];
  /** Scopes the client may be granted. */
  scope: string[];
  /** Scopes granted when a request names none; empty means "all of `scope`". */
  defaultScope: string[];
  /** Audiences (RFC 8707 resources) the client may ask for; the first is the default. */
  audiences: string[];
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  tokenFormat: 'jwt' | 'opaque';
  /** Seconds; null for the server default. */
  accessTokenTtl: number | null;
  /** Static claims added to every access token (never overriding registered claims). */
  metadata: Record<string, unknown>;
  /** A JWK Set (RFC 7517) for private_key_jwt, or null. */
  jwks: { keys: Record<string, unknown>[] } | null;
  jwksUri: string | null;
  /** OIDC Registration §2 `id_token_signed_response_alg`; null for the server's `oidc.idTokenAlgorithm`. */
  idTokenSignedResponseAlg: SigningAlgorithm | null;
  /**
   * OIDC Core §8 `subject_type`: `public` shows every client the user id as `sub`; `pairwise` shows
   * each sector (§8.1) its own `sub` in ID tokens, userinfo and ID token hints.
   */
  subjectType: SubjectType;
  /** OIDC Registration §5 `sector_identifier_uri`: its host is the pairwise sector; null: the redirect URIs' host. */
  sectorIdentifierUri: string | null;
  /** Skips the consent page. */
  firstParty: boolean;
  /** RFC 9449 §5.2 `dpop_bound_access_tokens`: token requests without a DPoP proof are refused. */
  dpopBoundAccessTokens: boolean;
  /** Every sign-in for this client needs a second factor (acr `urn:tessera:acr:mfa` or stronger). */
  requireMfa: boolean;
  /** Tessera permissions beyond OAuth scopes, e.g. `revocations:stream`, `api_keys:verify`. */
  permissions: string[];
  disabled: boolean;
  secrets: ClientSecretRecord[];
  createdAt: number;
  updatedAt: number;
  /**
   * Set on a client known by what its id names rather than registered: `did` for a DID client,
   * `metadata_document` for a Client ID Metadata Document. Such a client is bounded by the
   * unregistered-client policy (`clients.unregistered*`). A stored row with a source only anchors
   * the client's codes, consents and refresh tokens (and a block); its metadata is resolved anew.
   */
  source?: 'did' | 'metadata_document';
  /**
   * SHA-256 of the registration access token (RFC 7592 §3) of a dynamically registered client;
   * absent for clients an admin created.
   */
  registrationTokenHash?: string;
}

export type NewClient = Omit<
  ClientRecord,
  'createdAt' | 'updatedAt' | 'dpopBoundAccessTokens' | 'subjectType' | 'sectorIdentifierUri'
> & {
  /** False when absent. */
  dpopBoundAccessTokens?: boolean;
  /** `public` when absent. */
  subjectType?: SubjectType;
  /** Null when absent. */
  sectorIdentifierUri?: string | null;
};
export type ClientPatch = Partial<
  Omit<ClientRecord, 'id' | 'secrets' | 'createdAt' | 'updatedAt' | 'source'>
>;

export interface ClientStore {
  createClient(client: NewClient, now: number): Promise<ClientRecord>;
  findClient(id: string): Promise<ClientRecord | undefined>;
  listClients(options?: PageOptions): Promise<Page<ClientRecord>>;
  countClients(): Promise<number>;
  updateClient(id: string, patch: ClientPatch, now: number): Promise<ClientRecord>;
  /** Deletes the client and everything it owns (secrets, codes, refresh tokens, opaque tokens). */
  deleteClient(id: string): Promise<void>;
  /**
   * Atomically adds `secret` and sets `expiresAt = oldSecretsExpireAt` on every other secret that
   * has no earlier expiry. Secrets that have expired before `now` are deleted.
   */
  rotateClientSecret(
    id: string,
    secret: ClientSecretRecord,
    oldSecretsExpireAt: number,
    now: number,
  ): Promise<ClientRecord>;
}

// ---------------------------------------------------------------------------------------------
// Signing keys
// ---------------------------------------------------------------------------------------------

export type SigningAlgorithm = 'ES256' | 'EdDSA' | 'RS256';

export interface SigningKeyRecord {
  kid: string;
  alg: SigningAlgorithm;
  /** Public JWK (no private members), as published in the JWKS. */
  publicJwk: Record<string, unknown>;
  /** The private JWK sealed with the master key (see keys/seal.ts). */
  sealedPrivateKey: string;
  /** Id of the master key that sealed it (`masterKeyIdOf`); null for keys sealed before ids existed. */
  masterKeyId: string | null;
  createdAt: number;
  /** The key signs from this time on (it is published before, so verifiers know it). */
  activatesAt: number;
  /** Set when a newer key took over; the key stops signing then. */
  retiredAt: number | null;
  /** The key leaves the JWKS after this time (every token it signed has expired). */
  expiresAt: number | null;
}

export interface SigningKeyStore {
  insertSigningKey(key: SigningKeyRecord): Promise<void>;
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /** Marks keys as retired (stop signing at `retiredAt`, leave the JWKS at `expiresAt`). */
  retireSigningKeys(kids: string[], retiredAt: number, expiresAt: number): Promise<void>;
  /** Deletes keys whose `expiresAt` has passed. */
  deleteExpiredSigningKeys(now: number): Promise<number>;
  /** Deletes one key (a pulled, compromised key: its sealed private part goes too); false if absent. */
  deleteSigningKey(kid: string): Promise<boolean>;
  /** Replaces a key's sealed private part (master-key rotation); false if the key is absent. */
  resealSigningKey(kid: string, sealedPrivateKey: string, masterKeyId: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Server secrets
// ---------------------------------------------------------------------------------------------

/** A server-wide secret (e.g. the pairwise subject key), sealed with the master key. */
export interface ServerSecretRecord {
  name: string;
  sealed: string;
  /** Id of the master key that sealed it (`masterKeyIdOf`). */
  masterKeyId: string;
}

export interface ServerSecretStore {
  /** Inserts the secret unless one of that name exists (the first node to start wins); true if inserted. */
  insertServerSecretIfAbsent(secret: ServerSecretRecord): Promise<boolean>;
  findServerSecret(name: string): Promise<ServerSecretRecord | undefined>;
  listServerSecrets(): Promise<ServerSecretRecord[]>;
  /** Replaces a secret's sealed value (master-key rotation). */
  resealServerSecret(secret: ServerSecretRecord): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Risk engine state
// ---------------------------------------------------------------------------------------------

/** A person's risk history as `@tessera/risk` encodes it, with its write counter. */
export interface RiskProfileRecord {
  userId: string;
  /** The profile codec's versioned string (the format version is inside it). */
  data: string;
  /** Optimistic-concurrency counter: 1 after the first write, +1 per write. */
  version: number;
  updatedAt: number;
}

export interface RiskStateStore {
  findRiskProfile(userId: string): Promise<RiskProfileRecord | undefined>;
  /**
   * Writes the history if the stored version is still `expectedVersion` (0: no row yet); the row
   * then has `expectedVersion + 1`. False when another node wrote first (re-read, re-apply, retry).
   */
  writeRiskProfile(
    userId: string,
    data: string,
    expectedVersion: number,
    updatedAt: number,
  ): Promise<boolean>;
  /** Erases the history; false when there was none. */
  deleteRiskProfile(userId: string): Promise<boolean>;
  /** Adds each delta to its key's sum (a missing key starts at 0), in one statement per 500 keys. */
  addRiskGlobals(deltas: Readonly<Record<string, number>>, updatedAt: number): Promise<void>;
  /** The sums, all of them or those updated at or after `since`. */
  listRiskGlobals(since?: number): Promise<Record<string, number>>;
  /**
   * Deletes sums whose key starts with `prefix` and that were last updated before `before` (the
   * velocity counters that decayed to nothing); at most `limit` when given.
   */
  purgeRiskGlobalsBefore(prefix: string, before: number, limit?: number): Promise<number>;
  /**
   * Deletes every history and every sum, then writes the given ones, in one transaction (a
   * retraining from the audit log); `profiles` of people who no longer exist are skipped. Returns the
   * histories written.
   */
  replaceRiskState(
    profiles: ReadonlyArray<{ userId: string; data: string }>,
    sums: Readonly<Record<string, number>>,
    updatedAt: number,
  ): Promise<number>;
}

/** A session's token-use state (continuous authentication), shared by every node. */
export interface SessionUsageRecord {
  sid: string;
  /** `@tessera/risk`'s session snapshot as JSON. */
  state: string;
  /** The use groups already scored into `state` and the action each led to, as JSON. */
  applied: string;
  /** Optimistic-concurrency counter: 1 after the first write, +1 per write. */
  version: number;
  /** The session's latest possible end (its absolute lifetime); purged after it. */
  expiresAt: number;
  updatedAt: number;
}

export interface SessionUsageStore {
  /** The records of these sessions (one statement; absent sessions have none). */
  findSessionUsage(sids: readonly string[]): Promise<SessionUsageRecord[]>;
  /**
   * Writes a session's record if the stored version is still `expectedVersion` (0: no row yet); the
   * row then has `expectedVersion + 1`. False when another node wrote first (re-read, re-score, retry).
   */
  writeSessionUsage(record: Omit<SessionUsageRecord, 'version'>, expectedVersion: number): Promise<boolean>;
  /**
   * Deletes records past `expiresAt` and records whose session is gone (ended, or purged as
   * expired); at most `limit` when given.
   */
  purgeEndedSessionUsage(now: number, limit?: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Admin API credentials
// ---------------------------------------------------------------------------------------------

export interface AdminTokenRecord {
  /** `adt_…`: shown in lists and audit events; never the credential. */
  id: string;
  name: string;
  /** Admin scopes (`clients:write`, `signing_keys:read`, `admin`, …). */
  scopes: string[];
  /** SHA-256 (base64url) of the `tsr_adm_…` token. */
  hash: string;
  /** Display start of the token, for recognising it. */
  start: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface AdminTokenStore {
  insertAdminToken(token: AdminTokenRecord): Promise<void>;
  findAdminTokenByHash(hash: string): Promise<AdminTokenRecord | undefined>;
  listAdminTokens(): Promise<AdminTokenRecord[]>;
  /** Marks the token revoked at `at`; false when absent or already revoked. */
  revokeAdminToken(id: string, at: number): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Revocations
// ---------------------------------------------------------------------------------------------

export interface RevocationStore {
  /** Records a revocation and returns it with its id (strictly increasing). */
  addRevocation(target: RevocationTarget, revokedAt: number, expiresAt: number): Promise<RevocationEvent>;
  /** Revocations still in force at `now` (expiresAt > now), oldest first. */
  listActiveRevocations(now: number): Promise<RevocationEvent[]>;
  /** Revocations with id > `afterId`, oldest first, at most `limit`. */
  listRevocationsSince(afterId: number, limit: number): Promise<RevocationEvent[]>;
  /** The highest revocation id recorded so far (0 when none): where a replay starts. */
  latestRevocationId(): Promise<number>;
  /** Deletes revocations past their horizon; at most `limit` rows when given (bounded batches). */
  purgeExpiredRevocations(now: number, limit?: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Opaque access tokens
// ---------------------------------------------------------------------------------------------

export interface AccessTokenRecord {
  hash: string;
  jti: string;
  clientId: string;
  subject: string;
  scope: string[];
  audience: string[];
  /** Extra claims to report at introspection (client metadata, OIDC session id …). */
  claims: Record<string, unknown>;
  /** The refresh-token family or authorization code it came from, for cascading revocation. */
  grantId: string | null;
  issuedAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export interface AccessTokenStore {
  insertAccessToken(token: AccessTokenRecord): Promise<void>;
  /**
   * Inserts every token in one statement, all or none (group commit: the opaque tokens of concurrent
   * requests share one durable write); `ConflictError` when any hash already exists.
   */
  insertAccessTokens(tokens: readonly AccessTokenRecord[]): Promise<void>;
  findAccessToken(hash: string): Promise<AccessTokenRecord | undefined>;
  /** Marks the token revoked; returns the record as it was, or undefined when unknown. */
  revokeAccessToken(hash: string, now: number): Promise<AccessTokenRecord | undefined>;
  revokeAccessTokensBy(
    filter: { clientId?: string; subject?: string; grantId?: string },
    now: number,
  ): Promise<number>;
  /** Deletes rows whose `expiresAt` has passed; at most `limit` when given. */
  purgeExpiredAccessTokens(now: number, limit?: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// API keys
// ---------------------------------------------------------------------------------------------

export interface RateLimitSpec {
  limit: number;
  /** Window length in seconds. */
  window: number;
  kind: 'fixed' | 'sliding';
}

/** What a key's anomalies lead to (docs/api-keys.md, "Anomalies"). */
export type ApiKeyAnomalyPolicy = 'off' | 'flag' | 'alert' | 'deny' | 'disable';

export const API_KEY_ANOMALY_POLICIES: readonly ApiKeyAnomalyPolicy[] = [
  'off',
  'flag',
  'alert',
  'deny',
  'disable',
];

/** Anomalies kept per key (the oldest go first). */
export const API_KEY_ANOMALIES_KEPT = 20;

/** An anomaly recorded on a key for its owner (policies `alert` and `disable`). */
export interface ApiKeyAnomalyRecord {
  /** Seconds since the epoch. */
  at: number;
  kind: 'new_asn' | 'new_country' | 'rate' | 'new_endpoint';
  /** The new ASN, country or endpoint; for `rate`, the rate per minute. */
  value: string;
  /** For `rate`: the key's own highest rate per minute. */
  baseline?: number;
  /** What the policy did: `alerted` (let through) or `disabled` (the key was disabled). */
  action: 'alerted' | 'disabled';
}

export interface ApiKeyRecord {
  /** `key_…` */
  id: string;
  hash: string;
  start: string;
  name: string;
  /** A client id (`cli_…`) or a user id (`usr_…`). */
  owner: string;
  scope: string[];
  audiences: string[];
  meta: Record<string, unknown>;
  rateLimit: RateLimitSpec | null;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
  disabled: boolean;
  revokedAt: number | null;
  /** Set on the old key when it was rotated ("rerolled"): the key this one was replaced by. */
  replacedBy: string | null;
  lastUsedAt: number | null;
  usageCount: number;
  /**
   * RFC 9449: the DPoP key thumbprint the key is bound to (set at creation only); a bound key is
   * accepted only with a proof by that key. Null for a plain key.
   */
  dpopJkt: string | null;
  anomalyPolicy: ApiKeyAnomalyPolicy;
  /** The usage profile `@tessera/risk` learned (a JSON snapshot), written with the batched usage. */
  usageProfile: string | null;
  /** Recorded anomalies, oldest first, at most {@link API_KEY_ANOMALIES_KEPT}. */
  anomalies: ApiKeyAnomalyRecord[];
  lastAnomalyAt: number | null;
  /** Anomalies recorded after this time are open alerts. */
  anomaliesAcknowledgedAt: number | null;
}

export type ApiKeyPatch = Partial<
  Pick<
    ApiKeyRecord,
    | 'name'
    | 'scope'
    | 'audiences'
    | 'meta'
    | 'rateLimit'
    | 'expiresAt'
    | 'disabled'
    | 'anomalyPolicy'
    | 'anomaliesAcknowledgedAt'
  >
>;

export interface ApiKeyUsage {
  id: string;
  /** 0 when the key was not used successfully in this batch (only anomalies to record). */
  lastUsedAt: number;
  /** Verifications since the previous batch. */
  count: number;
  /** The key's usage profile as of this batch (replaces the stored one; written only with a count). */
  profile?: string;
  /** Anomalies to append to the key's list (the list keeps the newest). */
  anomalies?: ApiKeyAnomalyRecord[];
}

export interface ApiKeyStore {
  insertApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  findApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** `anomalous`: only keys with open alerts (an anomaly after `anomaliesAcknowledgedAt`). */
  listApiKeys(filter: { owner?: string; anomalous?: boolean } & PageOptions): Promise<Page<ApiKeyRecord>>;
  countApiKeys(): Promise<number>;
  updateApiKey(id: string, patch: ApiKeyPatch, now: number): Promise<ApiKeyRecord>;
  revokeApiKey(id: string, now: number): Promise<ApiKeyRecord>;
  /** Atomically inserts `next` and sets the old key's expiry to `oldExpiresAt` and `replacedBy`. */
  rotateApiKey(id: string, next: ApiKeyRecord, oldExpiresAt: number): Promise<ApiKeyRecord>;
  /**
   * Batched last-used/usage writes, usage profiles and recorded anomalies: a few statements per
   * key, in one transaction.
   */
  touchApiKeys(batch: ApiKeyUsage[]): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Users, sessions and consent
// ---------------------------------------------------------------------------------------------

export interface UserRecord {
  /** `usr_…` */
  id: string;
  username: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  passwordHash: string;
  disabled: boolean;
  /** Tokens issued before this time are invalid (password change, disable). */
  tokensValidAfter: number;
  /** Set by an admin: every sign-in of this person needs a second factor. */
  mfaRequired: boolean;
  /** The admin scopes this person holds as an operator of the console; null: not an operator. */
  adminScopes: string[] | null;
  createdAt: number;
  updatedAt: number;
}

export type UserPatch = Partial<
  Pick<
    UserRecord,
    | 'username'
    | 'email'
    | 'emailVerified'
    | 'name'
    | 'passwordHash'
    | 'disabled'
    | 'tokensValidAfter'
    | 'mfaRequired'
    | 'adminScopes'
  >
>;

export interface UserStore {
  /** `mfaRequired` defaults to false, `adminScopes` to null. */
  createUser(
    user: Omit<UserRecord, 'createdAt' | 'updatedAt' | 'mfaRequired' | 'adminScopes'> & {
      mfaRequired?: boolean;
      adminScopes?: string[] | null;
    },
    now: number,
  ): Promise<UserRecord>;
  findUser(id: string): Promise<UserRecord | undefined>;
  findUserByUsername(username: string): Promise<UserRecord | undefined>;
  listUsers(options?: PageOptions): Promise<Page<UserRecord>>;
  updateUser(id: string, patch: UserPatch, now: number): Promise<UserRecord>;
  deleteUser(id: string): Promise<void>;
}

export interface SessionRecord {
  /** `ses_…`; the cookie carries a secret whose hash is `hash`. */
  id: string;
  hash: string;
  userId: string;
  authTime: number;
  amr: string[];
  acr: string | null;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
}

export interface SessionStore {
  createSession(session: SessionRecord): Promise<void>;
  findSessionByHash(hash: string): Promise<SessionRecord | undefined>;
  findSession(id: string): Promise<SessionRecord | undefined>;
  listSessions(filter: { userId?: string } & PageOptions): Promise<Page<SessionRecord>>;
  touchSession(id: string, lastSeenAt: number, expiresAt: number): Promise<void>;
  /** Deletes and returns the deleted session ids. */
  deleteSessions(filter: { id?: string; userId?: string }): Promise<string[]>;
  /**
   * Deletes sessions whose `expiresAt` has passed (nothing else ever removes them); at most `limit`
   * when given.
   */
  purgeExpiredSessions(now: number, limit?: number): Promise<number>;
}

/** A person's passkey (WebAuthn L3 §4 "public key credential source", as the RP keeps it). */
export interface PasskeyRecord {
  /** `pk_…` */
  id: string;
  userId: string;
  /** The credential id, base64url; unique across the server. */
  credentialId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The signature counter last seen (WebAuthn L3 §6.1.1); 0 for authenticators without one. */
  counter: number;
  transports: string[];
  /** The BE flag: a multi-device (syncable) credential. */
  backupEligible: boolean;
  /** The BS flag as last seen. */
  backedUp: boolean;
  aaguid: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface PasskeyStore {
  /** Throws {@link ConflictError} when the credential id is already registered. */
  insertPasskey(passkey: PasskeyRecord): Promise<void>;
  /** A user's passkeys, oldest first (bounded by what registration allows per person). */
  listPasskeys(userId: string): Promise<PasskeyRecord[]>;
  findPasskeyByCredentialId(credentialId: string): Promise<PasskeyRecord | undefined>;
  /**
   * Records a sign-in: the new counter, backup state and time, only while the stored counter is
   * still `expectedCounter` (compare-and-set); false when another sign-in changed it first.
   */
  recordPasskeyUse(
    id: string,
    use: { expectedCounter: number; counter: number; backedUp: boolean; at: number },
  ): Promise<boolean>;
  /** Deletes one passkey of one user; false when there was none. */
  deletePasskey(userId: string, id: string): Promise<boolean>;
}

/**
 * An identifier a person signs in with besides their username: a wallet (`did:pkh:eip155:…`,
 * EIP-4361) or a DID. Each identifier belongs to at most one person.
 */
export interface LinkedIdentifierRecord {
  /** The identifier itself, e.g. `did:pkh:eip155:1:0xAb…` (unique across the server). */
  identifier: string;
  userId: string;
  /** How it is proven: `siwe` (EIP-4361 message) or `did` (a challenge signed with the DID's key). */
  method: 'siwe' | 'did';
  createdAt: number;
}

export interface LinkedIdentifierStore {
  /** Throws {@link ConflictError} when the identifier is linked already (to anyone). */
  linkIdentifier(record: LinkedIdentifierRecord): Promise<void>;
  findLinkedIdentifier(identifier: string): Promise<LinkedIdentifierRecord | undefined>;
  /** A person's identifiers, oldest first. */
  listLinkedIdentifiers(userId: string): Promise<LinkedIdentifierRecord[]>;
  /** Unlinks one identifier of one person; false when that person had no such identifier. */
  unlinkIdentifier(userId: string, identifier: string): Promise<boolean>;
}

/**
 * A person's choice of identifier for one application (OIDC Core §8): the application, registered
 * `public`, sees them by `subject`, a pairwise value of its own, instead of the account id.
 */
export interface SubjectChoiceRecord {
  userId: string;
  clientId: string;
  /** The pairwise `sub` this client sees (unique per client). */
  subject: string;
  chosenAt: number;
}

export interface SubjectChoiceStore {
  /** Records (or replaces) the choice; {@link ConflictError} when another person has this `sub` here. */
  setSubjectChoice(record: SubjectChoiceRecord): Promise<void>;
  /** Forgets it (back to the account id); false when there was none. */
  clearSubjectChoice(userId: string, clientId: string): Promise<boolean>;
  findSubjectChoice(userId: string, clientId: string): Promise<SubjectChoiceRecord | undefined>;
  /** The choice whose pairwise `sub` this is at this client (who a token's `sub` names). */
  findSubjectChoiceBySubject(clientId: string, subject: string): Promise<SubjectChoiceRecord | undefined>;
  /** A person's choices, by client id. */
  listSubjectChoices(userId: string): Promise<SubjectChoiceRecord[]>;
}

/**
 * A Shared Signals Framework stream (OpenID SSF 1.0 §8.1.1): one per receiver, a client holding
 * the `ssf:receive` permission, created on its first use. Gone with the client.
 */
export interface SsfStreamRecord {
  /** The SSF `stream_id` (`ssf_…`). */
  id: string;
  clientId: string;
  createdAt: number;
}

/** A Security Event Token (RFC 8417) queued on one stream until the receiver acknowledges it. */
export interface QueuedSet {
  streamId: string;
  /** The SET's `jti`, unique per stream (RFC 8936 §2.2 acknowledges by it). */
  jti: string;
  /** The SET's claims except `aud`, as JSON text (the SET is signed when it is polled). */
  payload: string;
  createdAt: number;
  /** The retention bound: after it the SET is neither delivered nor kept. */
  expiresAt: number;
}

export interface SsfStore {
  /** The client's stream, created (with `id`) when it has none; two racing calls get the same one. */
  ensureSsfStream(clientId: string, id: string, now: number): Promise<SsfStreamRecord>;
  /** The stream ids of every receiver, to queue an event on each. */
  listSsfStreamIds(): Promise<string[]>;
  /** Queues SETs; a SET for a stream that is gone meanwhile is dropped, never an error. */
  queueSets(sets: readonly QueuedSet[]): Promise<void>;
  /**
   * Up to `max` unexpired SETs of the stream, oldest first, and whether more are queued
   * (RFC 8936 §2.3 `moreAvailable`). Nothing is removed: only an acknowledgement removes a SET.
   */
  pendingSets(streamId: string, now: number, max: number): Promise<{ sets: QueuedSet[]; more: boolean }>;
  /** Removes these SETs of this stream (RFC 8936 §2.2 `ack` and `setErrs`); returns how many were queued. */
  removeSets(streamId: string, jtis: readonly string[]): Promise<number>;
  /** Deletes SETs past their retention, up to `limit` rows; returns how many. */
  purgeExpiredSets(now: number, limit?: number): Promise<number>;
}

/** A person's TOTP authenticator (RFC 6238): pending until a first code confirms it. */
export interface TotpRecord {
  userId: string;
  /** The base32 secret, sealed (AES-256-GCM) under a key derived from the master key. */
  sealedSecret: string;
  confirmedAt: number | null;
  /** The last RFC 6238 time step accepted; no step at or before it is accepted again. */
  lastUsedStep: number | null;
  createdAt: number;
}

/** Second factors: TOTP authenticators and single-use recovery codes (stored as SHA-256). */
export interface MfaStore {
  findTotp(userId: string): Promise<TotpRecord | undefined>;
  /**
   * Starts (or restarts) an enrolment with a new pending secret. Refused (false) when the person
   * already has a confirmed authenticator: that one must be removed first.
   */
  beginTotpEnrolment(userId: string, sealedSecret: string, now: number): Promise<boolean>;
  /**
   * Accepts time step `step` atomically, only if it is later than the last accepted one
   * (RFC 6238 §5.2: a code is accepted once). `confirm`: the pending enrolment is confirmed by it
   * (only a pending one); otherwise only a confirmed authenticator takes it. True when accepted.
   */
  useTotpStep(userId: string, step: number, options: { confirmAt?: number }): Promise<boolean>;
  /** Removes the authenticator and every recovery code; true when there was an authenticator. */
  deleteTotp(userId: string): Promise<boolean>;
  /** Replaces every recovery code of the person with these (SHA-256 hashes). */
  replaceRecoveryCodes(userId: string, hashes: readonly string[], now: number): Promise<void>;
  /** Marks the code used, atomically: true once, false for an unknown or used code. */
  useRecoveryCode(userId: string, hash: string, now: number): Promise<boolean>;
  /** Unused recovery codes left. */
  countRecoveryCodes(userId: string): Promise<number>;
  /** Every sealed TOTP secret (master-key rotation re-seals them). */
  listTotpSecrets(): Promise<Array<{ userId: string; sealedSecret: string }>>;
  resealTotpSecret(userId: string, sealedSecret: string): Promise<void>;
}

export interface ConsentRecord {
  userId: string;
  clientId: string;
  scope: string[];
  grantedAt: number;
}

export interface ConsentStore {
  findConsent(userId: string, clientId: string): Promise<ConsentRecord | undefined>;
  /** Every consent of a user (one per client, so bounded by the number of clients), by client id. */
  listConsents(userId: string): Promise<ConsentRecord[]>;
  /** Merges `scope` into any earlier consent. */
  grantConsent(userId: string, clientId: string, scope: string[], now: number): Promise<ConsentRecord>;
  revokeConsent(filter: { userId: string; clientId?: string }): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Authorization codes and refresh tokens
// ---------------------------------------------------------------------------------------------

export interface AuthorizationCodeRecord {
  hash: string;
  clientId: string;
  userId: string;
  sessionId: string | null;
  redirectUri: string;
  scope: string[];
  audience: string[];
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  nonce: string | null;
  authTime: number;
  amr: string[];
  acr: string | null;
  /** Set once consumed: the grant id (refresh family) issued from it. */
  grantId: string;
  issuedAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** RFC 9449 §10: the `dpop_jkt` of the authorization request; the token request's proof must match. */
  dpopJkt?: string;
}

export type ConsumeResult<T> =
  | { status: 'consumed'; record: T }
  | { status: 'replayed'; record: T }
  | { status: 'not_found' };

export interface AuthorizationCodeStore {
  insertAuthorizationCode(code: AuthorizationCodeRecord): Promise<void>;
  /**
   * Consumes the code for `clientId` only (RFC 6749 §4.1.3: the code must have been issued to the
   * authenticated client). Exactly one concurrent caller of that client gets `consumed`; its later
   * callers get `replayed`. Any other client gets `wrong_client` and the code is left as it was, so a
   * leaked code cannot be burned (nor its grant revoked) by someone else.
   */
  consumeAuthorizationCode(
    hash: string,
    clientId: string,
    now: number,
  ): Promise<ConsumeResult<AuthorizationCodeRecord> | { status: 'wrong_client' }>;
  /** Deletes codes whose `expiresAt` has passed (consumed or not); at most `limit` when given. */
  purgeExpiredAuthorizationCodes(now: number, limit?: number): Promise<number>;
}

// Device authorization requests (RFC 8628)

export type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied' | 'consumed';

export interface DeviceAuthorizationRecord {
  /** `dev_…`: shown nowhere secret; the verification page's handle on the request. */
  id: string;
  /** SHA-256 of the `tsr_dc_…` device code. */
  deviceCodeHash: string;
  /** The normalised user code's first half: how the verification page finds the request. */
  userCodePrefix: string;
  /** SHA-256 of the whole normalised user code (RFC 8628 §6.1). */
  userCodeHash: string;
  clientId: string;
  scope: string[];
  audience: string[];
  /** What the device said about itself (its User-Agent), shown on the verification page. */
  deviceInfo: string | null;
  status: DeviceAuthorizationStatus;
  /** Set on approval: who approved, in which session, with which authentication context. */
  userId: string | null;
  sessionId: string | null;
  authTime: number | null;
  amr: string[];
  acr: string | null;
  /** Seconds between polls (RFC 8628 §3.2), raised by `slow_down` (§3.5). */
  interval: number;
  lastPolledAt: number | null;
  /** Wrong confirmations counted against this user code; at the limit the request is denied. */
  failedAttempts: number;
  createdAt: number;
  expiresAt: number;
}

export interface DeviceApproval {
  userId: string;
  sessionId: string | null;
  authTime: number;
  amr: string[];
  acr: string | null;
}

/** The outcome of one poll at the token endpoint (RFC 8628 §3.4–3.5). */
export type DevicePollResult =
  | { status: 'not_found' }
  | { status: 'wrong_client' }
  | { status: 'expired' }
  | { status: 'slow_down'; interval: number }
  | { status: 'pending' }
  | { status: 'denied' }
  | { status: 'consumed' }
  | { status: 'approved'; record: DeviceAuthorizationRecord };

export interface DeviceAuthorizationStore {
  insertDeviceAuthorization(record: DeviceAuthorizationRecord): Promise<void>;
  findDeviceAuthorization(id: string): Promise<DeviceAuthorizationRecord | undefined>;
  /** The pending, unexpired requests whose user code starts with `prefix` (rarely more than one). */
  findPendingDeviceAuthorizations(prefix: string, now: number): Promise<DeviceAuthorizationRecord[]>;
  /**
   * Approves or denies a pending, unexpired request in one conditional update; false when it was
   * not pending any more (decided elsewhere, expired, locked).
   */
  decideDeviceAuthorization(id: string, decision: DeviceApproval | 'denied', now: number): Promise<boolean>;
  /**
   * Counts a wrong confirmation against a pending request; at `limit` it becomes `denied`. Returns
   * the count after this one.
   */
  recordDeviceAuthorizationFailure(id: string, limit: number): Promise<number>;
  /**
   * One poll by `clientId`, atomically: another client's poll changes nothing (`wrong_client`); a
   * poll sooner than `interval` after the previous one raises the interval by `slowDownStep`
   * (`slow_down`); an approved request becomes `consumed` for exactly one concurrent caller.
   */
  pollDeviceAuthorization(
    deviceCodeHash: string,
    clientId: string,
    now: number,
    slowDownStep: number,
  ): Promise<DevicePollResult>;
  /** Deletes requests whose `expiresAt` has passed; at most `limit` when given. */
  purgeExpiredDeviceAuthorizations(now: number, limit?: number): Promise<number>;
}

export interface RefreshTokenRecord {
  hash: string;
  /** `fam_…`: every token rotated from the same grant. */
  familyId: string;
  clientId: string;
  userId: string;
  sessionId: string | null;
  scope: string[];
  audience: string[];
  authTime: number;
  amr: string[];
  acr: string | null;
  issuedAt: number;
  /** Sliding expiry of this token. */
  expiresAt: number;
  /** Absolute expiry of the family. */
  familyExpiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
  /** RFC 9449 §5: the DPoP key thumbprint a public client's token is bound to; null when unbound. */
  jkt: string | null;
}

export type RotateResult =
  | { status: 'rotated'; previous: RefreshTokenRecord }
  | {
      /**
       * The token was rotated moments ago (within its reuse grace) and its successor is still
       * unused: nothing changed, and the caller answers with the same successor again.
       */
      status: 'retried';
      previous: RefreshTokenRecord;
      successor: RefreshTokenRecord;
      /** The successor token as sealed at rotation (see {@link ReuseGrace}). */
      sealedSuccessor: string;
    }
  | { status: 'reused'; previous: RefreshTokenRecord }
  | { status: 'not_found' };

/**
 * RFC 9700 §4.14.2 reuse grace for one rotation: until `until`, presenting the old token again
 * returns `retried` with `sealedSuccessor` while the successor is unused, instead of `reused`.
 * The store keeps the sealed successor only until then (and never once the family is revoked).
 */
export interface ReuseGrace {
  until: number;
  /** The successor's token, sealed by the caller (ports never see a raw secret). */
  sealedSuccessor: string;
}

/** A refresh token as a token request presents it (RFC 6749 §6). */
export interface RefreshPresentation {
  hash: string;
  /** RFC 6749 §6: the authenticated client; the token must have been issued to it. */
  clientId: string;
  /** RFC 9449 §5: the JWK thumbprint of the request's DPoP proof; null without one. */
  jkt: string | null;
}

/** The successor a redemption stores; everything else (family, scope, …) is the presented token's. */
export interface RefreshSuccessor {
  hash: string;
  issuedAt: number;
  /** The sliding expiry asked for; the store caps it at the family's absolute end (RFC 9700 §4.14.2). */
  expiresAt: number;
}

/** One {@link RefreshTokenStore.redeemRefreshToken}'s arguments, for the verbs that take many. */
export interface RefreshRedemption {
  presented: RefreshPresentation;
  successor: RefreshSuccessor;
  now: number;
  grace?: ReuseGrace | undefined;
}

/** Why a presented token was refused before anything was written. */
export type RedeemRefusal = 'client' | 'dpop' | 'user';

export type RedeemResult =
  | {
      status: 'rotated';
      previous: RefreshTokenRecord;
      user: UserRecord;
      /**
       * The `sub` the person chose for the token's client (OIDC Core §8, {@link SubjectChoiceStore}),
       * read in the same transaction as the redemption: null for none; absent when the store did not
       * read it (the SQL store always reads it).
       */
      chosenSubject?: string | null;
    }
  | {
      /** As {@link RotateResult}'s `retried`: nothing written, the same successor again. */
      status: 'retried';
      previous: RefreshTokenRecord;
      successor: RefreshTokenRecord;
      sealedSuccessor: string;
      user: UserRecord;
    }
  | { status: 'reused'; previous: RefreshTokenRecord }
  | {
      /**
       * Issued to another client, bound to another DPoP key, or its person deleted, disabled or
       * re-keyed (`tokensValidAfter`) since it was issued: refused before any reuse check, so
       * nothing was written and no family revoked.
       */
      status: 'refused';
      previous: RefreshTokenRecord;
      reason: RedeemRefusal;
    }
  | { status: 'not_found' };

export interface RefreshTokenStore {
  insertRefreshToken(token: RefreshTokenRecord): Promise<void>;
  findRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined>;
  /**
   * The refresh grant's one atomic verb: {@link rotateRefreshToken} for a token request, with the
   * checks that must precede it folded in, so the token, its holder and its person are read once.
   * First `refused` if the token belongs to another client or DPoP key, or its person is gone,
   * disabled or re-keyed; then as `rotateRefreshToken` (`rotated`, `retried`, `reused` with the
   * family revoked, `not_found`), the successor built from the presented token. `rotated` and
   * `retried` carry the person.
   */
  redeemRefreshToken(
    presented: RefreshPresentation,
    successor: RefreshSuccessor,
    now: number,
    grace?: ReuseGrace,
  ): Promise<RedeemResult>;
  /**
   * Many {@link redeemRefreshToken}s in one transaction (the caller's, or its own): each result
   * at its redemption's index, as if they ran one after the other (those that win first, then the
   * rest in order, so a token presented twice is rotated once). PostgreSQL writes the winners in
   * one statement. If a successor's hash already exists it throws, and the transaction must be
   * rolled back (its own is).
   */
  redeemRefreshTokens(redemptions: ReadonlyArray<RefreshRedemption>): Promise<RedeemResult[]>;
  /**
   * PostgreSQL only: the redemptions that win, in ONE statement that commits on its own (outside a
   * transaction: one round trip, no `BEGIN`/`COMMIT`). The result at a redemption's index is its
   * rotation (as {@link redeemRefreshToken}'s `rotated`) when its conditional UPDATE won, else
   * undefined: nothing was written for it (no token marked, no family revoked), and the caller
   * redeems it again with {@link redeemRefreshToken} to learn why (refused, retried, reused,
   * not found). Only the first presentation of a hash can win. Throws, having written nothing,
   * when the statement fails (a successor's hash already exists).
   */
  redeemRefreshTokenWinners?(
    redemptions: ReadonlyArray<RefreshRedemption>,
  ): Promise<Array<Extract<RedeemResult, { status: 'rotated' }> | undefined>>;
  /**
   * The one atomic verb of RFC 9700 §4.14: if `oldHash` is current (unused, unrevoked, unexpired at
   * `now`), mark it used and insert `next` → `rotated`. If it was already used, revoke its whole
   * family in the same transaction → `reused`, unless it was rotated with a `grace` that has not
   * ended and its successor is still current → `retried` (nothing written, no second successor).
   * Unknown, expired or revoked → `not_found`.
   */
  rotateRefreshToken(
    oldHash: string,
    next: RefreshTokenRecord,
    now: number,
    grace?: ReuseGrace,
  ): Promise<RotateResult>;
  /** Revokes every token of the families matching the filter; returns the family ids touched. */
  revokeRefreshTokens(
    filter: { familyId?: string; clientId?: string; userId?: string; sessionId?: string },
    now: number,
  ): Promise<string[]>;
  /**
   * Deletes tokens whose family expiry has passed, and tokens past their own expiry that were never
   * used (or are revoked); a used token stays until its family expires, for reuse detection. At
   * most `limit` when given.
   */
  purgeExpiredRefreshTokens(now: number, limit?: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Replay cache, rate-limit counters and audit
// ---------------------------------------------------------------------------------------------

export interface ReplayStore {
  /** Records `key` until `expiresAt`; true the first time, false if it was already recorded. */
  markOnce(key: string, expiresAt: number, now: number): Promise<boolean>;
  /**
   * Deletes keys whose `expiresAt` has passed, so the cache does not grow without bound; at most
   * `limit` when given.
   */
  purgeExpiredReplays(now: number, limit?: number): Promise<number>;
}

// Rate-limit counters (per API key, shared by every node through the database)

/** One request to count against a limit: the window is `[floor(now / window) * window, +window)`. */
export interface RateLimitRequest {
  /** What is limited, e.g. `api_key:key_…`. */
  key: string;
  limit: number;
  /** Window length in seconds. */
  window: number;
  /**
   * `fixed`: at most `limit` counted in the current window. `sliding`: the current window's count
   * plus the previous window's count, weighted by how much of it still overlaps the last `window`
   * seconds, stays below `limit` (the approximation Cloudflare and Unkey use).
   */
  kind: 'fixed' | 'sliding';
  now: number;
}

export interface RateLimitResult {
  /** True when the request was counted; a refused request is not counted (it "counts once"). */
  allowed: boolean;
  /** Requests counted in the current window, including this one when allowed. */
  count: number;
  /** Requests counted in the previous window (used by `sliding`). */
  previousCount: number;
  windowStart: number;
}

export interface RateLimitStore {
  /**
   * The one atomic verb: counts the request if it fits. N concurrent calls with room for L count
   * exactly L, on every node sharing the database.
   */
  consumeRateLimit(request: RateLimitRequest): Promise<RateLimitResult>;
  /**
   * Deletes counters of windows that can no longer matter (older than the previous window); at most
   * `limit` when given.
   */
  purgeExpiredRateLimits(now: number, limit?: number): Promise<number>;
}

// Attempt counters with backoff (login guesses, failed client authentication), shared by every
// node through the database

/** One attempt to take against a backoff policy. */
export interface AttemptRequest {
  /** What is throttled, e.g. `login:user:alice` or `login:ip:192.0.2.1`. */
  key: string;
  now: number;
  /** Attempts in a window that impose no wait; from the last free one on, each waits. */
  freeAttempts: number;
  /** Longest wait after an attempt, seconds (the wait doubles per attempt up to this). */
  maxBackoff: number;
  /** Seconds after the first attempt when the count starts over. */
  window: number;
}

export type AttemptResult =
  | {
      allowed: true;
      /** Attempts counted in the window, this one included. */
      count: number;
      /** Seconds the next attempt must wait because of this one (0 while attempts are free). */
      backoff: number;
    }
  | {
      allowed: false;
      count: number /** Seconds until an attempt is allowed again (at least 1). */;
      retryAfter: number;
    };

export interface AttemptStore {
  /**
   * The one atomic verb: counts the attempt and sets the wait it imposes on the next one, in one
   * statement, unless the key is still waiting (then nothing changes). N concurrent calls inside a
   * wait are refused on every node sharing the database; only the one that set the wait got in.
   */
  takeAttempt(request: AttemptRequest): Promise<AttemptResult>;
  /** Forgets the key's attempts (a successful login for a username). */
  clearAttempts(key: string): Promise<void>;
  /** Gives one attempt back (a success that should not count as a failure); the wait it set halves. */
  refundAttempt(key: string): Promise<void>;
  /** Deletes counters whose window and wait are both over; at most `limit` when given. */
  purgeExpiredAttempts(now: number, limit?: number): Promise<number>;
}

export interface AuditEvent {
  /** `noun.verb` in the past tense, e.g. `client.created`. */
  type: string;
  /** Who did it: `admin`, a client id, a user id, or `system`. */
  actor: string;
  /** What it was done to (an id, a display start), never a secret. */
  subject: string | null;
  data: Record<string, unknown>;
  at: number;
  requestId: string | null;
}

export interface AuditStore {
  appendAudit(event: AuditEvent): Promise<void>;
  /**
   * Appends `events` in one statement, in their order (ids ascending), all or none: what the
   * buffered audit log writes once a second, instead of one statement (and one commit) per event.
   */
  appendAudits(events: readonly AuditEvent[]): Promise<void>;
  /** Newest first; each filter given must match exactly; `since` and `until` bound `at` (inclusive). */
  listAudit(
    filter: { type?: string; actor?: string; subject?: string; since?: number; until?: number } & PageOptions,
  ): Promise<Page<AuditEvent & { id: number }>>;
  /** Deletes at most `limit` events recorded before `before` (retention), oldest first. */
  purgeAuditBefore(before: number, limit: number): Promise<number>;
}

/** One counter of one minute: how often `name` happened with `label` (the console's charts). */
export interface StatCount {
  /** The bucket's first second (Unix seconds): a multiple of 60 when written. */
  bucket: number;
  /** What was counted, e.g. `tokens_issued`. */
  name: string;
  /** Its label, e.g. a grant type or an error code (never a secret or a person's id). */
  label: string;
  count: number;
}

/**
 * Usage counters, kept per minute so every node's counts sum up: each node adds what it counted
 * since its last flush. The admin API reads them back in coarser buckets.
 */
export interface StatsStore {
  /**
   * Adds each count to the row of its (bucket, name, label), creating it at 0 first: additive, so
   * nodes flushing the same minute add up. All or nothing (one transaction).
   */
  addStatCounts(counts: readonly StatCount[]): Promise<void>;
  /**
   * Sums per (bucket, name, label) of every row with `since <= bucket < until`, rebucketed to
   * `bucketSeconds` (each row's bucket rounded down to a multiple of it); ordered by bucket.
   */
  listStatCounts(query: { since: number; until: number; bucketSeconds: number }): Promise<StatCount[]>;
  /** Deletes at most `limit` rows of buckets before `before` (retention). */
  purgeStatCountsBefore(before: number, limit?: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// The aggregate
// ---------------------------------------------------------------------------------------------

export interface MigrationRunner {
  /** Applies pending migrations; returns their names. */
  migrate(): Promise<string[]>;
}

export interface Store
  extends ClientStore,
    SigningKeyStore,
    ServerSecretStore,
    RiskStateStore,
    SessionUsageStore,
    RevocationStore,
    AccessTokenStore,
    ApiKeyStore,
    UserStore,
    SessionStore,
    PasskeyStore,
    LinkedIdentifierStore,
    SubjectChoiceStore,
    SsfStore,
    ConsentStore,
    AuthorizationCodeStore,
    DeviceAuthorizationStore,
    RefreshTokenStore,
    ReplayStore,
    RateLimitStore,
    AttemptStore,
    AuditStore,
    StatsStore,
    AdminTokenStore,
    MfaStore,
    MigrationRunner {
  /** `sqlite` or `postgres`. */
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in one write transaction with a store bound to it. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /** Resolves when the database answers. */
  ping(): Promise<void>;
  /**
   * Commits one small write (the readiness row, `at` in Unix seconds): resolves when the database
   * takes writes, which `ping` does not show (a read-only standby or file answers it).
   */
  probeWrite(at: number): Promise<void>;
  close(): Promise<void>;
}
