/**
 * Scoring a sign-in session's stream of token uses (continuous authentication, docs/risk.md): the
 * uses verifiers report to Tessera, each a time, a network digest and an endpoint, are compared
 * with the session's own past, not with anyone else's. Pure and synchronous; memory is bounded
 * (sessions least recently used are forgotten past `maxSessions`; per session at most
 * `maxEndpoints` endpoints and `maxNetworks` networks are remembered).
 *
 * Factors (natural-log units, as the sign-in engine's):
 * - `usage_rate`: the last minute's rate against the session's own average before it, beyond a
 *   tolerance of {@link RATE_TOLERANCE}× (a script draining an API through a stolen token).
 * - `usage_endpoint`: an endpoint the session never used, weighted by how settled its mix is:
 *   ln((uses + 1) / (distinct endpoints + 1)): 50 uses on 2 endpoints make a third cost 2.8, a
 *   session that roams over many endpoints pays little.
 * - `usage_network`: a network the session never used (a move: Wi-Fi to carrier, or a replay).
 * - `usage_concurrent`: interleaved use from two networks within `concurrentWindowMs`, i.e. a
 *   network used, another since, and the first again: two holders of one session at once. A plain
 *   move (A then B) is only `usage_network`.
 *
 * Nothing here sees an address: `network` is whatever digest the caller gives (a verifier sends a
 * hash of the /24 salted with the session id, see {@link usageNetwork}).
 *
 * A session's state goes out and comes back as a JSON-safe {@link SessionUsageSnapshot}
 * (`snapshot`/`restore`), so a server can keep it in a store shared by its nodes and score each
 * batch on what every node saw: restore, observe, snapshot, write back.
 */
import { createHash } from 'node:crypto';
import { bounded, isPairList, noveltySurprise } from './bounded-map.js';
import { networkBucket } from './token-context.js';

export interface SessionUse {
  session: string;
  /** Milliseconds since the epoch. */
  at: number;
  /** A digest of the client's network; equal digests mean the same network. */
  network: string;
  /** The endpoint used, e.g. `GET /cookies` (a route pattern, not a URL with ids in it). */
  endpoint: string;
}

export interface SessionUsageFactor {
  name: 'usage_rate' | 'usage_endpoint' | 'usage_network' | 'usage_concurrent';
  value: number;
}

export interface SessionUsageAssessment {
  score: number;
  factors: SessionUsageFactor[];
}

/** What Tessera does about a session: audit it, demand a fresh sign-in at a higher level, or end it. */
export type SessionUsageAction = 'allow' | 'flag' | 'step_up' | 'end';

export interface SessionUsageScorerOptions {
  /** Sessions remembered (least recently used forgotten first). Default 100 000. */
  maxSessions?: number;
  /** Endpoints remembered per session. Default 32. */
  maxEndpoints?: number;
  /** Networks remembered per session. Default 8. */
  maxNetworks?: number;
  /** Two networks used interleaved within this window are concurrent use. Default 60 000 ms. */
  concurrentWindowMs?: number;
  /** Uses before rate and endpoint mix are judged. Default 10. */
  warmupUses?: number;
}

/**
 * A session's state as plain JSON: `recent` are the use times of the last minute as milliseconds
 * before `lastAt` (small integers); `endpoints` endpoint → uses; `networks` network → last use.
 */
export interface SessionUsageSnapshot {
  v: 1;
  firstAt: number;
  uses: number;
  lastAt: number;
  recent: number[];
  endpoints: [string, number][];
  networks: [string, number][];
}

export interface SessionUsageScorer {
  /** Scores one use against the session's past, then adds it to that past. */
  observe(use: SessionUse): SessionUsageAssessment;
  /** Forgets a session (ended). */
  forget(session: string): void;
  /** The session's state as JSON-safe data, or undefined when this scorer holds none. */
  snapshot(session: string): SessionUsageSnapshot | undefined;
  /**
   * Replaces what this scorer holds for the session with a snapshot (`undefined`: nothing, a session
   * never used). False, and the session forgotten, when the snapshot is malformed; sizes beyond
   * this scorer's bounds are cut to them.
   */
  restore(session: string, snapshot: unknown): boolean;
  readonly size: number;
}

/** A rate up to this multiple of the session's own average costs nothing. */
export const RATE_TOLERANCE = 10;
const MINUTE = 60_000;
const NEW_NETWORK = 2;
const CONCURRENT = 6;
/** Uses per minute remembered per session: a rate above this counts as this. */
const MAX_RECENT = 1000;

interface SessionState {
  firstAt: number;
  uses: number;
  /** Use times within the last minute (at most MAX_RECENT; trimmed on every use). */
  recent: number[];
  endpoints: Map<string, number>;
  /** Network → last use time. */
  networks: Map<string, number>;
}

/** The default policy: concurrent use ends the session, a strong anomaly demands a step-up. */
export function defaultSessionUsagePolicy(assessment: SessionUsageAssessment): SessionUsageAction {
  if (assessment.score >= 6) {
    return 'end';
  }
  if (assessment.score >= 3) {
    return 'step_up';
  }
  return assessment.score > 0 ? 'flag' : 'allow';
}

/**
 * The network digest a verifier reports: the first 64 bits of SHA-256 over the session id and the
 * address's /24 (IPv4) or /48 (IPv6), base64url. Salted per session, so Tessera can tell a
 * session's networks apart but cannot link networks across sessions or read the address.
 */
