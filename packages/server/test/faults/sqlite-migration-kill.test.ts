/**
 * kill -9 while the migrations run on SQLite (a first start, an upgrade): the next start must
 * migrate without manual repair. SQLite runs DDL inside transactions, so a migration that was cut
 * off must leave nothing behind; a half-created schema ("table clients already exists") would keep
 * the server from ever starting again.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, migrations } from '../../src/store/sql/migrate.js';
import { openSqlite } from '../../src/store/sqlite/dialect.js';

describe('SQLite migrations cut off by kill -9', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** Runs the migrations (dist/ build) in a child that SIGKILLs itself as it sends query `killAt`. */
  async function migrateAndDie(path: string, killAt: number): Promise<NodeJS.Signals | null> {
    const dist = (file: string) => new URL(`../../dist/store/${file}`, import.meta.url).href;
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { openSqlite } from ${JSON.stringify(dist('sqlite/dialect.js'))};
         import { migrateToLatest } from ${JSON.stringify(dist('sql/migrate.js'))};
         const { db } = openSqlite(${JSON.stringify(path)});
         let sent = 0;
         const counted = db.withPlugin({
           transformQuery(args) {
             sent += 1;
             if (sent === ${killAt}) process.kill(process.pid, 'SIGKILL');
             return args.node;
           },
           transformResult: async (args) => args.result,
         });
         await migrateToLatest(counted, 'sqlite');
         await db.destroy();`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  }

  it.each([5, 12, 30, 60, 90])(
    'issue 20 — killed at query %i of the first migration run: the next start migrates to the latest',
    async (killAt) => {
      const dir = mkdtempSync(join(tmpdir(), 'tessera-migration-kill-'));
      dirs.push(dir);
      const path = join(dir, 'tessera.db');
      expect(await migrateAndDie(path, killAt)).toBe('SIGKILL');

      const { db } = openSqlite(path);
      try {
        await migrateToLatest(db, 'sqlite');
        const applied = await db
          .selectFrom('tessera_migration' as never)
          .select('name' as never)
          .execute();
        expect(applied).toHaveLength(Object.keys(migrations('sqlite')).length);
        // The schema is usable: a row goes in and comes back.
        await db.insertInto('replay_keys').values({ key: 'after-restart', expires_at: 1 }).execute();
        expect(await db.selectFrom('replay_keys').select('key').execute()).toEqual([
          { key: 'after-restart' },
        ]);
      } finally {
        await db.destroy();
      }
    },
  );
});
