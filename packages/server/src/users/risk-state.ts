/**
 * The risk engine's state in the store, so every node scores alike (docs/risk.md, "State"):
 *
 * - a person's history is read before their sign-in is scored (one indexed read) and put in the
 *   engine in place of what it held; no row means no history (erased on another node, or never
 *   learned), so the copy in memory goes too;
 * - after a completed sign-in it is read again, learned and written back with optimistic
 *   concurrency: when another node wrote first, the row is re-read and the sign-in re-applied to
 *   it (history only: its global part was learned already), up to three times;
 * - the global tables' deltas are added to the store and the sums changed lately reloaded every
 *   `risk.syncInterval` seconds; a delta that could not be stored is kept for the next try.
 *
 * A store that fails is logged and never fails a sign-in: it is scored with what the engine holds
 * (fail-open, as a node without a history does; the step-up and deny thresholds still apply).
 */
import {
  decodeProfile,
  encodeProfile,
  type RiskEngine,
  type RiskEvent,
  type RiskProfileSummary,
  summarizeProfile,
} from '@tessera/risk';
import type { Clock } from '../clock.js';
import type { RiskStateStore } from '../store/ports.js';

/** Write attempts of one sign-in's history before it is given up (logged). */
const WRITE_ATTEMPTS = 3;
/** Reloads ask for rows updated this long before the previous reload (clock skew between nodes). */
const RELOAD_OVERLAP_SECONDS = 60;

export interface RiskStateLog {
  warn(details: object, message: string): void;
}

export interface RiskStateDeps {
  engine: RiskEngine;
  store: RiskStateStore;
  clock: Pick<Clock, 'now'>;
  log: RiskStateLog;
  /** Seconds between global flushes and reloads; 0: only when {@link RiskState.sync} is called. */
  syncInterval: number;
}

export interface RiskState {
  /** Puts the person's stored history in the engine (or takes it out when there is none). */
  load(userId: string): Promise<void>;
  /** Learns a completed sign-in into the person's stored history and the global tables. */
  learn(event: RiskEvent & { 'User ID': string }): Promise<void>;
  /** The person's history in readable form, or undefined when there is none. */
  summary(userId: string): Promise<RiskProfileSummary | undefined>;
  /** Erases the person's history here and in the store (other nodes drop theirs at the next read). */
  erase(userId: string): Promise<boolean>;
  /** Adds this node's global delta to the store and reloads the sums changed since the last reload. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export function createRiskState(deps: RiskStateDeps): RiskState {
  const { engine, store, log } = deps;
  let lastReload: number | undefined;
  let syncing: Promise<void> | undefined;

  /** The stored row's version, after putting its history in the engine (0: none stored). */
  async function read(userId: string): Promise<number> {
    const row = await store.findRiskProfile(userId);
    if (row === undefined) {
      engine.forget(userId);
      return 0;
    }
    try {
      engine.importProfile(userId, decodeProfile(row.data));
    } catch (error) {
      // A row this version cannot read: scored as no history, overwritten by the next sign-in.
      log.warn({ userId, err: error }, 'risk: a stored history could not be read; scored without it');
      engine.forget(userId);
    }
    return row.version;
  }

  async function write(userId: string, version: number): Promise<boolean> {
    const profile = engine.exportProfile(userId);
    return profile === undefined
      ? true
      : store.writeRiskProfile(userId, encodeProfile(profile), version, deps.clock.now());
  }

  async function syncOnce(): Promise<void> {
    const delta = engine.takeGlobalDelta();
    if (Object.keys(delta).length > 0) {
      try {
        await store.addRiskGlobals(delta, deps.clock.now());
      } catch (error) {
        engine.restoreGlobalDelta(delta);
        log.warn({ err: error }, 'risk: the global tables could not be stored; kept for the next try');
        return;
      }
    }
    const started = deps.clock.now();
    try {
      const since = lastReload === undefined ? undefined : lastReload - RELOAD_OVERLAP_SECONDS;
      engine.applyGlobal(await store.listRiskGlobals(since));
      lastReload = started;
    } catch (error) {
      log.warn({ err: error }, 'risk: the global tables could not be reloaded; scoring with those held');
    }
  }

  const timer =
    deps.syncInterval > 0 ? setInterval(() => void sync(), deps.syncInterval * 1000).unref() : undefined;

  function sync(): Promise<void> {
    syncing ??= syncOnce().finally(() => {
      syncing = undefined;
    });
    return syncing;
  }

  return {
    async load(userId) {
      try {
        await read(userId);
      } catch (error) {
        log.warn(
          { userId, err: error },
          'risk: the history could not be read; scoring with what is in memory',
        );
      }
    },

    async learn(event) {
      const userId = event['User ID'];
      let learned = false;
      try {
        let version = await read(userId);
        engine.learn(event);
        learned = true;
        for (let attempt = 1; !(await write(userId, version)); attempt += 1) {
          if (attempt >= WRITE_ATTEMPTS) {
            log.warn({ userId }, 'risk: the history kept changing under this sign-in; not stored');
            return;
          }
          // Another node wrote first: its history, plus this sign-in.
          version = await read(userId);
          engine.learn(event, { profileOnly: true });
        }
      } catch (error) {
        // The store failed: learn here at least (the history stays in this node's memory).
        if (!learned) {
          engine.learn(event);
        }
        log.warn({ userId, err: error }, 'risk: the history could not be stored; learned in memory only');
      }
    },

    async summary(userId) {
      const row = await store.findRiskProfile(userId);
      try {
        return row === undefined ? undefined : summarizeProfile(decodeProfile(row.data));
      } catch (error) {
        log.warn({ userId, err: error }, 'risk: a stored history could not be read');
        return undefined;
      }
    },

    async erase(userId) {
      engine.forget(userId);
      return store.deleteRiskProfile(userId);
    },

    sync,

    async close() {
      if (timer !== undefined) {
        clearInterval(timer);
      }
      await sync();
    },
  };
}
