/**
 * Revocations: persisted, published on the bus (`revocation.created`, streamed to verifiers by
 * `GET /revocations/stream`), and kept in an in-memory denylist for local checks (DESIGN §5).
 *
 * The denylist is loaded from the store at startup, kept current from `revocation.created` events
 * (published here or relayed from other nodes) and pruned once entries expire: after its
 * `expiresAt` no token a revocation names can still be valid, so forgetting it is safe.
 * `isRevoked` is a handful of Map lookups and never touches the database (DESIGN §4).
 */
import { consentTargetValue, type RevocationEvent, type RevocationTarget } from '@tessera/protocol';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events/bus.js';
import type { RevocationStore } from '../store/ports.js';

export interface Revocations {
  /** Records the revocation (store), adds it to the denylist and publishes it on the bus. */
  revoke(target: RevocationTarget, expiresAt: number): Promise<RevocationEvent>;
  /**
   * True when a token with these claims is revoked: its `jti`, its client, its subject, its
   * grant family, its login session or the subject's consent to its client was revoked at or after
   * its `iat`.
   */
  isRevoked(token: {
    jti: string;
    clientId: string;
    subject: string;
    issuedAt: number;
    grantId?: string | null;
    /** The login session (`sid`) the token was issued under, if any. */
    sessionId?: string | null;
  }): boolean;
}

export interface RevocationDenylist extends Revocations {
  /** True while a revocation of exactly this target is in force (API keys, opaque-token hashes). */
  hasTarget(target: RevocationTarget): boolean;
  /** Subscribes to the bus and loads the revocations still in force. Call once before serving. */
  start(): Promise<void>;
  /** Drops entries whose expiry has passed (also runs on a timer once started). */
  prune(): void;
  /** Stops the prune timer and the bus subscription. */
  stop(): void;
}

export interface RevocationsDeps {
  store: Pick<RevocationStore, 'addRevocation' | 'listActiveRevocations'>;
  bus: EventBus;
  clock: Clock;
  /** Milliseconds between prunes (default 60 s). */
  pruneIntervalMs?: number;
}

/** One entry: the latest revocation time of a target and until when it matters. */
interface Entry {
  revokedAt: number;
  expiresAt: number;
}

type TargetType = RevocationTarget['type'];

export function createRevocations(deps: RevocationsDeps): RevocationDenylist {
  const byType = new Map<TargetType, Map<string, Entry>>();
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;

  function tableOf(type: TargetType): Map<string, Entry> {
    let table = byType.get(type);
    if (table === undefined) {
      table = new Map();
      byType.set(type, table);
    }
    return table;
  }

  /** Idempotent: the same event may arrive from the store, the local publish and a bridge. */
  function apply(event: RevocationEvent): void {
    if (event.expiresAt <= deps.clock.now()) {
      return;
    }
    const table = tableOf(event.target.type);
    const previous = table.get(event.target.value);
    table.set(event.target.value, {
      revokedAt: Math.max(previous?.revokedAt ?? event.revokedAt, event.revokedAt),
      expiresAt: Math.max(previous?.expiresAt ?? event.expiresAt, event.expiresAt),
    });
  }

  /** "Issued at or before the revocation": a token of that second is revoked too (fail closed). */
  function revokedSince(type: TargetType, value: string | null | undefined, issuedAt: number): boolean {
    if (value === null || value === undefined) {
      return false;
    }
    const entry = byType.get(type)?.get(value);
    return entry !== undefined && issuedAt <= entry.revokedAt && entry.expiresAt > deps.clock.now();
  }

  function prune(): void {
    const now = deps.clock.now();
    for (const table of byType.values()) {
      for (const [value, entry] of table) {
        if (entry.expiresAt <= now) {
          table.delete(value);
        }
      }
    }
  }

  return {
    async revoke(target, expiresAt) {
      const event = await deps.store.addRevocation(target, deps.clock.now(), expiresAt);
      apply(event);
      deps.bus.publish('revocation.created', event);
      return event;
    },

    isRevoked(token) {
      const jti = byType.get('jti')?.get(token.jti);
      if (jti !== undefined && jti.expiresAt > deps.clock.now()) {
        return true;
      }
      return (
        revokedSince('client', token.clientId, token.issuedAt) ||
        revokedSince('subject', token.subject, token.issuedAt) ||
        revokedSince('family', token.grantId, token.issuedAt) ||
        revokedSince('session', token.sessionId, token.issuedAt) ||
        // Built only while a consent revocation is in force: the common path allocates nothing.
        ((byType.get('consent')?.size ?? 0) > 0 &&
          revokedSince('consent', consentTargetValue(token.clientId, token.subject), token.issuedAt))
      );
    },

    hasTarget(target) {
      const entry = byType.get(target.type)?.get(target.value);
      return entry !== undefined && entry.expiresAt > deps.clock.now();
    },

    async start() {
      // Subscribe first, then load: an event that lands in between is applied twice, never lost.
      unsubscribe ??= deps.bus.subscribe('revocation.created', apply);
      for (const event of await deps.store.listActiveRevocations(deps.clock.now())) {
        apply(event);
      }
      timer ??= setInterval(prune, deps.pruneIntervalMs ?? 60_000).unref();
    },

    prune,

    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      if (timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
    },
  };
}
