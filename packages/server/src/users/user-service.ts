/**
 * Users: creation, profile changes, passwords, disabling, deletion and the password check of the
 * login page. Changing a password or disabling a user ends everything the user holds: sessions,
 * refresh-token families, opaque access tokens, and (through a `subject` revocation on the bus and
 * the revocation stream) JWT access tokens already in the wild (DESIGN §5).
 *
 * Usernames are case-insensitive: stored and looked up in lower case (NFKC), so `Alice` and
 * `alice` cannot be two accounts.
 */
import { OAuthError } from '@tessera/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events/bus.js';
import { newId } from '../ids.js';
import {
  type AccessTokenStore,
  ConflictError,
  NotFoundError,
  type Page,
  type PageOptions,
  type RefreshTokenStore,
  type SessionStore,
  type SubjectChoiceStore,
  type UserRecord,
  type UserStore,
} from '../store/ports.js';
import { allowsAdminScope, parseAdminScopes } from '../tokens/admin-tokens/scopes.js';
import type { CredentialChanges } from '../tokens/credential-changes.js';
import type { Revocations } from '../tokens/revocations.js';
import type { PasswordHasher } from './password-hasher.js';
import { assertPasswordAcceptable, MAX_PASSWORD_LENGTH, type PasswordPolicy } from './password-policy.js';

const USERNAME_RE = /^[a-z0-9][a-z0-9._@+-]{0,63}$/;
const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

export interface NewUserInput {
  username: string;
  password: string;
  email?: string | null;
  name?: string | null;
  emailVerified?: boolean;
  /** Every sign-in of this person needs a second factor. */
  mfaRequired?: boolean;
  /** The admin scopes of an operator (see {@link UserService.setAdminScopes}); absent: not one. */
  adminScopes?: readonly string[];
}

export interface UserProfilePatch {
  username?: string;
  email?: string | null;
  name?: string | null;
  emailVerified?: boolean;
  mfaRequired?: boolean;
}

export interface UserService {
  /** `grantorScopes`: what the caller holds, when `input.adminScopes` makes the person an operator. */
  create(input: NewUserInput, actor: string, grantorScopes?: readonly string[]): Promise<UserRecord>;
  find(id: string): Promise<UserRecord | undefined>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  list(options?: PageOptions): Promise<Page<UserRecord>>;
  updateProfile(id: string, patch: UserProfilePatch, actor: string): Promise<UserRecord>;
  setPassword(id: string, password: string, actor: string): Promise<UserRecord>;
  setDisabled(id: string, disabled: boolean, actor: string): Promise<UserRecord>;
  /**
   * Makes the person an operator holding `scopes` (admin scopes, tokens/admin-tokens/scopes.ts), or
   * no longer one (null). Whoever grants may only hand out, or change a role holding, scopes it
   * holds itself (`grantorScopes`).
   * The admin API reads the person's scopes on every request, so a change applies at once.
   */
  setAdminScopes(
    id: string,
    scopes: readonly string[] | null,
    actor: string,
    grantorScopes: readonly string[],
  ): Promise<UserRecord>;
  delete(id: string, actor: string): Promise<void>;
  /**
   * The login check: the user when `username` exists, is enabled and `password` matches; otherwise
   * undefined, after the same argon2 work in every case (no enumeration by answer or by timing).
   */
  authenticate(username: string, password: string): Promise<UserRecord | undefined>;
  /**
   * True while `authenticate` would be refused at once for load (every password check running and
   * waiting is taken): the same for every username, so it reveals nothing about any account.
   */
  verificationsFull(): boolean;
  /** Ends every session and revokes every token of the user (password change, disable, admin). */
  revokeEverything(userId: string): Promise<void>;
}

export interface UserServiceDeps {
  store: UserStore &
    Pick<SubjectChoiceStore, 'listSubjectChoices'> &
    Pick<SessionStore, 'deleteSessions'> &
    Pick<RefreshTokenStore, 'revokeRefreshTokens'> &
    Pick<AccessTokenStore, 'revokeAccessTokensBy'>;
  revocations: Pick<Revocations, 'revoke'>;
  hasher: PasswordHasher;
  clock: Clock;
  bus: EventBus;
  audit: AuditLog;
  policy: PasswordPolicy;
  /** Longest access-token lifetime: how long a subject revocation must stay in force. */
  maxAccessTokenTtl: number;
  /**
   * Revokes every API key the user owns (streamed to verifiers); called when the user is deleted.
   * Disabling needs no call: keys of a disabled owner answer `disabled` (see owner-status.ts).
   */
  revokeApiKeysOf?: (owner: string, actor: string) => Promise<number>;
  /** Tells verifiers of a password change (OpenID CAEP `credential-change`). */
  credentialChanges?: Pick<CredentialChanges, 'changed'>;
}

