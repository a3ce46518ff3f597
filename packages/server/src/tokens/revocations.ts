/**
 * Revocations: persisted, published on the bus (`revocation.created`, streamed to verifiers by
 * `GET /revocations/stream`), and kept in an in-memory denylist for local checks (DESIGN §5).
 *
 * The denylist is loaded from the store at startup, kept current from `revocation.created` events
 * (published here or relayed from other nodes) and pruned once entries expire: after its
 * `expiresAt` no token a revocation names can still be valid, so forgetting it is safe.
 * `isRevoked` is a handful of Map lookups and never touches the database (DESIGN §4).
 *
 * Bus events can be lost: a node whose bus connection was down never hears what other nodes revoked
 * meanwhile. So the denylist also reads the store's ordered revocation log from the highest id it
 * has read (`lastAppliedId`): at once on every `events.missed` (a bus reconnect), and on a timer (`pollIntervalMs`)
 * as a safety net for a bus that is down or silently deaf; while the bus is down, each poll that
 * reaches the store also delivers `events.missed` so the caches drop what they hold. A revocation found there that the bus did
 * not bring is applied and delivered on the local bus (`publishLocal`), so this node's caches and
 * its revocation stream see it too; it is never sent to other nodes again. Ids become visible in id
 * order (the store serialises revocation writers), so reading after the highest id misses nothing.
 */
import {
  type AccessTokenClaims,
  consentTargetValue,
  type RevocationEvent,
  type RevocationTarget,
} from '@tessera/protocol';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events/bus.js';
import type { AccessTokenRecord, RevocationStore } from '../store/ports.js';

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

/** What {@link Revocations.isRevoked} needs to know about a token. */
export type RevocableToken = Parameters<Revocations['isRevoked']>[0];

/** The revocable facts of a verified JWT access token (RFC 9068 claims plus `gid` and `sid`). */
export function revocableJwt(claims: AccessTokenClaims): RevocableToken {
  return {
    jti: claims.jti,
    clientId: claims.client_id,
    subject: claims.sub,
    issuedAt: claims.iat,
    grantId: typeof claims.gid === 'string' ? claims.gid : null,
    sessionId: typeof claims.sid === 'string' ? claims.sid : null,
  };
}

/** The revocable facts of a stored opaque access token. */
export function revocableOpaque(record: AccessTokenRecord): RevocableToken {
  return {
    jti: record.jti,
    clientId: record.clientId,
    subject: record.subject,
    issuedAt: record.issuedAt,
    grantId: record.grantId,
    sessionId: typeof record.claims.sid === 'string' ? record.claims.sid : null,
  };
}

export interface RevocationDenylist extends Revocations {
  /** True while a revocation of exactly this target is in force (API keys, opaque-token hashes). */
  hasTarget(target: RevocationTarget): boolean;
  /** Subscribes to the bus and loads the revocations still in force. Call once before serving. */
  start(): Promise<void>;
  /** Drops entries whose expiry has passed (also runs on a timer once started). */
  prune(): void;
  /**
   * Reads the revocations recorded after `lastAppliedId` and applies them (the replay). Runs on
   * every bus reconnect and every poll; concurrent calls share one read.
   */
  sync(): Promise<void>;
  /** How current the denylist is, for metrics. */
  syncState(): RevocationSyncState;
  /** Stops the timers and the bus subscriptions. */
  stop(): void;
}

export interface RevocationSyncState {
  /** The highest revocation id read from the store. */
  lastAppliedId: number;
  /** When the denylist was last known complete against the store (epoch ms; 0 before start). */
  syncedAt: number;
  /** Revocations that reached this node only through a replay or poll (the bus missed them). */
  replayed: number;
}

export interface RevocationsDeps {
  store: Pick<
    RevocationStore,
    'addRevocation' | 'listActiveRevocations' | 'listRevocationsSince' | 'latestRevocationId'
  >;
  bus: EventBus;
  clock: Clock;
  /** Milliseconds between prunes (default 60 s). */
  pruneIntervalMs?: number;
  /** Milliseconds between reads of the store's revocation log (default 5 s; 0: no poll). */
  pollIntervalMs?: number;
  /** Told when a replay or poll fails (it is retried on the next one). */
  onError?: (error: unknown) => void;
  /** Milliseconds the cross-node bus has been down, or undefined while it is up (or absent). */
  busDownMs?: () => number | undefined;
  /** Told of each revocation made here (not of those relayed from other nodes): the usage counters. */
  onRevoked?: (target: RevocationTarget) => void;
  /**
   * Awaited for each revocation made here, once stored and before it is published (the SSF
   * transmitter queues its SETs, so whoever the publication wakes finds them). Failures go to
   * `onError`; the revocation stands and is published all the same.
   */
  beforePublish?: (event: RevocationEvent) => Promise<void>;
}

