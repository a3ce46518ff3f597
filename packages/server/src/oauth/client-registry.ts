/**
 * The client registry: ClientRecords by id, served from memory (DESIGN §4: the token hot path
 * touches no database row).
 *
 * - Bounded LRU; a miss loads from the store, and concurrent misses for one id share one load.
 * - Unknown ids are remembered briefly (negative cache), so a flood of made-up client ids costs one
 *   query per id per `negativeTtlMs`, not one per request.
 * - `client.updated` / `client.deleted` bus events (local, or relayed from other nodes) evict the
 *   entry. A load that raced with an eviction is not cached, so a stale record never sticks.
 * - Positive entries also expire after `ttlMs`, a safety net should a cross-node event be lost.
 * - `events.missed` empties the cache (events sent while this node's bus was down are lost), and a
 *   `client` revocation evicts that client, so a disable that reached this node only through the
 *   revocation poll still takes effect before the TTL.
 * - Ids no registered client has may be resolved by a {@link ClientResolver} (a DID, a Client ID
 *   Metadata Document URL): the resolved record is cached like a stored one, for the resolver's
 *   TTL. A registered record always wins, so an admin pre-registers such an id with more rights,
 *   or blocks it, by storing a client under that very id (disabled, to block). A resolver that
 *   asks for it gets a row stored under the id (`source` set) the first time, which the client's
 *   codes, consents and refresh tokens refer to; that row never supplies metadata, only a block.
 */
import { LRUCache } from 'lru-cache';
import type { EventBus } from '../events/bus.js';
import { type ClientRecord, type ClientStore, ConflictError } from '../store/ports.js';

export interface ClientRegistry {
  /** The client, or undefined when unknown. */
  get(id: string): Promise<ClientRecord | undefined>;
  /**
   * What {@link get} would answer from memory, without a promise: the cached client, `undefined`
   * for an id remembered as unknown (or never valid), or {@link NOT_CACHED} when only a load can
   * tell (the caller then takes {@link get}).
   */
  peek(id: string): ClientRecord | undefined | typeof NOT_CACHED;
  /** Forgets one client (also done on `client.updated` / `client.deleted`). */
  invalidate(id: string): void;
  /** Unsubscribes from the bus. */
  close(): void;
}

/**
 * Turns a client id that no stored client has into a client record built from what the id names
 * (a DID document, a metadata document), bounded by the unregistered-client policy.
 */
export interface ClientResolver {
  /** True when this resolver handles ids of this shape (a cheap syntactic check, no I/O). */
  matches(id: string): boolean;
  /**
   * The client, or undefined when the id cannot be resolved (malformed, unreachable, refused).
   * `anchor`: store a row under the id (its flows write rows that refer to the client).
   */
  resolve(id: string): Promise<{ client: ClientRecord; ttlMs: number; anchor?: boolean } | undefined>;
}

export interface ClientRegistryDeps {
  store: Pick<ClientStore, 'findClient'> & Partial<Pick<ClientStore, 'createClient'>>;
  bus: EventBus;
  /** Most clients kept in memory (default 10 000). */
  maxEntries?: number;
  /** Milliseconds a loaded client is trusted without an event (default 5 minutes). */
  ttlMs?: number;
  /** Milliseconds an unknown id is remembered as unknown (default 5 s). */
  negativeTtlMs?: number;
  /** Resolvers for ids no stored client has, tried in order (empty: stored clients only). */
  resolvers?: readonly ClientResolver[];
}

/** Longest client id ever looked up: anything longer is garbage and never reaches the store. */
const MAX_ID_LENGTH = 128;
/** Longest id handed to a resolver (a did:jwk carries a whole JWK). */
const MAX_RESOLVED_ID_LENGTH = 2048;

const UNKNOWN = Symbol('unknown client');

/** {@link ClientRegistry.peek}'s answer when the client is not in memory. */
export const NOT_CACHED: unique symbol = Symbol('client not cached');

