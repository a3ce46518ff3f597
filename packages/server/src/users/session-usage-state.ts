/**
 * Scoring a batch's uses of each session on the session's state in the store (docs/risk.md,
 * "Tessera scores each session's usage stream"), so every node scores a session on the uses every
 * node received, and a restart forgets nothing:
 *
 * - the batch's sessions' records are read in one statement; each session's uses (a "group", in
 *   the batch's order) are scored by `@tessera/risk`'s pure scorer on its restored state, and the
 *   new state is written back only if the record's `version` is still the one read; when another
 *   node wrote first, the record is read again and the group scored again on it (both nodes' uses
 *   count), up to {@link WRITE_ATTEMPTS} times; groups of one session being scored on this node at
 *   once are scored one after the other (each later one on the record as the earlier left it), so
 *   they do not race each other's writes and only other nodes' can use up those attempts (a group
 *   whose batch read the record before this node's earlier group wrote it reads it again first);
 * - the record remembers the last {@link APPLIED_GROUPS} groups it took (a digest of their uses)
 *   and the strongest action each led to: a batch sent again after a failure (a 503, retried by
 *   the verifier) is not counted twice, and its end or step-up is taken again if it was not.
 *
 * Nothing here is kept in memory between batches. A store that fails throws: the caller answers
 * 503 and the verifier sends the batch again.
 */
import { createHash } from 'node:crypto';
import {
  createSessionUsageScorer,
  defaultSessionUsagePolicy,
  type SessionUsageAction,
  type SessionUsageAssessment,
} from '@tessera/risk';
import type { SessionUsageRecord, SessionUsageStore } from '../store/ports.js';

/** Writes of one session's group before the batch is answered 503 (retry later). */
export const WRITE_ATTEMPTS = 5;
/** Groups remembered per session against a batch sent twice. */
export const APPLIED_GROUPS = 16;

/** One use as scored: the reported fields, `at` already capped at the server's now. */
export interface GroupUse {
  jti: string | undefined;
  /** As reported (the digest of a group is over what the verifier sent). */
  reportedAt: number;
  at: number;
  network: string;
  endpoint: string;
}

export interface ScoredUse {
  use: GroupUse;
  assessment: SessionUsageAssessment;
  action: SessionUsageAction;
}

export type GroupOutcome =
  /** Scored now: each use's assessment and action, up to and including one that ends the session. */
  | { kind: 'scored'; uses: ScoredUse[] }
  /** Taken before (the same uses again): the strongest action it led to then. */
  | { kind: 'replayed'; action: SessionUsageAction };

/** Thrown when a session's record kept changing under this batch: answered 503, retried. */
export class SessionUsageContentionError extends Error {
  override readonly name = 'SessionUsageContentionError';
}

const STRENGTH: Record<SessionUsageAction, number> = { allow: 0, flag: 1, step_up: 2, end: 3 };

function digestOf(uses: readonly GroupUse[]): string {
  const canonical = JSON.stringify(uses.map((u) => [u.reportedAt, u.network, u.endpoint, u.jti ?? null]));
  return createHash('sha256').update(canonical).digest().subarray(0, 12).toString('base64url');
}

function appliedOf(record: SessionUsageRecord | undefined): [string, SessionUsageAction][] {
  if (record === undefined) {
    return [];
  }
  try {
    const parsed: unknown = JSON.parse(record.applied);
    return Array.isArray(parsed)
      ? parsed.filter(
          (entry): entry is [string, SessionUsageAction] =>
            Array.isArray(entry) &&
            typeof entry[0] === 'string' &&
            typeof entry[1] === 'string' &&
            entry[1] in STRENGTH,
        )
      : [];
  } catch {
    return [];
  }
}

function stateOf(record: SessionUsageRecord | undefined): unknown {
  if (record === undefined) {
    return undefined;
  }
  try {
    return JSON.parse(record.state) as unknown;
  } catch {
    return null;
  }
}

export interface SessionUsageStateDeps {
  store: SessionUsageStore;
  /** Warned when a stored state cannot be read (the session is then scored as new). */
  log: { warn(details: object, message: string): void };
}

