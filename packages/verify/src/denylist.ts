/**
 * The denylist (DESIGN §5): revocations received from the revocation stream, each kept until its
 * `expiresAt`, after which no token it names can still be valid. A `jti`, `token` (SHA-256 of an
 * opaque token) or `api_key` revocation names one credential, a `key` revocation (a pulled signing
 * key) every token that key signed, whenever issued; a `client`, `subject`, `family`, `session` or
 * `consent` (client and subject together) revocation covers every token issued at or before its
 * `revokedAt` (same-second tokens too: when
 * in doubt, refuse). An `assurance` event (OpenID CAEP `assurance-level-change`, value `sid acr`)
 * revokes nothing: it names the `acr` a session's tokens issued at or before it must reach, and
 * {@link Denylist.assuranceRequired} tells the guard which tokens fall short (RFC 9470 step-up).
 * A `credential` event (OpenID CAEP `credential-change`, value `sub change_type credential_type`)
 * revokes nothing either: {@link Denylist.credentialChanges} lists the changes of a token's subject
 * made at or after the sign-in the token comes from (`auth_time`, else `iat`), and the verifier's
 * `onCredentialChange` policy decides.
 */
import {
  type CredentialChange,
  consentTargetValue,
  parseCredentialChange,
  type RevocationEvent,
  type RevocationTarget,
} from '@tessera/protocol';
import { acrSatisfies } from './require-authentication.js';
import type { TokenFacts } from './verified-token.js';

interface Entry {
  revokedAt: number;
  expiresAt: number;
  /** `assurance` entries: the level the session's older tokens must reach. */
  acr?: string | undefined;
}

type TargetType = RevocationTarget['type'];

/** A credential change of a token's subject that the token's sign-in predates. */
export interface CredentialChangeSeen extends CredentialChange {
  /** When the change was made (seconds). */
  changedAt: number;
}

/** Kept per subject: the latest time of each kind of change (at most 4 × 7 kinds). */
interface ChangeEntry {
  change: CredentialChange;
  changedAt: number;
  expiresAt: number;
}

/**
 * The in-memory denylist.
 *
 * @example
 * ```ts
 * const denylist = createDenylist();
 * denylist.add({ id: 1, target: { type: 'jti', value: 'jti_1' }, revokedAt: 100, expiresAt: 1000 }, 100);
 * ```
 */
export interface Denylist {
  /** Applies one event; idempotent. Returns false when it had already expired at `now`. */
  add(event: RevocationEvent, now: number): boolean;
  /** True when a verified token is revoked at `now`. */
  isRevoked(facts: TokenFacts, now: number): boolean;
  /** The `acr` a token must reach after an assurance-level change of its session, if it falls short. */
  assuranceRequired(facts: TokenFacts, now: number): string | undefined;
  /** The subject's credential changes in force that its sign-in predates (empty: none). */
  credentialChanges(facts: TokenFacts, now: number): readonly CredentialChangeSeen[];
  /** True when the event covers the token (used to evict cache entries). */
  covers(event: RevocationEvent, facts: TokenFacts): boolean;
  /** Drops entries whose expiry has passed; returns how many remain. */
  prune(now: number): number;
  readonly size: number;
}

const TYPES: readonly TargetType[] = [
  'jti',
  'token',
  'family',
  'session',
  'consent',
  'client',
  'subject',
  'api_key',
  'key',
  'assurance',
];

/** What `credentialChanges` returns for a subject without changes: one frozen array, no allocation. */
const NO_CHANGES: readonly CredentialChangeSeen[] = Object.freeze([]);

/** The table key of a target: an `assurance` target is kept under its session id. */
function keyOf(target: RevocationTarget): { key: string; acr?: string } {
  if (target.type !== 'assurance') {
    return { key: target.value };
  }
  const space = target.value.indexOf(' ');
  if (space < 0) {
    return { key: '' };
  }
  return { key: target.value.slice(0, space), acr: target.value.slice(space + 1) };
}

/** The value of a token that a revocation of this type names. */
function targetValueOf(type: TargetType, facts: TokenFacts): string | undefined {
  switch (type) {
    case 'jti':
      return facts.jti;
    case 'token':
      return facts.hash;
    case 'family':
      return facts.grantId;
    case 'session':
    case 'assurance':
      return facts.sessionId;
    case 'consent':
      return facts.result.clientId && facts.result.subject
        ? consentTargetValue(facts.result.clientId, facts.result.subject)
        : undefined;
    case 'client':
      return facts.result.clientId || undefined;
    case 'subject':
      return facts.result.subject || undefined;
    case 'api_key':
      return facts.keyId;
    case 'key':
      return facts.signingKeyId;
    case 'credential':
    case 'api_key_changed':
      return undefined;
  }
}

/** When the token's sign-in happened: `auth_time` (a refresh keeps it), else `iat`. */
function signedInAt(facts: TokenFacts): number | undefined {
  const authTime = facts.result.claims.auth_time;
  return typeof authTime === 'number' && Number.isFinite(authTime) ? authTime : facts.issuedAt;
}

