/**
 * Opaque access-token writes, one commit each vs group commit (issue 18), on a SQLite file (WAL,
 * synchronous=FULL) or PostgreSQL, in one process, alternating rounds so the machine's noise hits
 * both alike. 32 writers (like the 32 connections of the HTTP bench) each await their write before
 * the next. Prints tokens/s per round.
 *   node bench/micro/opaque-commit.mjs [sqlite|postgres] [rounds] [seconds]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT_DIR } from '../lib/procs.mjs';

const [db = 'sqlite', rounds = '3', seconds = '2'] = process.argv.slice(2);
const server = (path) => import(pathToFileURL(join(ROOT_DIR, 'packages/server/dist', path)).href);
const { openStore } = await server('store/open-store.js');
const { createAccessTokenGroupCommit } = await server('tokens/access-token-group-commit.js');
const ids = await server('ids.js');
const T0 = Math.floor(Date.now() / 1000);
const newAccessToken = (clientId) => ({
  hash: ids.hashSecret(ids.mintSecret('at')),
  jti: ids.newId('jti'),
  clientId,
  subject: clientId,
  scope: ['read'],
  audience: ['https://api.bench.local'],
  claims: {},
  grantId: null,
  issuedAt: T0,
  expiresAt: T0 + 600,
  revokedAt: null,
});
const newClient = () => ({
  id: ids.newId('cli'),
  name: 'bench',
  grantTypes: ['client_credentials'],
  scope: ['read'],
  defaultScope: [],
  audiences: ['https://api.bench.local'],
  redirectUris: [],
  postLogoutRedirectUris: [],
  tokenEndpointAuthMethod: 'client_secret_basic',
  tokenFormat: 'opaque',
  accessTokenTtl: null,
  metadata: {},
  jwks: null,
  jwksUri: null,
  firstParty: false,
  permissions: [],
  disabled: false,
  secrets: [],
});

const dir = mkdtempSync(join(tmpdir(), 'tessera-opaque-'));
const schema = `bench_${randomBytes(4).toString('hex')}`;
const url = db === 'postgres' ? 'postgres://postgres@127.0.0.1:5432/test' : join(dir, 'tessera.db');
const store = await openStore(url, db === 'postgres' ? { schema } : {});
await store.migrate();
const client = (await store.createClient(newClient(), T0)).id;

async function measure(writer) {
  let done = 0;
  const until = Date.now() + Number(seconds) * 1000;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (Date.now() < until) {
        await writer.insertAccessToken(newAccessToken(client));
        done += 1;
      }
    }),
  );
  return done / Number(seconds);
}

const grouped = createAccessTokenGroupCommit(store);
for (let round = 0; round < Number(rounds); round += 1) {
  const single = await measure(store);
  const group = await measure(grouped);
  process.stdout.write(
    `${JSON.stringify({ db, round, oneCommitEach: Math.round(single), groupCommit: Math.round(group), ratio: +(group / single).toFixed(2) })}\n`,
  );
}
if (db === 'postgres') {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await store.close();
  await c.query(`drop schema "${schema}" cascade`);
  await c.end();
} else {
  await store.close();
}
rmSync(dir, { recursive: true, force: true });
