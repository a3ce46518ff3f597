/**
 * A PostgreSQL instance of the test's own, for fault tests that kill, restart or freeze the database
 * (never the machine's shared server, which other tests use at the same moment).
 *
 * `initdb` + `pg_ctl` from /usr/lib/postgresql/<version>/bin, run as the `postgres` OS user
 * (PostgreSQL refuses to run as root), data and socket folders in a temp dir, listening on
 * 127.0.0.1 on a free port with trust authentication. Call `destroy()` in afterAll.
 *
 * Use with {@link ownPostgresAvailable} + `requireService` + `describe.skipIf`: under
 * TESSERA_REQUIRE_SERVICES=1 missing binaries fail the run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './listening.js';

const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed PostgreSQL bin folder holding initdb and pg_ctl, if any. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(PG_ROOT)) {
    return undefined;
  }
  const versions = readdirSync(PG_ROOT)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(PG_ROOT, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) {
      return bin;
    }
  }
  return undefined;
}

function postgresUser(): { uid: number; gid: number } | undefined {
  const result = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (result.status !== 0 || gid.status !== 0) {
    return undefined;
  }
  return { uid: Number(result.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** True when this machine can run a private PostgreSQL (binaries, a postgres user, runuser). */
export function ownPostgresAvailable(): boolean {
  return (
    postgresBinDir() !== undefined &&
    postgresUser() !== undefined &&
    spawnSync('runuser', ['--help'], { stdio: 'ignore' }).status === 0
  );
}

export interface OwnPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  port: number;
  /** Starts the server again on the same port and data (after `kill`). */
  start(): Promise<void>;
  /** Stops at once, as a crash would (`pg_ctl stop -m immediate`): every connection is cut. */
  kill(): void;
  /** SIGSTOP the postmaster and every backend: the database hangs, sockets stay open. */
  freeze(): void;
  /** SIGCONT what `freeze` stopped. */
  thaw(): void;
  /** Thaws, stops and removes the data folder. */
  destroy(): void;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = postgresBinDir();
  const user = postgresUser();
  if (bin === undefined || user === undefined) {
    throw new Error('PostgreSQL binaries or the postgres user are missing');
  }
  const root = mkdtempSync(join(tmpdir(), 'tessera-own-pg-'));
  const data = join(root, 'data');
  const sockets = join(root, 'sock');
  mkdirSync(sockets);
  chownSync(root, user.uid, user.gid);
  chownSync(sockets, user.uid, user.gid);
  const asPostgres = (command: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    '-h 127.0.0.1',
    `-k ${sockets}`,
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=50',
    '-c shared_buffers=16MB',
  ].join(' ');

  let frozen: number[] = [];

  function postmasterPid(): number | undefined {
    const file = join(data, 'postmaster.pid');
    if (!existsSync(file)) {
      return undefined;
    }
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  const own: OwnPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', join(root, 'log'), '-w', '-t', '30', 'start']);
    },
    kill() {
      asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']);
    },
    freeze() {
      const pm = postmasterPid();
      if (pm === undefined) {
        throw new Error('PostgreSQL is not running');
      }
      const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pm)], { encoding: 'utf8' })
        .stdout.split('\n')
        .map((line) => Number(line.trim()))
        .filter((pid) => Number.isInteger(pid) && pid > 0);
      // The postmaster first, so it forks no new backend while its children are being stopped.
      frozen = [pm, ...children];
      for (const pid of frozen) {
        process.kill(pid, 'SIGSTOP');
      }
    },
    thaw() {
      for (const pid of frozen) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // already gone
        }
      }
      frozen = [];
    },
    destroy() {
      own.thaw();
      if (postmasterPid() !== undefined) {
        try {
          own.kill();
        } catch {
          // not running
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  await own.start();
  return own;
}