/** Revocations read per query during a replay. */
const PAGE = 500;
/** Ids heard on the bus but not yet read from the store; past this, forget them (a duplicate local delivery is harmless). */
const MAX_HEARD = 100_000;

/** One entry: the latest revocation time of a target and until when it matters. */
interface Entry {
  revokedAt: number;
  expiresAt: number;
}

type TargetType = RevocationTarget['type'];

export function createRevocations(deps: RevocationsDeps): RevocationDenylist {
  const byType = new Map<TargetType, Map<string, Entry>>();
  let timer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let unsubscribeReconnect: (() => void) | undefined;
  let stopped = false;
  /** The replay position: every revocation with an id up to this one has been applied. */
  let lastAppliedId = 0;
  let syncedAt = 0;
  let replayed = 0;
  /** Ids above `lastAppliedId` already applied from the bus: a replay does not deliver them again. */
  const heard = new Set<number>();
  let inflight: Promise<void> | undefined;
  let again = false;

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

  function onEvent(event: RevocationEvent): void {
    apply(event);
    if (event.id > lastAppliedId) {
      if (heard.size >= MAX_HEARD) {
        heard.clear();
      }
      heard.add(event.id);
    }
  }

  async function readLog(): Promise<void> {
    const startedAt = Date.now();
    for (;;) {
      const page = await deps.store.listRevocationsSince(lastAppliedId, PAGE);
      for (const event of page) {
        if (!heard.delete(event.id)) {
          // Missed by the bus (or published before we subscribed): apply it and tell this node.
          apply(event);
          if (event.expiresAt > deps.clock.now()) {
            replayed += 1;
            deps.bus.publishLocal('revocation.created', event);
          }
        }
        lastAppliedId = Math.max(lastAppliedId, event.id);
      }
      if (page.length < PAGE) {
        break;
      }
    }
    for (const id of heard) {
      if (id <= lastAppliedId) {
        heard.delete(id);
      }
    }
    syncedAt = startedAt;
  }

  function sync(): Promise<void> {
    if (inflight !== undefined) {
      // A read is under way and may have started before the event that asks for this one.
      again = true;
      return inflight;
    }
    inflight = (async () => {
      try {
        do {
          again = false;
          await readLog();
        } while (again && !stopped);
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  function syncInBackground(): void {
    sync().catch((error: unknown) => deps.onError?.(error));
  }

  function poll(): void {
    const downMs = deps.busDownMs?.();
    if (downMs === undefined) {
      syncInBackground();
      return;
    }
    // While the bus is down nothing tells this node what other nodes change: the log is read, and
    // once the store has answered the caches drop what they hold (through this event's subscribers).
    // While the store does not answer either, nothing changed that this node could read, so the
    // caches keep serving what needs no database (DESIGN §4) until their own TTL.
    sync().then(
      () => deps.bus.publishLocal('events.missed', { cause: 'bus down', downMs }),
      (error: unknown) => deps.onError?.(error),
    );
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
      if (deps.beforePublish !== undefined) {
        await deps.beforePublish(event).catch((error: unknown) => deps.onError?.(error));
      }
      deps.bus.publish('revocation.created', event);
      deps.onRevoked?.(target);
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
      // The replay position is read before the load, so the first poll re-reads rather than skips.
      stopped = false;
      unsubscribe ??= deps.bus.subscribe('revocation.created', onEvent);
      unsubscribeReconnect ??= deps.bus.subscribe('events.missed', syncInBackground);
      const startedAt = Date.now();
      const latest = await deps.store.latestRevocationId();
      for (const event of await deps.store.listActiveRevocations(deps.clock.now())) {
        apply(event);
      }
      lastAppliedId = Math.max(lastAppliedId, latest);
      syncedAt = startedAt;
      timer ??= setInterval(prune, deps.pruneIntervalMs ?? 60_000).unref();
      const pollMs = deps.pollIntervalMs ?? 5000;
      if (pollMs > 0) {
        pollTimer ??= setInterval(poll, pollMs).unref();
      }
    },

    prune,

    sync,

    syncState() {
      return { lastAppliedId, syncedAt, replayed };
    },

    stop() {
      stopped = true;
      unsubscribe?.();
      unsubscribe = undefined;
      unsubscribeReconnect?.();
      unsubscribeReconnect = undefined;
      for (const handle of [timer, pollTimer]) {
        if (handle !== undefined) {
          clearInterval(handle);
        }
      }
      timer = undefined;
      pollTimer = undefined;
    },
  };
}
