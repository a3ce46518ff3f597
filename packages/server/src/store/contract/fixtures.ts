/**
 * `store/contract` holds the behaviour every Store adapter must show (STYLE §9.6): one suite per
 * port, run by test/store/sqlite.test.ts and test/store/postgres.test.ts. Suites share one database
 * per run, so every fixture uses fresh random ids and assertions look only at their own rows.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import type {
  AccessTokenRecord,
  ApiKeyRecord,
  AuthorizationCodeRecord,
  ClientRecord,
  NewClient,
  Page,
  PageOptions,
  RefreshTokenRecord,
  SessionRecord,
  Store,
  UserRecord,
} from '../ports.js';

/** A fixed "now" for every suite: expiry is tested by passing times, never by sleeping. */
export const T0 = 1_700_000_000;

export type MakeStore = () => Promise<Store>;

/** What an adapter's run of the contract declares about itself. */
export interface ContractOptions {
  /**
   * Opens another, independent instance (its own connection or pool) on the SAME database as
   * `makeStore`, for races between two server processes or nodes. Absent for adapters where each
   * instance is a database of its own (SQLite `:memory:`): those tests are not declared at all.
   */
  openSecondInstance?: MakeStore;
}

export function uid(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}

/** A fresh store per test, closed after it. */
export function useStore(makeStore: MakeStore): () => Store {
  let store: Store | undefined;
  beforeEach(async () => {
    store = await makeStore();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  return () => {
    if (store === undefined) {
      throw new Error('store is only available inside a test');
    }
    return store;
  };
}

/** Follows `next` cursors to the end; fails if a page is larger than `limit`. */
export async function collectPages<T>(
  limit: number,
  fetch: (options: PageOptions) => Promise<Page<T>>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await fetch(cursor === undefined ? { limit } : { limit, cursor });
    if (page.items.length > limit) {
      throw new Error(`page of ${page.items.length} items exceeds limit ${limit}`);
    }
    items.push(...page.items);
    cursor = page.next;
    pages += 1;
  } while (cursor !== undefined && pages < 10_000);
  return { items, pages };
}

export function newClient(overrides: Partial<NewClient> = {}): NewClient {
  return {
    id: uid('cli'),
    name: 'Example app',
    grantTypes: ['authorization_code', 'refresh_token'],
    scope: ['openid', 'profile', 'read:orders'],
    defaultScope: [],
    audiences: ['https://api.example.com'],
    redirectUris: ['https://app.example.com/callback'],
    postLogoutRedirectUris: [],
    tokenEndpointAuthMethod: 'client_secret_basic',
    tokenFormat: 'jwt',
    accessTokenTtl: null,
    metadata: {},
    jwks: null,
    jwksUri: null,
    idTokenSignedResponseAlg: null,
    subjectType: 'public',
    sectorIdentifierUri: null,
    firstParty: false,
    dpopBoundAccessTokens: false,
    requireMfa: false,
    permissions: [],
    disabled: false,
    secrets: [],
    ...overrides,
  };
}

export function newUser(overrides: Partial<Omit<UserRecord, 'createdAt' | 'updatedAt'>> = {}) {
  const id = uid('usr');
  return {
    id,
    username: `user-${id}`,
    email: null,
    emailVerified: false,
    name: null,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    disabled: false,
    tokensValidAfter: 0,
    ...overrides,
  };
}

/** A client and a user, which codes, refresh tokens, sessions and consents belong to. */
export async function seedOwners(store: Store): Promise<{ client: ClientRecord; user: UserRecord }> {
  const client = await store.createClient(newClient(), T0);
  const user = await store.createUser(newUser(), T0);
  return { client, user };
}

export function newSession(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: uid('ses'),
    hash: uid('hash'),
    userId,
    authTime: T0,
    amr: ['pwd'],
    acr: null,
    createdAt: T0,
    lastSeenAt: T0,
    expiresAt: T0 + 3600,
    userAgent: 'Mozilla/5.0',
    ip: '203.0.113.7',
    ...overrides,
  };
}

export function newAccessToken(
  clientId: string,
  overrides: Partial<AccessTokenRecord> = {},
): AccessTokenRecord {
  return {
    hash: uid('hash'),
    jti: uid('jti'),
    clientId,
    subject: clientId,
    scope: ['read:orders'],
    audience: ['https://api.example.com'],
    claims: { tenant: 'acme', roles: ['admin'] },
    grantId: null,
    issuedAt: T0,
    expiresAt: T0 + 600,
    revokedAt: null,
    ...overrides,
  };
}

export function newApiKey(owner: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: uid('key'),
    hash: uid('hash'),
    start: 'tsk_ab12',
    name: 'CI key',
    owner,
    scope: ['read:orders'],
    audiences: ['https://api.example.com'],
    meta: { team: 'billing', limits: { burst: 3 } },
    rateLimit: { limit: 100, window: 60, kind: 'sliding' },
    createdAt: T0,
    updatedAt: T0,
    expiresAt: null,
    disabled: false,
    revokedAt: null,
    replacedBy: null,
    lastUsedAt: null,
    usageCount: 0,
    dpopJkt: null,
    anomalyPolicy: 'flag',
    usageProfile: null,
    anomalies: [],
    lastAnomalyAt: null,
    anomaliesAcknowledgedAt: null,
    ...overrides,
  };
}

export function newCode(
  clientId: string,
  userId: string,
  overrides: Partial<AuthorizationCodeRecord> = {},
): AuthorizationCodeRecord {
  return {
    hash: uid('hash'),
    clientId,
    userId,
    sessionId: uid('ses'),
    redirectUri: 'https://app.example.com/callback',
    scope: ['openid', 'profile'],
    audience: ['https://api.example.com'],
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    codeChallengeMethod: 'S256',
    nonce: 'n-0S6_WzA2Mj',
    authTime: T0,
    amr: ['pwd'],
    acr: null,
    grantId: uid('fam'),
    issuedAt: T0,
    expiresAt: T0 + 60,
    consumedAt: null,
    ...overrides,
  };
}

export function newRefreshToken(
  clientId: string,
  userId: string,
  overrides: Partial<RefreshTokenRecord> = {},
): RefreshTokenRecord {
  return {
    hash: uid('hash'),
    familyId: uid('fam'),
    clientId,
    userId,
    sessionId: null,
    scope: ['openid', 'offline_access'],
    audience: ['https://api.example.com'],
    authTime: T0,
    amr: ['pwd'],
    acr: null,
    issuedAt: T0,
    expiresAt: T0 + 86_400,
    familyExpiresAt: T0 + 30 * 86_400,
    usedAt: null,
    revokedAt: null,
    jkt: null,
    ...overrides,
  };
}
