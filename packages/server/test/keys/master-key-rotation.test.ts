/**
 * Master-key rotation (issue 11 item 8): sealed signing keys carry the id of the master key that
 * sealed them; the server opens rows sealed by `masterKeyPrevious` during the change;
 * `tessera master-key rotate` re-seals every key in one transaction; a wrong old key fails with a
 * clear error and changes nothing. On SQLite (a file) and on PostgreSQL (a fresh schema).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runMasterKeyRotate } from '../../src/cli/commands/master-key.js';
import { buildCli } from '../../src/cli/main.js';
import { createFixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/load.js';
import { createKeyring } from '../../src/keys/keyring.js';
import { MasterKeyRotationError, rotateMasterKey } from '../../src/keys/master-key-rotation.js';
import { masterKeyIdOf } from '../../src/keys/seal.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/ports.js';
import { isPostgresReachable, POSTGRES_URL, requireService } from '../support/requirements.js';

const OLD = 'aa'.repeat(32);
const NEW = 'bb'.repeat(32);
const OTHER = 'cc'.repeat(32);
const hex = (text: string) => Buffer.from(text, 'hex');
const logger = createLogger({ level: 'silent' });
const pgOk = requireService('PostgreSQL', await isPostgresReachable());

interface Database {
  name: string;
  available: boolean;
  /** Config overrides naming a fresh, empty database. */
  fresh(): Record<string, unknown>;
  cleanup(): Promise<void>;
}

