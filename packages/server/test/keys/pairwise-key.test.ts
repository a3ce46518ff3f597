/**
 * OpenID Connect Core 1.0 §8: a subject identifier is never reassigned and never changes for a
 * client. The pairwise key (§8.1) is a server secret stored sealed with the master key, so
 * `tessera master-key rotate` keeps every pairwise `sub`; nodes sharing a database agree on it even
 * when they start together; the stored row never holds the key in the clear; each database
 * gets its own random key.
 * On SQLite (a file) and on PostgreSQL (a fresh schema).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runMasterKeyRotate } from '../../src/cli/commands/master-key.js';
import { loadConfig } from '../../src/config/load.js';
import { masterKeyIdOf, unseal } from '../../src/keys/seal.js';
import { serverSecretAssociatedData } from '../../src/keys/server-secrets.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/main.js';
import { createSubjectOf, PAIRWISE_SECRET } from '../../src/oauth/oidc/pairwise.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/ports.js';
import { dropSchema } from '../support/postgres-nodes.js';
import { isPostgresReachable, POSTGRES_URL, requireService } from '../support/requirements.js';

const OLD = 'aa'.repeat(32);
const NEW = 'bb'.repeat(32);
const OTHER = 'cc'.repeat(32);
const hex = (text: string) => Buffer.from(text, 'hex');
const logger = createLogger({ level: 'silent' });
const pgOk = requireService('PostgreSQL', await isPostgresReachable());
const PAIRWISE = {
  subjectType: 'pairwise' as const,
  redirectUris: ['https://app.example.com/callback'],
  sectorIdentifierUri: null,
};

const schemas: string[] = [];
const databases = [
  {
    name: 'SQLite file',
    available: true,
    shared: false,
    fresh: (): Record<string, unknown> => ({
      'database.url': join(mkdtempSync(join(tmpdir(), 'tessera-pw-')), 'tessera.db'),
    }),
  },
  {
    name: 'PostgreSQL',
    available: pgOk,
    shared: true,
    fresh: (): Record<string, unknown> => {
      const schema = `t_pw_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return { 'database.url': POSTGRES_URL, 'database.schema': schema };
    },
  },
];

function configOf(db: Record<string, unknown>, keys: { masterKey: string; masterKeyPrevious?: string }) {
  return loadConfig({
    env: {},
    overrides: {
      dev: true,
      issuer: 'http://tessera.test',
      dataDir: mkdtempSync(join(tmpdir(), 'tessera-pw-data-')),
      adminToken: 'a'.repeat(40),
      'log.level': 'silent',
      ...db,
      ...keys,
    },
  });
}

const runtimes: Runtime[] = [];
const stores: Store[] = [];
async function start(db: Record<string, unknown>, masterKey: string, nodeId?: string) {
  const runtime = await createRuntime(configOf(db, { masterKey }), {
    logger,
    ...(nodeId === undefined ? {} : { nodeId }),
  });
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
afterAll(async () => {
  for (const schema of schemas.splice(0)) {
    await dropSchema(schema);
  }
});

for (const database of databases) {
  describe.skipIf(!database.available)(`pairwise key on ${database.name}`, () => {
    it('OIDC Core §8 — a pairwise sub is the same after `tessera master-key rotate`', async () => {
      const db = database.fresh();
      const first = await start(db, OLD);
      const before = first.subjectOf(PAIRWISE, 'usr_alice');
      expect(before).not.toBe('usr_alice');
      await first.close();

      vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        await runMasterKeyRotate(configOf(db, { masterKey: NEW, masterKeyPrevious: OLD }));
      } finally {
        vi.restoreAllMocks();
      }
      const store = await openDb(db);
      expect((await store.findServerSecret(PAIRWISE_SECRET))?.masterKeyId).toBe(masterKeyIdOf(hex(NEW)));
      await store.close();
      stores.splice(0);

      const after = await start(db, NEW);
      expect(after.subjectOf(PAIRWISE, 'usr_alice')).toBe(before);
    });

    it('OIDC Core §8 — the stored pairwise key is sealed with the master key, never in the clear', async () => {
      const db = database.fresh();
      const runtime = await start(db, OLD);
      const row = await runtime.store.findServerSecret(PAIRWISE_SECRET);
      if (row === undefined) {
        throw new Error('no pairwise key row');
      }
      expect(row.masterKeyId).toBe(masterKeyIdOf(hex(OLD)));
      const key = Buffer.from(
        unseal(hex(OLD), row.sealed, serverSecretAssociatedData(PAIRWISE_SECRET)),
        'base64url',
      );
      expect(key).toHaveLength(32);
      expect(createSubjectOf(key)(PAIRWISE, 'usr_alice')).toBe(runtime.subjectOf(PAIRWISE, 'usr_alice'));
      for (const encoding of ['hex', 'base64', 'base64url'] as const) {
        expect(row.sealed).not.toContain(key.toString(encoding));
      }
      expect(() => unseal(hex(OTHER), row.sealed, serverSecretAssociatedData(PAIRWISE_SECRET))).toThrow();
    });

    it('OIDC Core §8.1 — each database gets its own random key, so two deployments cannot link their subs', async () => {
      const one = await start(database.fresh(), OLD);
      const two = await start(database.fresh(), OLD);
      expect(two.subjectOf(PAIRWISE, 'usr_alice')).not.toBe(one.subjectOf(PAIRWISE, 'usr_alice'));
    });

    // Two nodes share a database only on PostgreSQL; SQLite is one node's file.
    if (database.shared) {
      it('OIDC Core §8 — two nodes starting together on one database compute the same sub', async () => {
        const db = database.fresh();
        const [a, b] = await Promise.all([start(db, OLD, 'node-a'), start(db, OLD, 'node-b')]);
        expect(b.subjectOf(PAIRWISE, 'usr_alice')).toBe(a.subjectOf(PAIRWISE, 'usr_alice'));
      });
    }
  });
}
