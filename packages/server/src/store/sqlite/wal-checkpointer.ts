/**
 * WAL checkpoints on a worker thread. With SQLite's default `wal_autocheckpoint` the connection
 * that commits copies the WAL's pages into the database file (and syncs both) every ~1,000 pages,
 * and better-sqlite3 is synchronous: that copy ran on the event loop, inside a commit. Here a
 * worker thread with its own connection to the file runs `wal_checkpoint(PASSIVE)` every
 * `intervalMs`: PASSIVE takes no lock a reader or the writer waits for, it only copies the frames
 * no reader still needs. Once a checkpoint has copied the whole WAL, the serving connection's next
 * write starts the WAL over from its beginning (SQLite's own rule), so the file stops growing.
 *
 * The bound stays on the serving connection: its `wal_autocheckpoint` is raised to
 * `fallbackPages`, not turned off, so a WAL the worker cannot keep up with (a reader holding an old
 * snapshot, a stalled or dead worker) is checkpointed on the loop past that size, as before. A worker
 * that fails puts the default back. Durability is unchanged: what a commit has written to the WAL
 * is what survives a crash (`synchronous=NORMAL`); the checkpoint syncs the WAL before it copies and
 * the database file before the WAL may be reused, from whichever connection runs it.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** SQLite's own `wal_autocheckpoint`, put back when the worker cannot run. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/** One PASSIVE checkpoint's report (SQLite's `wal_checkpoint` row). */
export interface CheckpointReport {
  /** 1 when the checkpoint could not run (another checkpoint held its lock). */
  busy: number;
  /** Frames in the WAL. */
  log: number;
  /** Frames copied into the database file (all of them: the writer may start the WAL over). */
  checkpointed: number;
}

export interface WalCheckpointerOptions {
  intervalMs: number;
  /** Told about every checkpoint the worker ran (tests, diagnostics). */
  onCheckpoint?: (report: CheckpointReport) => void;
  /** Told when the worker stopped on an error; the caller then checkpoints on the loop again. */
  onFailure: (error: Error) => void;
}

export interface WalCheckpointer {
  /** Stops the worker and closes its connection (before the serving connection closes). */
  stop(): Promise<void>;
}

/**
 * The worker's code, as CommonJS evaluated in the thread (a file beside this one would not exist
 * when the TypeScript sources run under the test runner). The driver's path comes from here. It
 * checkpoints once as soon as it is open (what the writes before it left, the migrations'), then
 * every `intervalMs`. Preparing the statement reads the schema, a read transaction of a few
 * milliseconds on a new thread; commits in that window cannot start the WAL over, so it may grow by
 * a few hundred frames once, at start.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
db.pragma('synchronous = NORMAL');
const checkpoint = db.prepare('pragma wal_checkpoint(passive)');
const run = () => {
  const report = checkpoint.get();
  if (workerData.report) {
    parentPort.postMessage(report);
  }
};
run();
const timer = setInterval(run, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** Starts checkpointing the WAL of the database file `path` on a worker thread. */
export function startWalCheckpointer(path: string, options: WalCheckpointerOptions): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, path, intervalMs: options.intervalMs, report: options.onCheckpoint !== undefined },
  });
  // Never what keeps a process alive; stop() ends it with the store.
  worker.unref();
  let stopping = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('message', (report: CheckpointReport) => options.onCheckpoint?.(report));
  worker.on('error', (error) => {
    if (!stopping) {
      options.onFailure(error);
    }
  });
  return {
    async stop() {
      if (stopping) {
        return exited;
      }
      stopping = true;
      // Held until it has closed its connection: a process waiting only for this must not end first.
      worker.ref();
      worker.postMessage('stop');
      return exited;
    },
  };
}