const schemas: string[] = [];
const databases: Database[] = [
  {
    name: 'SQLite file',
    available: true,
    fresh: () => ({ 'database.url': join(mkdtempSync(join(tmpdir(), 'tessera-mk-')), 'tessera.db') }),
    cleanup: async () => {},
  },
  {
    name: 'PostgreSQL',
    available: pgOk,
    fresh: () => {
      const schema = `t_mk_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return { 'database.url': POSTGRES_URL, 'database.schema': schema };
    },
    async cleanup() {
      if (schemas.length === 0) {
        return;
      }
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        for (const schema of schemas.splice(0)) {
          await client.query(`drop schema if exists "${schema}" cascade`);
        }
      } finally {
        await client.end();
      }
    },
  },
];

function configOf(db: Record<string, unknown>, keys: { masterKey: string; masterKeyPrevious?: string }) {
  return loadConfig({
    env: {},
    overrides: {
      dev: true,
      issuer: 'http://tessera.test',
      dataDir: mkdtempSync(join(tmpdir(), 'tessera-mk-data-')),
      adminToken: 'a'.repeat(40),
      'log.level': 'silent',
      ...db,
      ...keys,
    },
  });
}

const runtimes: Runtime[] = [];
const stores: Store[] = [];
async function start(db: Record<string, unknown>, keys: { masterKey: string; masterKeyPrevious?: string }) {
  const runtime = await createRuntime(configOf(db, keys), { logger });
  runtimes.push(runtime);
  return runtime;
}
async function openDb(db: Record<string, unknown>): Promise<Store> {
  const schema = db['database.schema'];
  const store = await openStore(String(db['database.url']), typeof schema === 'string' ? { schema } : {});
  stores.push(store);
  return store;
}
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) {
    await runtime.close();
  }
  for (const store of stores.splice(0)) {
    await store.close();
  }
});

it('issue 11 item 8 — a master key id is the first 8 bytes of a domain-separated SHA-256 of the key', () => {
  const expected = createHash('sha256')
    .update(Buffer.concat([Buffer.from('tessera master key id\0'), hex(OLD)]))
    .digest('hex')
    .slice(0, 16);
  expect(masterKeyIdOf(hex(OLD))).toBe(expected);
  expect(masterKeyIdOf(hex(NEW))).not.toBe(expected);
});

for (const database of databases) {
  describe.skipIf(!database.available)(`master-key rotation on ${database.name}`, () => {
    afterAll(() => database.cleanup());

    it('issue 11 item 8 — sealed keys carry the id of the master key that sealed them', async () => {
      const db = database.fresh();
      const runtime = await start(db, { masterKey: OLD });
      const rows = await runtime.store.listSigningKeys();
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((r) => r.masterKeyId)).toEqual(rows.map(() => masterKeyIdOf(hex(OLD))));
    });

    it('issue 11 item 8 — during the change the server opens keys sealed by masterKeyPrevious and seals new ones with masterKey', async () => {
      const db = database.fresh();
      const first = await start(db, { masterKey: OLD });
      const kid = first.keyring.current('ES256').kid;
      await first.close();

      await expect(start(db, { masterKey: NEW })).rejects.toThrow(
        new RegExp(`sealed by master key ${masterKeyIdOf(hex(OLD))}`),
      );
      const during = await start(db, { masterKey: NEW, masterKeyPrevious: OLD });
      expect(during.keyring.current('ES256').kid).toBe(kid);
      const [added] = await during.keyring.rotate({ now: true });
      const rows = await during.store.listSigningKeys();
      expect(rows.find((r) => r.kid === added?.kid)?.masterKeyId).toBe(masterKeyIdOf(hex(NEW)));
      expect(rows.find((r) => r.kid === kid)?.masterKeyId).toBe(masterKeyIdOf(hex(OLD)));
    });

    it('issue 11 item 8 — `tessera master-key rotate` re-seals every key with the new key (both keys from files)', async () => {
      const db = database.fresh();
      const first = await start(db, { masterKey: OLD });
      const kids = (await first.store.listSigningKeys()).map((r) => r.kid).sort();
      await first.close();

      const dir = mkdtempSync(join(tmpdir(), 'tessera-mk-files-'));
      writeFileSync(join(dir, 'old.key'), `${OLD}\n`, { mode: 0o600 });
      writeFileSync(join(dir, 'new.key'), `${NEW}\n`, { mode: 0o600 });
      writeFileSync(join(dir, 'tessera.config.json'), JSON.stringify({ ...nested(db), dev: true }));
      let out = '';
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out += String(chunk);
        return true;
      });
      try {
        await buildCli().parseAsync([
          'node',
          'tessera',
          '--config',
          join(dir, 'tessera.config.json'),
          'master-key',
          'rotate',
          '--old-key-file',
          join(dir, 'old.key'),
          '--new-key-file',
          join(dir, 'new.key'),
          '--json',
        ]);
      } finally {
        spy.mockRestore();
      }
      const result = JSON.parse(out) as { master_key_id: string; resealed: string[] };
      expect(result.master_key_id).toBe(masterKeyIdOf(hex(NEW)));
      expect(result.resealed.sort()).toEqual(kids);

      const after = await start(db, { masterKey: NEW });
      expect((await after.store.listSigningKeys()).map((r) => r.masterKeyId)).toEqual(
        kids.map(() => masterKeyIdOf(hex(NEW))),
      );
      await after.close();
      await expect(start(db, { masterKey: OLD })).rejects.toThrow(/master key does not open/);
    });

    it('issue 11 "Done when" — rotating with a wrong old key fails with a clear error and changes nothing', async () => {
      const db = database.fresh();
      await (await start(db, { masterKey: OLD })).close();
      const store = await openDb(db);
      const before = await store.listSigningKeys();
      const config = configOf(db, { masterKey: NEW });
      await expect(
        runMasterKeyRotate(config, { oldKeyFile: '-', readStdin: () => `${OTHER}\n` }),
      ).rejects.toThrow(/is sealed by master key .*, not by the old key given/);
      expect(await store.listSigningKeys()).toEqual(before);
    });

    it('issue 11 item 8 — one transaction: a key the old key cannot open leaves every key as it was', async () => {
      const db = database.fresh();
      const store = await openDb(db);
      await store.migrate();
      const clock = createFixedClock(1_800_000_000);
      const deps = { store, clock, activationDelay: 0, retention: 3600 };
      await createKeyring({ ...deps, masterKey: hex(OLD) }).load(['ES256']);
      // A second key sealed by another master key (a botched earlier rotation, say).
      const other = createKeyring({ ...deps, masterKey: hex(OTHER), previousMasterKeys: [hex(OLD)] });
      await other.load(['ES256']);
      clock.advance(10); // listed after the first key, so a rotation outside a transaction would write the first
      await other.rotate({ now: true });
      const before = await store.listSigningKeys();
      expect(new Set(before.map((r) => r.masterKeyId)).size).toBe(2);

      const error = await rotateMasterKey({
        transaction: (fn) => store.transaction(fn),
        oldKey: hex(OLD),
        newKey: hex(NEW),
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MasterKeyRotationError);
      expect(await store.listSigningKeys()).toEqual(before);
    });

    it('issue 11 item 8 — keys sealed before ids existed (null) are opened and re-sealed; a second run changes nothing', async () => {
      const db = database.fresh();
      const store = await openDb(db);
      await store.migrate();
      const clock = createFixedClock(1_800_000_000);
      const keyring = createKeyring({
        store,
        clock,
        masterKey: hex(OLD),
        activationDelay: 0,
        retention: 3600,
      });
      await keyring.load(['EdDSA']);
      const [row] = await store.listSigningKeys();
      if (row === undefined) {
        throw new Error('no key');
      }
      await store.transaction(async (tx) => {
        await tx.deleteSigningKey(row.kid);
        await tx.insertSigningKey({ ...row, masterKeyId: null });
      });
      const tx = <T>(fn: (s: Store) => Promise<T>) => store.transaction(fn);
      await expect(
        rotateMasterKey({ transaction: tx, oldKey: hex(OTHER), newKey: hex(NEW) }),
      ).rejects.toThrow(/does not open signing key .*: wrong old key\? Nothing was changed/);
      const first = await rotateMasterKey({ transaction: tx, oldKey: hex(OLD), newKey: hex(NEW) });
      expect(first.resealed).toEqual([row.kid]);
      const second = await rotateMasterKey({ transaction: tx, oldKey: hex(OLD), newKey: hex(NEW) });
      expect(second).toMatchObject({ resealed: [], alreadyCurrent: [row.kid] });
      const reopened = createKeyring({
        store,
        clock,
        masterKey: hex(NEW),
        activationDelay: 0,
        retention: 3600,
      });
      await reopened.load(['EdDSA']);
      expect(reopened.current('EdDSA').kid).toBe(row.kid);
    });
  });
}

/** `{ 'database.url': x }` → `{ database: { url: x } }` for a config file. */
function nested(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [path, value] of Object.entries(flat)) {
    const [section, key] = path.split('.');
    if (section !== undefined && key !== undefined) {
      out[section] = { ...(out[section] ?? {}), [key]: value };
    }
  }
  return out;
}