export interface SessionUsageState {
  /** The stored records of these sessions, by `sid` (one statement). */
  load(sids: readonly string[]): Promise<Map<string, SessionUsageRecord>>;
  /**
   * Scores a session's group on its record (as loaded; re-read on a lost write race) and stores the
   * result; `expiresAt` is the session's absolute end, `now` seconds.
   */
  score(
    sid: string,
    uses: readonly GroupUse[],
    loaded: SessionUsageRecord | undefined,
    expiresAt: number,
    now: number,
  ): Promise<GroupOutcome>;
}

/** Sessions whose last written version this node remembers (oldest forgotten first). */
const WRITTEN_REMEMBERED = 10_000;

export function createSessionUsageState(deps: SessionUsageStateDeps): SessionUsageState {
  /** The last group of each session being scored on this node; removed when it settles. */
  const running = new Map<string, Promise<unknown>>();
  /**
   * The version this node last wrote, per session: a batch reads its records before its groups are
   * scored, so a group may bring a record older than one this node's earlier group (settled since)
   * wrote; it is read again instead of losing its write to this node. Bounded: a session forgotten
   * costs at most that one lost write.
   */
  const written = new Map<string, number>();

  function remember(sid: string, version: number): void {
    written.delete(sid);
    written.set(sid, version);
    if (written.size > WRITTEN_REMEMBERED) {
      const oldest = written.keys().next();
      if (oldest.done !== true) {
        written.delete(oldest.value);
      }
    }
  }

  return {
    async load(sids) {
      const records = await deps.store.findSessionUsage(sids);
      return new Map(records.map((record) => [record.sid, record]));
    },

    score(sid, uses, loaded, expiresAt, now) {
      const before = running.get(sid);
      // The record as this node's earlier group of the session left it.
      const reread = async () => {
        const [current] = await deps.store.findSessionUsage([sid]);
        return scoreGroup(sid, uses, current, expiresAt, now);
      };
      const stale = (loaded?.version ?? 0) < (written.get(sid) ?? 0);
      const run =
        before !== undefined
          ? before.then(reread)
          : stale
            ? reread()
            : scoreGroup(sid, uses, loaded, expiresAt, now);
      const settled = run.then(
        () => undefined,
        () => undefined,
      );
      running.set(sid, settled);
      void settled.then(() => {
        if (running.get(sid) === settled) {
          running.delete(sid);
        }
      });
      return run;
    },
  };

  async function scoreGroup(
    sid: string,
    uses: readonly GroupUse[],
    loaded: SessionUsageRecord | undefined,
    expiresAt: number,
    now: number,
  ): Promise<GroupOutcome> {
    const digest = digestOf(uses);
    let record = loaded;
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt += 1) {
      const applied = appliedOf(record);
      const before = applied.find(([seen]) => seen === digest);
      if (before !== undefined) {
        return { kind: 'replayed', action: before[1] };
      }
      // A fresh scorer per attempt: the store holds the state, this node holds nothing.
      const scorer = createSessionUsageScorer({ maxSessions: 1 });
      if (!scorer.restore(sid, stateOf(record))) {
        deps.log.warn({ sid }, 'risk: a session’s stored usage state could not be read; scored as new');
      }
      const scored: ScoredUse[] = [];
      for (const use of uses) {
        const assessment = scorer.observe({
          session: sid,
          at: use.at,
          network: use.network,
          endpoint: use.endpoint,
        });
        const action = defaultSessionUsagePolicy(assessment);
        scored.push({ use, assessment, action });
        if (action === 'end') {
          break;
        }
      }
      const strongest = scored.reduce<SessionUsageAction>(
        (max, s) => (STRENGTH[s.action] > STRENGTH[max] ? s.action : max),
        'allow',
      );
      const stored = await deps.store.writeSessionUsage(
        {
          sid,
          state: JSON.stringify(scorer.snapshot(sid)),
          applied: JSON.stringify([...applied, [digest, strongest]].slice(-APPLIED_GROUPS)),
          expiresAt,
          updatedAt: now,
        },
        record?.version ?? 0,
      );
      if (stored) {
        remember(sid, (record?.version ?? 0) + 1);
        return { kind: 'scored', uses: scored };
      }
      // Another node wrote first: its state, plus this group.
      record = (await deps.store.findSessionUsage([sid]))[0];
    }
    throw new SessionUsageContentionError(`session usage of ${sid} kept changing; retry the batch`);
  }
}
