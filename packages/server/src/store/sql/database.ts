/**
 * Kysely table types. Row types stay inside `store/sql`: the rest of the server sees only the
 * records of `ports.ts`. Columns are snake_case, times are integer seconds, booleans are 0/1 and
 * arrays/objects are JSON text in both dialects, so one set of queries serves both.
 */
import type { Generated, Selectable } from 'kysely';

/** 0 or 1: SQLite has no boolean type, so both dialects store flags as integers. */
export type Flag = number;
/** JSON text. */
export type JsonText = string;

export interface ClientsTable {
  id: string;
  name: string;
  grant_types: JsonText;
  scope: JsonText;
  default_scope: JsonText;
  audiences: JsonText;
  redirect_uris: JsonText;
  post_logout_redirect_uris: JsonText;
  token_endpoint_auth_method: string;
  token_format: string;
  access_token_ttl: number | null;
  metadata: JsonText;
  jwks: JsonText | null;
  jwks_uri: string | null;
  id_token_signed_response_alg: string | null;
  /** 0019: OIDC Core §8 `public` / `pairwise`. */
  subject_type: Generated<string>;
  /** 0019: OIDC Registration §5. */
  sector_identifier_uri: string | null;
  first_party: Flag;
  /** RFC 9449 §5.2 `dpop_bound_access_tokens`. */
  dpop_bound_access_tokens: Generated<Flag>;
  permissions: JsonText;
  disabled: Flag;
  created_at: number;
  updated_at: number;
  /** 0011: null for a registered client, else `did` / `metadata_document` (see ClientRecord.source). */
  source: string | null;
  /** 0011: SHA-256 of the RFC 7592 registration access token, for a dynamically registered client. */
  registration_token_hash: string | null;
  require_mfa: Generated<Flag>;
}

export interface ClientSecretsTable {
  hash: string;
  client_id: string;
  start: string;
  created_at: number;
  expires_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: JsonText;
  sealed_private_key: string;
  master_key_id: string | null;
  created_at: number;
  activates_at: number;
  retired_at: number | null;
  expires_at: number | null;
}

