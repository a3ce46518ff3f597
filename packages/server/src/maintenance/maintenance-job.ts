/**
 * `maintenance/` owns housekeeping that no request triggers: one job that deletes dead rows so no
 * table grows forever. It imports only `store/ports`, `clock` and `log`; `main.ts` wires it and its
 * timer, and no HTTP code knows it exists.
 *
 * What it deletes, and why each is safe:
 * - opaque access tokens past `expiresAt` (introspection answers `active: false` for them anyway);
 * - revocations past their horizon (`expiresAt`: every token they named has expired by then);
 * - replay marks (client-assertion `jti`s) past expiry (an assertion that old is refused for its `exp`);
 * - authorization codes, sessions and refresh tokens past expiry (no grant accepts them any more);
 * - rate-limit counters of windows that can no longer matter;
 * - audit events older than `audit.retention` (0 keeps them forever);
 * - usage counters (the console's charts) older than `statsRetention` (8 days: the week they chart, and a day);
 * - the risk engine's velocity sums not updated for long enough to have decayed to nothing
 *   (`riskVelocity`: key prefixes and their retention, from `@tessera/risk`);
 * - Security Event Tokens queued on SSF streams past `ssf.retention`, never acknowledged (no poll
 *   delivers them any more);
 * - sessions' token-use state once the session is gone or past its absolute lifetime (uses of a
 *   session that is not live are ignored anyway).
 *
 * Each table is purged in batches of `batchSize` rows (short statements, never one long lock), at
 * most `maxBatches` per table per run, yielding to the event loop between batches. Every node may
 * run it: the deletes are idempotent.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/ports.js';

export type PurgeStore = Pick<
  Store,
  | 'purgeExpiredAccessTokens'
  | 'purgeExpiredRevocations'
  | 'purgeExpiredReplays'
  | 'purgeExpiredAuthorizationCodes'
  | 'purgeExpiredDeviceAuthorizations'
  | 'purgeExpiredSessions'
  | 'purgeExpiredRefreshTokens'
  | 'purgeExpiredRateLimits'
  | 'purgeExpiredAttempts'
  | 'purgeAuditBefore'
  | 'purgeStatCountsBefore'
  | 'purgeRiskGlobalsBefore'
  | 'purgeExpiredSets'
  | 'purgeEndedSessionUsage'
>;

/** The tables the job purges, as named in the metric's `table` label. */
export const PURGED_TABLES = [
  'access_tokens',
  'revocations',
  'replay_keys',
  'authorization_codes',
  'device_authorizations',
  'sessions',
  'refresh_tokens',
  'rate_limits',
  'attempts',
  'audit_events',
  'stat_counts',
  'risk_global',
  'ssf_sets',
  'session_usage',
] as const;
export type PurgedTable = (typeof PURGED_TABLES)[number];

export interface MaintenanceJobDeps {
  store: PurgeStore;
  clock: Clock;
  logger: Pick<Logger, 'error' | 'info'>;
  /** Seconds audit events are kept; 0 keeps them forever. */
  auditRetention: number;
  /** Seconds usage counters are kept (default 8 days). */
  statsRetention?: number;
  /** Risk velocity sums by key prefix, and the seconds each is kept after its last update. */
  riskVelocity?: ReadonlyArray<{ prefix: string; seconds: number }>;
  /** Rows per delete statement. */
  batchSize: number;
  /** Most batches per table per run (default 1000): a run ends even if a table is huge. */
  maxBatches?: number;
  /** Milliseconds between runs; 0 never runs on its own (only `run()`). */
  intervalMs: number;
  /** Told how many rows a run deleted from each table (the metric). */
  onPurged?: (table: PurgedTable, rows: number) => void;
}