export function usageNetwork(session: string, ip: string | undefined): string {
  return createHash('sha256')
    .update(`${session}\u0000${networkBucket(ip)}`)
    .digest()
    .subarray(0, 8)
    .toString('base64url');
}

function isSnapshot(value: unknown): value is SessionUsageSnapshot {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const s = value as Record<string, unknown>;
  return (
    s.v === 1 &&
    ['firstAt', 'uses', 'lastAt'].every((name) => typeof s[name] === 'number' && Number.isFinite(s[name])) &&
    Array.isArray(s.recent) &&
    s.recent.every((t) => typeof t === 'number' && Number.isFinite(t)) &&
    isPairList(s.endpoints) &&
    isPairList(s.networks)
  );
}

/** The `max` entries `smaller` ranks highest, as a map (a stored state cut to this scorer's bounds). */
function top(pairs: [string, number][], max: number): Map<string, number> {
  const map = new Map(pairs);
  while (map.size > max) {
    bounded(map, map.size - 1, (a, b) => a < b);
  }
  return map;
}

function rateFactor(state: SessionState, at: number, warmup: number): number {
  const earlier = state.uses - state.recent.length;
  const span = at - MINUTE - state.firstAt;
  if (state.uses < warmup || span < MINUTE || earlier <= 0) {
    return 0;
  }
  const perMinuteBefore = (earlier / span) * MINUTE;
  const perMinuteNow = state.recent.length + 1;
  return Math.max(0, Math.log(perMinuteNow / (perMinuteBefore * RATE_TOLERANCE)));
}

function networkFactors(state: SessionState, use: SessionUse, windowMs: number): SessionUsageFactor[] {
  if (state.uses === 0) {
    return [];
  }
  const last = state.networks.get(use.network);
  if (last === undefined) {
    return [{ name: 'usage_network', value: NEW_NETWORK }];
  }
  for (const [network, at] of state.networks) {
    if (network !== use.network && at >= last && use.at - last <= windowMs) {
      return [{ name: 'usage_concurrent', value: CONCURRENT }];
    }
  }
  return [];
}

export function createSessionUsageScorer(options: SessionUsageScorerOptions = {}): SessionUsageScorer {
  const maxSessions = options.maxSessions ?? 100_000;
  const maxEndpoints = options.maxEndpoints ?? 32;
  const maxNetworks = options.maxNetworks ?? 8;
  const windowMs = options.concurrentWindowMs ?? MINUTE;
  const warmup = options.warmupUses ?? 10;
  const sessions = new Map<string, SessionState>();

  function stateOf(use: SessionUse): SessionState {
    const state = sessions.get(use.session) ?? {
      firstAt: use.at,
      uses: 0,
      recent: [],
      endpoints: new Map<string, number>(),
      networks: new Map<string, number>(),
    };
    // Map order is insertion order: re-inserting makes it the most recently used.
    sessions.delete(use.session);
    sessions.set(use.session, state);
    if (sessions.size > maxSessions) {
      sessions.delete(sessions.keys().next().value as string);
    }
    return state;
  }

  return {
    observe(use) {
      const state = stateOf(use);
      state.recent = state.recent.filter((t) => t > use.at - MINUTE);
      const factors: SessionUsageFactor[] = [];
      const rate = rateFactor(state, use.at, warmup);
      if (rate > 0) {
        factors.push({ name: 'usage_rate', value: rate });
      }
      if (state.uses >= warmup && !state.endpoints.has(use.endpoint)) {
        const value = noveltySurprise(state.uses, state.endpoints.size);
        if (value > 0) {
          factors.push({ name: 'usage_endpoint', value });
        }
      }
      factors.push(...networkFactors(state, use, windowMs));

      state.uses += 1;
      state.recent.push(use.at);
      if (state.recent.length > MAX_RECENT) {
        state.recent.shift();
      }
      state.endpoints.set(use.endpoint, (state.endpoints.get(use.endpoint) ?? 0) + 1);
      bounded(state.endpoints, maxEndpoints, (a, b) => a < b);
      state.networks.set(use.network, Math.max(use.at, state.networks.get(use.network) ?? 0));
      bounded(state.networks, maxNetworks, (a, b) => a < b);

      factors.sort((a, b) => b.value - a.value);
      return { score: factors.reduce((sum, f) => sum + f.value, 0), factors };
    },
    forget(session) {
      sessions.delete(session);
    },
    snapshot(session) {
      const state = sessions.get(session);
      if (state === undefined) {
        return undefined;
      }
      const lastAt = state.recent.reduce((a, b) => Math.max(a, b), state.firstAt);
      return {
        v: 1,
        firstAt: state.firstAt,
        uses: state.uses,
        lastAt,
        recent: state.recent.map((t) => lastAt - t),
        endpoints: [...state.endpoints],
        networks: [...state.networks],
      };
    },
    restore(session, snapshot) {
      sessions.delete(session);
      if (snapshot === undefined) {
        return true;
      }
      if (!isSnapshot(snapshot)) {
        return false;
      }
      sessions.set(session, {
        firstAt: snapshot.firstAt,
        uses: snapshot.uses,
        recent: snapshot.recent.slice(-MAX_RECENT).map((ago) => snapshot.lastAt - ago),
        endpoints: top(snapshot.endpoints, maxEndpoints),
        networks: top(snapshot.networks, maxNetworks),
      });
      if (sessions.size > maxSessions) {
        sessions.delete(sessions.keys().next().value as string);
      }
      return true;
    },
    get size() {
      return sessions.size;
    },
  };
}