export interface AdminTokensTable {
  id: string;
  name: string;
  scopes: JsonText;
  token_hash: string;
  start: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface RevocationsTable {
  id: Generated<number>;
  target_type: string;
  target_value: string;
  revoked_at: number;
  expires_at: number;
}

export interface AccessTokensTable {
  hash: string;
  jti: string;
  client_id: string;
  subject: string;
  scope: JsonText;
  audience: JsonText;
  claims: JsonText;
  grant_id: string | null;
  issued_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface ApiKeysTable {
  id: string;
  hash: string;
  start: string;
  name: string;
  owner: string;
  scope: JsonText;
  audiences: JsonText;
  meta: JsonText;
  rate_limit: JsonText | null;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  disabled: Flag;
  revoked_at: number | null;
  replaced_by: string | null;
  last_used_at: number | null;
  usage_count: number;
  /** RFC 9449: the DPoP key thumbprint a bound key needs a proof by. */
  dpop_jkt: Generated<string | null>;
  /** `off`, `flag`, `alert`, `deny` or `disable` (migration 0025). */
  anomaly_policy: Generated<string>;
  /** The usage profile snapshot of `@tessera/risk` (JSON), written with the batched usage. */
  usage_profile: Generated<JsonText | null>;
  /** The anomalies recorded for the owner, newest last (a bounded JSON list). */
  anomalies: Generated<JsonText>;
  last_anomaly_at: Generated<number | null>;
  anomalies_acknowledged_at: Generated<number | null>;
}

export interface UsersTable {
  id: string;
  username: string;
  email: string | null;
  email_verified: Flag;
  name: string | null;
  password_hash: string;
  disabled: Flag;
  tokens_valid_after: number;
  created_at: number;
  updated_at: number;
  mfa_required: Generated<Flag>;
  /** 0015: the person's admin scopes, space-separated; null for a person who is not an operator. */
  admin_scopes: string | null;
}

export interface UserTotpTable {
  user_id: string;
  sealed_secret: string;
  confirmed_at: number | null;
  last_used_step: number | null;
  created_at: number;
}

/** 0020: a server-wide secret sealed with the master key (keys/server-secrets.ts). */
export interface ServerSecretsTable {
  name: string;
  sealed: string;
  master_key_id: string;
}

export interface RiskProfilesTable {
  user_id: string;
  data: string;
  version: number;
  updated_at: number;
}

export interface RiskGlobalTable {
  key: string;
  value: number;
  updated_at: number;
}

/** 0032: a session's token-use state (users/token-use-reports.ts). */
export interface SessionUsageTable {
  sid: string;
  state: string;
  applied: string;
  version: number;
  expires_at: number;
  updated_at: number;
}

/** 0022: usage counters per minute, name and label, added to by every node (audit/stats-counters.ts). */
export interface StatCountsTable {
  bucket: number;
  name: string;
  label: string;
  count: number;
}

/** 0034: the one row `/readyz` writes to learn that the database takes writes (`Store.probeWrite`). */
export interface ReadinessProbeTable {
  id: number;
  checked_at: number;
}

export interface RecoveryCodesTable {
  user_id: string;
  hash: string;
  created_at: number;
  used_at: number | null;
}

export interface SessionsTable {
  id: string;
  hash: string;
  user_id: string;
  auth_time: number;
  amr: JsonText;
  acr: string | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  user_agent: string | null;
  ip: string | null;
}

export interface PasskeysTable {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: string;
  counter: number;
  transports: JsonText;
  backup_eligible: number;
  backed_up: number;
  aaguid: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export interface LinkedIdentifiersTable {
  identifier: string;
  user_id: string;
  method: string;
  created_at: number;
}

/** 0027: a person's choice of a pairwise `sub` for one application. */
export interface SubjectChoicesTable {
  user_id: string;
  client_id: string;
  subject: string;
  chosen_at: number;
}

/** 0029: one Shared Signals Framework stream per receiving client. */
export interface SsfStreamsTable {
  id: string;
  client_id: string;
  created_at: number;
}

/** 0029: the SETs queued on a stream until acknowledged (RFC 8936). */
export interface SsfSetsTable {
  id: Generated<number>;
  stream_id: string;
  jti: string;
  payload: string;
  created_at: number;
  expires_at: number;
}

export interface ConsentsTable {
  user_id: string;
  client_id: string;
  scope: JsonText;
  granted_at: number;
}

export interface AuthorizationCodesTable {
  hash: string;
  client_id: string;
  user_id: string;
  session_id: string | null;
  redirect_uri: string;
  scope: JsonText;
  audience: JsonText;
  code_challenge: string | null;
  code_challenge_method: string | null;
  nonce: string | null;
  auth_time: number;
  amr: JsonText;
  acr: string | null;
  grant_id: string;
  issued_at: number;
  expires_at: number;
  consumed_at: number | null;
  /** RFC 9449 §10 `dpop_jkt`. */
  dpop_jkt: Generated<string | null>;
}

export interface DeviceAuthorizationsTable {
  id: string;
  device_code_hash: string;
  user_code_prefix: string;
  user_code_hash: string;
  client_id: string;
  scope: JsonText;
  audience: JsonText;
  device_info: string | null;
  status: string;
  user_id: string | null;
  session_id: string | null;
  auth_time: number | null;
  amr: JsonText;
  acr: string | null;
  interval: number;
  last_polled_at: number | null;
  failed_attempts: Generated<number>;
  created_at: number;
  expires_at: number;
}

export interface RefreshTokensTable {
  hash: string;
  family_id: string;
  client_id: string;
  user_id: string;
  session_id: string | null;
  scope: JsonText;
  audience: JsonText;
  auth_time: number;
  amr: JsonText;
  acr: string | null;
  issued_at: number;
  expires_at: number;
  family_expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
  /** Set on rotation: the hash of the token that replaced this one. */
  successor_hash: Generated<string | null>;
  /** The successor sealed under the master key, kept only until `grace_until` (reuse grace). */
  successor_sealed: Generated<string | null>;
  grace_until: Generated<number | null>;
  /** RFC 9449 §5: the DPoP key thumbprint a public client's token is bound to. */
  dpop_jkt: Generated<string | null>;
}

export interface ReplayKeysTable {
  key: string;
  expires_at: number;
}

/** Rate-limit counters, one row per key and window (migration 0002). */
export interface RateLimitsTable {
  key: string;
  window_start: number;
  count: number;
  /** The row can be purged after this time (the end of the window after its own). */
  expires_at: number;
}

/** Attempt counters with backoff, one row per key (migration 0003). */
export interface AttemptsTable {
  key: string;
  /** Attempts counted since the window started. */
  count: number;
  /** The wait, seconds, the last attempt imposed (it doubles per attempt past the free ones). */
  backoff: number;
  /** No attempt is allowed before this time. */
  next_at: number;
  /** The window ends (the count starts over) at this time. */
  expires_at: number;
}

export interface AuditEventsTable {
  id: Generated<number>;
  type: string;
  actor: string;
  subject: string | null;
  data: JsonText;
  at: number;
  request_id: string | null;
}

export interface Database {
  clients: ClientsTable;
  client_secrets: ClientSecretsTable;
  signing_keys: SigningKeysTable;
  revocations: RevocationsTable;
  access_tokens: AccessTokensTable;
  api_keys: ApiKeysTable;
  users: UsersTable;
  sessions: SessionsTable;
  passkeys: PasskeysTable;
  linked_identifiers: LinkedIdentifiersTable;
  consents: ConsentsTable;
  subject_choices: SubjectChoicesTable;
  ssf_streams: SsfStreamsTable;
  ssf_sets: SsfSetsTable;
  authorization_codes: AuthorizationCodesTable;
  device_authorizations: DeviceAuthorizationsTable;
  refresh_tokens: RefreshTokensTable;
  replay_keys: ReplayKeysTable;
  rate_limits: RateLimitsTable;
  attempts: AttemptsTable;
  audit_events: AuditEventsTable;
  admin_tokens: AdminTokensTable;
  user_totp: UserTotpTable;
  recovery_codes: RecoveryCodesTable;
  server_secrets: ServerSecretsTable;
  risk_profiles: RiskProfilesTable;
  risk_global: RiskGlobalTable;
  session_usage: SessionUsageTable;
  stat_counts: StatCountsTable;
  readiness_probe: ReadinessProbeTable;
}

export type ClientRow = Selectable<ClientsTable>;
export type ClientSecretRow = Selectable<ClientSecretsTable>;
export type SigningKeyRow = Selectable<SigningKeysTable>;
export type AdminTokenRow = Selectable<AdminTokensTable>;
export type RevocationRow = Selectable<RevocationsTable>;
export type AccessTokenRow = Selectable<AccessTokensTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type PasskeyRow = Selectable<PasskeysTable>;
export type LinkedIdentifierRow = Selectable<LinkedIdentifiersTable>;
export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type ConsentRow = Selectable<ConsentsTable>;
export type SubjectChoiceRow = Selectable<SubjectChoicesTable>;
export type SsfStreamRow = Selectable<SsfStreamsTable>;
export type SsfSetRow = Selectable<SsfSetsTable>;
export type AuthorizationCodeRow = Selectable<AuthorizationCodesTable>;
export type DeviceAuthorizationRow = Selectable<DeviceAuthorizationsTable>;
export type RefreshTokenRow = Selectable<RefreshTokensTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