/** A password was ever set: people who signed up with a wallet have none (see authn/siwe.ts). */
export function hasPassword(user: UserRecord): boolean {
  return user.passwordHash.startsWith('$');
}

/** NFKC + lower case: the one spelling under which a username is stored and found. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

function parseUsername(raw: string): string {
  const username = normalizeUsername(raw);
  if (!USERNAME_RE.test(username)) {
    throw OAuthError.invalidRequest(
      'username must be 1 to 64 characters: letters, digits and . _ @ + - (starting with a letter or digit)',
    );
  }
  return username;
}

function parseEmail(raw: string | null | undefined): string | null {
  if (raw === undefined || raw === null || raw === '') {
    return null;
  }
  const email = raw.trim();
  if (!EMAIL_RE.test(email)) {
    throw OAuthError.invalidRequest('email is not an email address');
  }
  return email;
}

function parseName(raw: string | null | undefined): string | null {
  if (raw === undefined || raw === null || raw.trim() === '') {
    return null;
  }
  if (raw.length > 200 || /[\p{Cc}]/u.test(raw)) {
    throw OAuthError.invalidRequest('name must be at most 200 characters without control characters');
  }
  return raw.trim();
}

export function createUserService(deps: UserServiceDeps): UserService {
  const { store, clock } = deps;

  async function requireUser(id: string): Promise<UserRecord> {
    const user = await store.findUser(id);
    if (user === undefined) {
      throw OAuthError.notFound('No such user');
    }
    return user;
  }

  async function update(id: string, patch: Parameters<UserStore['updateUser']>[1]): Promise<UserRecord> {
    try {
      return await store.updateUser(id, patch, clock.now());
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw OAuthError.notFound('No such user');
      }
      if (error instanceof ConflictError) {
        throw OAuthError.conflict('That username is taken');
      }
      throw error;
    }
  }

  /** Valid admin scopes the grantor holds, or a clear error. */
  function grantableScopes(scopes: readonly string[], grantorScopes: readonly string[]): string[] {
    let parsed: string[];
    try {
      parsed = parseAdminScopes(scopes);
    } catch (error) {
      throw OAuthError.invalidRequest(error instanceof Error ? error.message : 'Invalid admin scopes');
    }
    const beyond = parsed.find((scope) => !allowsAdminScope(grantorScopes, scope));
    if (beyond !== undefined) {
      throw OAuthError.insufficientScope(`Cannot grant ${beyond}: the caller does not hold it`, {
        scope: beyond,
      });
    }
    return parsed;
  }

  async function revokeEverything(userId: string): Promise<void> {
    const now = clock.now();
    await store.deleteSessions({ userId });
    await store.revokeRefreshTokens({ userId }, now);
    await store.revokeAccessTokensBy({ subject: userId }, now);
    // JWT access tokens cannot be recalled: verifiers deny every token of the subject issued up to
    // now, for as long as such a token can live.
    await deps.revocations.revoke({ type: 'subject', value: userId }, now + deps.maxAccessTokenTtl);
    // Access tokens of an application the person chose a pairwise `sub` for carry that `sub`.
    for (const choice of await store.listSubjectChoices(userId)) {
      await store.revokeAccessTokensBy({ subject: choice.subject }, now);
      await deps.revocations.revoke({ type: 'subject', value: choice.subject }, now + deps.maxAccessTokenTtl);
    }
    deps.bus.publish('user.updated', { userId });
  }

  return {
    async create(input, actor, grantorScopes) {
      const username = parseUsername(input.username);
      const email = parseEmail(input.email);
      const name = parseName(input.name);
      assertPasswordAcceptable(input.password, deps.policy, username);
      const adminScopes =
        input.adminScopes === undefined ? null : grantableScopes(input.adminScopes, grantorScopes ?? []);
      const passwordHash = await deps.hasher.hash(input.password);
      const now = clock.now();
      let user: UserRecord;
      try {
        user = await store.createUser(
          {
            id: newId('usr'),
            username,
            email,
            emailVerified: input.emailVerified ?? false,
            name,
            passwordHash,
            disabled: false,
            tokensValidAfter: 0,
            mfaRequired: input.mfaRequired ?? false,
            adminScopes,
          },
          now,
        );
      } catch (error) {
        if (error instanceof ConflictError) {
          throw OAuthError.conflict('That username is taken');
        }
        throw error;
      }
      deps.audit.record({ type: 'user.created', actor, subject: user.id, data: { username } });
      if (adminScopes !== null) {
        deps.audit.record({
          type: 'user.admin_granted',
          actor,
          subject: user.id,
          data: { scopes: adminScopes },
        });
      }
      return user;
    },

    find(id) {
      return store.findUser(id);
    },

    findByUsername(username) {
      return store.findUserByUsername(normalizeUsername(username));
    },

    list(options) {
      return store.listUsers(options);
    },

    async updateProfile(id, patch, actor) {
      const out: Parameters<UserStore['updateUser']>[1] = {};
      if (patch.username !== undefined) {
        out.username = parseUsername(patch.username);
      }
      if (patch.email !== undefined) {
        out.email = parseEmail(patch.email);
      }
      if (patch.name !== undefined) {
        out.name = parseName(patch.name);
      }
      if (patch.emailVerified !== undefined) {
        out.emailVerified = patch.emailVerified;
      }
      if (patch.mfaRequired !== undefined) {
        out.mfaRequired = patch.mfaRequired;
      }
      const user = await update(id, out);
      deps.bus.publish('user.updated', { userId: id });
      deps.audit.record({ type: 'user.updated', actor, subject: id, data: { fields: Object.keys(out) } });
      return user;
    },

    async setPassword(id, password, actor) {
      const current = await requireUser(id);
      assertPasswordAcceptable(password, deps.policy, current.username);
      const passwordHash = await deps.hasher.hash(password);
      const user = await update(id, { passwordHash, tokensValidAfter: clock.now() });
      await revokeEverything(id);
      deps.audit.record({ type: 'user.password_changed', actor, subject: id, data: {} });
      // A person who signed up with a wallet sets their first password: CAEP `create`.
      await deps.credentialChanges?.changed(
        { subject: id, changeType: hasPassword(current) ? 'update' : 'create', credentialType: 'password' },
        actor,
      );
      return user;
    },

    async setDisabled(id, disabled, actor) {
      const user = await update(id, disabled ? { disabled, tokensValidAfter: clock.now() } : { disabled });
      if (disabled) {
        await revokeEverything(id);
      } else {
        // Every node's API-key owner cache drops the user, so the user's keys work again at once.
        deps.bus.publish('user.updated', { userId: id });
      }
      deps.audit.record({ type: disabled ? 'user.disabled' : 'user.enabled', actor, subject: id, data: {} });
      return user;
    },

    async setAdminScopes(id, scopes, actor, grantorScopes) {
      const adminScopes = scopes === null ? null : grantableScopes(scopes, grantorScopes);
      // Taking scopes away needs them too: a narrower operator cannot demote a broader one.
      const current = (await requireUser(id)).adminScopes ?? [];
      const beyond = current.find((scope) => !allowsAdminScope(grantorScopes, scope));
      if (beyond !== undefined) {
        throw OAuthError.insufficientScope(
          `Cannot change a role holding ${beyond}: the caller does not hold it`,
          {
            scope: beyond,
          },
        );
      }
      const user = await update(id, { adminScopes });
      deps.audit.record(
        adminScopes === null
          ? { type: 'user.admin_revoked', actor, subject: id, data: {} }
          : { type: 'user.admin_granted', actor, subject: id, data: { scopes: adminScopes } },
      );
      return user;
    },

    async delete(id, actor) {
      await requireUser(id);
      await revokeEverything(id);
      // Before the row goes, so a failure leaves a user that can be deleted again, never orphan keys.
      await deps.revokeApiKeysOf?.(id, actor);
      try {
        await store.deleteUser(id);
      } catch (error) {
        if (error instanceof NotFoundError) {
          throw OAuthError.notFound('No such user');
        }
        throw error;
      }
      deps.bus.publish('user.updated', { userId: id });
      deps.audit.record({ type: 'user.deleted', actor, subject: id, data: {} });
    },

    verificationsFull: () => deps.hasher.full?.() === true,

    async authenticate(username, password) {
      // Bound argon2's input (and so its work) before any lookup.
      if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH * 4) {
        await deps.hasher.verifyDummy('x');
        return undefined;
      }
      const user = await store.findUserByUsername(normalizeUsername(username));
      if (user === undefined) {
        await deps.hasher.verifyDummy(password);
        return undefined;
      }
      const ok = await deps.hasher.verify(user.passwordHash, password);
      return ok && !user.disabled ? user : undefined;
    },

    revokeEverything,
  };
}