export interface MaintenanceJob {
  /** Runs one pass now (waits for a pass already running); resolves with rows deleted per table. */
  run(): Promise<Record<PurgedTable, number>>;
  /** Starts the timer (unref'd: it never keeps the process alive). */
  start(): void;
  /** Stops the timer and waits for a pass in progress. */
  close(): Promise<void>;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function createMaintenanceJob(deps: MaintenanceJobDeps): MaintenanceJob {
  const batchSize = Math.max(1, Math.floor(deps.batchSize));
  const maxBatches = Math.max(1, deps.maxBatches ?? 1000);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<Record<PurgedTable, number>> | undefined;
  let closed = false;

  /** One batch over the prefixes in turn: the next prefix only once the one before is done. */
  function purgeVelocity(
    now: number,
    retention: ReadonlyArray<{ prefix: string; seconds: number }>,
  ): (limit: number) => Promise<number> {
    return async (limit) => {
      let rows = 0;
      for (const { prefix, seconds } of retention) {
        if (rows >= limit) {
          break;
        }
        rows += await deps.store.purgeRiskGlobalsBefore(prefix, now - seconds, limit - rows);
      }
      return rows;
    };
  }

  function tasks(now: number): Array<[PurgedTable, ((limit: number) => Promise<number>) | undefined]> {
    const { store } = deps;
    return [
      ['access_tokens', (limit) => store.purgeExpiredAccessTokens(now, limit)],
      ['revocations', (limit) => store.purgeExpiredRevocations(now, limit)],
      ['replay_keys', (limit) => store.purgeExpiredReplays(now, limit)],
      ['authorization_codes', (limit) => store.purgeExpiredAuthorizationCodes(now, limit)],
      ['device_authorizations', (limit) => store.purgeExpiredDeviceAuthorizations(now, limit)],
      ['sessions', (limit) => store.purgeExpiredSessions(now, limit)],
      ['refresh_tokens', (limit) => store.purgeExpiredRefreshTokens(now, limit)],
      ['rate_limits', (limit) => store.purgeExpiredRateLimits(now, limit)],
      ['attempts', (limit) => store.purgeExpiredAttempts(now, limit)],
      [
        'audit_events',
        deps.auditRetention > 0
          ? (limit) => store.purgeAuditBefore(now - deps.auditRetention, limit)
          : undefined,
      ],
      [
        'stat_counts',
        (limit) => store.purgeStatCountsBefore(now - (deps.statsRetention ?? 8 * 86_400), limit),
      ],
      ['risk_global', deps.riskVelocity === undefined ? undefined : purgeVelocity(now, deps.riskVelocity)],
      ['ssf_sets', (limit) => store.purgeExpiredSets(now, limit)],
      ['session_usage', (limit) => store.purgeEndedSessionUsage(now, limit)],
    ];
  }

  async function pass(): Promise<Record<PurgedTable, number>> {
    const now = deps.clock.now();
    const purged = Object.fromEntries(PURGED_TABLES.map((table) => [table, 0])) as Record<
      PurgedTable,
      number
    >;
    for (const [table, purge] of tasks(now)) {
      if (purge === undefined) {
        continue;
      }
      try {
        for (let batch = 0; batch < maxBatches && !closed; batch++) {
          const rows = await purge(batchSize);
          purged[table] += rows;
          if (rows < batchSize) {
            break;
          }
          await yieldToEventLoop();
        }
      } catch (error) {
        // One failing table (a lock, an outage) does not stop the others; the next run retries.
        deps.logger.error({ err: error, table }, 'maintenance purge failed');
      }
      if (purged[table] > 0) {
        deps.onPurged?.(table, purged[table]);
      }
    }
    const total = Object.values(purged).reduce((sum, rows) => sum + rows, 0);
    if (total > 0) {
      deps.logger.info({ purged }, 'maintenance purged expired rows');
    }
    return purged;
  }

  function run(): Promise<Record<PurgedTable, number>> {
    if (running === undefined) {
      running = pass().finally(() => {
        running = undefined;
      });
    }
    return running;
  }

  return {
    run,
    start() {
      if (timer !== undefined || closed || deps.intervalMs <= 0) {
        return;
      }
      timer = setInterval(() => {
        void run();
      }, deps.intervalMs).unref();
    },
    async close() {
      closed = true;
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