/** Whole-credential targets revoke regardless of `iat`; the others only tokens issued before. */
function isWholeCredential(type: TargetType): boolean {
  return type === 'jti' || type === 'token' || type === 'api_key' || type === 'key';
}

function covered(type: TargetType, entry: Entry, facts: TokenFacts): boolean {
  if (isWholeCredential(type)) {
    return true;
  }
  // Without an iat we cannot tell, so the revocation applies (fail closed).
  return facts.issuedAt === undefined || facts.issuedAt <= entry.revokedAt;
}

/**
 * Creates an empty denylist.
 *
 * @example
 * ```ts
 * const denylist = createDenylist();
 * denylist.size; // 0
 * ```
 */
export function createDenylist(): Denylist {
  const tables = new Map<TargetType, Map<string, Entry>>(TYPES.map((type) => [type, new Map()]));
  /** `credential` events: subject → `change_type credential_type` → the latest such change. */
  const changes = new Map<string, Map<string, ChangeEntry>>();
  let size = 0;

  function addChange(event: RevocationEvent, now: number): boolean {
    const change = parseCredentialChange(event.target.value);
    if (change === undefined || event.expiresAt <= now) {
      return false;
    }
    let bySubject = changes.get(change.subject);
    if (bySubject === undefined) {
      bySubject = new Map();
      changes.set(change.subject, bySubject);
    }
    const kind = `${change.changeType} ${change.credentialType}`;
    const previous = bySubject.get(kind);
    if (previous === undefined) {
      size++;
    }
    bySubject.set(kind, {
      change,
      changedAt: Math.max(previous?.changedAt ?? event.revokedAt, event.revokedAt),
      expiresAt: Math.max(previous?.expiresAt ?? event.expiresAt, event.expiresAt),
    });
    return true;
  }

  return {
    add(event, now) {
      if (event.target.type === 'credential') {
        return addChange(event, now);
      }
      const table = tables.get(event.target.type);
      const { key, acr } = keyOf(event.target);
      if (table === undefined || event.expiresAt <= now || key === '' || acr === '') {
        return false;
      }
      const previous = table.get(key);
      if (previous === undefined) {
        size++;
      }
      const later = previous === undefined || event.revokedAt >= previous.revokedAt;
      table.set(key, {
        revokedAt: Math.max(previous?.revokedAt ?? event.revokedAt, event.revokedAt),
        expiresAt: Math.max(previous?.expiresAt ?? event.expiresAt, event.expiresAt),
        acr: later ? acr : previous.acr,
      });
      return true;
    },

    isRevoked(facts, now) {
      if (size === 0) {
        return false;
      }
      for (const [type, table] of tables) {
        if (table.size === 0 || type === 'assurance') {
          continue;
        }
        const value = targetValueOf(type, facts);
        const entry = value === undefined ? undefined : table.get(value);
        if (entry !== undefined && entry.expiresAt > now && covered(type, entry, facts)) {
          return true;
        }
      }
      return false;
    },

    assuranceRequired(facts, now) {
      if (size === 0) {
        return undefined;
      }
      const sessionId = facts.sessionId;
      const entry = sessionId === undefined ? undefined : tables.get('assurance')?.get(sessionId);
      if (entry?.acr === undefined || entry.expiresAt <= now || !covered('assurance', entry, facts)) {
        return undefined;
      }
      const have = facts.result.claims.acr;
      return typeof have === 'string' && acrSatisfies(have, entry.acr) ? undefined : entry.acr;
    },

    credentialChanges(facts, now) {
      const bySubject = changes.size === 0 ? undefined : changes.get(facts.result.subject);
      if (bySubject === undefined) {
        return NO_CHANGES;
      }
      const at = signedInAt(facts);
      const seen: CredentialChangeSeen[] = [];
      for (const entry of bySubject.values()) {
        // Without a time we cannot tell, so the change applies (fail closed).
        if (entry.expiresAt > now && (at === undefined || at <= entry.changedAt)) {
          seen.push({ ...entry.change, changedAt: entry.changedAt });
        }
      }
      return seen;
    },

    covers(event, facts) {
      if (event.target.type === 'credential') {
        // Never evicts: the policy is applied on every request, cached or not.
        return false;
      }
      return (
        targetValueOf(event.target.type, facts) === keyOf(event.target).key &&
        covered(event.target.type, { revokedAt: event.revokedAt, expiresAt: event.expiresAt }, facts)
      );
    },

    prune(now) {
      for (const [subject, bySubject] of changes) {
        for (const [kind, entry] of bySubject) {
          if (entry.expiresAt <= now) {
            bySubject.delete(kind);
            size--;
          }
        }
        if (bySubject.size === 0) {
          changes.delete(subject);
        }
      }
      for (const table of tables.values()) {
        for (const [value, entry] of table) {
          if (entry.expiresAt <= now) {
            table.delete(value);
            size--;
          }
        }
      }
      return size;
    },

    get size() {
      return size;
    },
  };
}