/** A DID or an https URL: ids that may be longer than a minted one (stored or resolved). */
function isExternalShape(id: string): boolean {
  return id.startsWith('did:') || id.startsWith('https://');
}

export function createClientRegistry(deps: ClientRegistryDeps): ClientRegistry {
  const negativeTtl = deps.negativeTtlMs ?? 5_000;
  const cache = new LRUCache<string, ClientRecord | typeof UNKNOWN>({
    max: deps.maxEntries ?? 10_000,
    ttl: deps.ttlMs ?? 300_000,
    // The hot path should not pay for a clock read per hit beyond what lru-cache needs.
    ttlAutopurge: false,
  });
  /** One load per id at a time; an eviction detaches the load in flight so its result is dropped. */
  const inflight = new Map<string, Promise<ClientRecord | undefined>>();

  function invalidate(id: string): void {
    cache.delete(id);
    inflight.delete(id);
  }

  const resolvers = deps.resolvers ?? [];

  function resolverOf(id: string): ClientResolver | undefined {
    return resolvers.find((resolver) => resolver.matches(id));
  }

  /** The stored client, else the resolved one, with how long to trust it (undefined: the default). */
  async function find(id: string): Promise<{ record: ClientRecord | undefined; ttl?: number }> {
    const stored = await deps.store.findClient(id);
    // A registered client, or a blocked one, is what is stored.
    if (stored !== undefined && (stored.source === undefined || stored.disabled)) {
      return { record: stored };
    }
    const resolved = await resolverOf(id)?.resolve(id);
    if (resolved === undefined) {
      return { record: undefined };
    }
    if (resolved.anchor === true && stored === undefined) {
      await anchor(resolved.client);
    }
    return { record: resolved.client, ttl: resolved.ttlMs };
  }

  /** Stores the row an unregistered client's codes and tokens refer to (once; a race is harmless). */
  async function anchor(client: ClientRecord): Promise<void> {
    try {
      await deps.store.createClient?.({ ...client, secrets: [] }, client.createdAt);
    } catch (error) {
      if (!(error instanceof ConflictError)) {
        throw error;
      }
    }
  }

  function load(id: string): Promise<ClientRecord | undefined> {
    const pending = find(id).then(
      ({ record, ttl }) => {
        // Cache only if no eviction happened meanwhile (the load is still the current one).
        if (inflight.get(id) === pending) {
          inflight.delete(id);
          cache.set(
            id,
            record ?? UNKNOWN,
            record === undefined ? { ttl: negativeTtl } : ttl === undefined ? {} : { ttl },
          );
        }
        return record;
      },
      (error: unknown) => {
        if (inflight.get(id) === pending) {
          inflight.delete(id);
        }
        throw error;
      },
    );
    inflight.set(id, pending);
    return pending;
  }

  function peek(id: string): ClientRecord | undefined | typeof NOT_CACHED {
    if (
      id.length === 0 ||
      (id.length > MAX_ID_LENGTH && (id.length > MAX_RESOLVED_ID_LENGTH || !isExternalShape(id)))
    ) {
      return undefined;
    }
    const hit = cache.get(id);
    if (hit === undefined) {
      return NOT_CACHED;
    }
    return hit === UNKNOWN ? undefined : hit;
  }

  const unsubscribers = [
    deps.bus.subscribe('client.updated', ({ clientId }) => invalidate(clientId)),
    deps.bus.subscribe('client.deleted', ({ clientId }) => invalidate(clientId)),
    deps.bus.subscribe('revocation.created', ({ target }) => {
      if (target.type === 'client') {
        invalidate(target.value);
      }
    }),
    deps.bus.subscribe('events.missed', () => {
      cache.clear();
      inflight.clear();
    }),
  ];

  return {
    get(id) {
      const known = peek(id);
      return known === NOT_CACHED ? (inflight.get(id) ?? load(id)) : Promise.resolve(known);
    },
    peek,
    invalidate,
    close() {
      for (const unsubscribe of unsubscribers) {
        unsubscribe();
      }
    },
  };
}
