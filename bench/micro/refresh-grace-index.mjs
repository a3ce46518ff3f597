/**
 * The SQLite work of a refresh rotation alone, on two schemas of `refresh_tokens`: `grace_until`
 * indexed in full (0005) or only over the rows keeping a sealed copy (0033). better-sqlite3 without
 * Kysely, in one process, alternating rounds (the first dropped): 32 chains of tokens, groups of 8
 * rotations per transaction as the group commit writes them, each rotation as the store's
 * redemption writes it (the predecessor marked used with its sealed successor, the successor
 * inserted, the predecessor's own sealed copy dropped). WAL with `synchronous=NORMAL`, as the
 * server opens SQLite. Prints the median CPU µs per rotation of each schema, partial/full per round
 * and the pages each grace index holds at the end (dbstat).
 *   node bench/micro/refresh-grace-index.mjs [rotations per round] [rounds]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const dir = mkdtempSync(join(tmpdir(), 'tessera-grace-index-'));
const ddl = `create table refresh_tokens (hash text primary key, family_id text not null, client_id text not null,
  user_id text not null, session_id text, scope text not null, audience text not null, auth_time integer not null,
  amr text not null, acr text, issued_at integer not null, expires_at integer not null,
  family_expires_at integer not null, used_at integer, revoked_at integer, successor_hash text,
  successor_sealed text, grace_until integer, dpop_jkt text);
create index refresh_tokens_family_id on refresh_tokens(family_id);
create index refresh_tokens_client_id on refresh_tokens(client_id);
create index refresh_tokens_user_id on refresh_tokens(user_id);
create index refresh_tokens_session_id on refresh_tokens(session_id);
create index refresh_tokens_expires_at on refresh_tokens(expires_at);
create index refresh_tokens_family_expires_at on refresh_tokens(family_expires_at);
create index refresh_tokens_sealed_successor on refresh_tokens(successor_hash) where successor_sealed is not null;`;
const GRACE_INDEX = {
  'full (0005)': 'create index refresh_tokens_grace_until on refresh_tokens(grace_until);',
  'partial (0033)':
    'create index refresh_tokens_grace_until on refresh_tokens(grace_until) where successor_sealed is not null;',
};

function open(name) {
  const db = new Database(join(dir, `${name.split(' ')[0]}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(ddl + GRACE_INDEX[name]);
  const insert = db.prepare(
    'insert into refresh_tokens (hash, family_id, client_id, user_id, session_id, scope, audience, auth_time, amr, acr, issued_at, expires_at, family_expires_at, used_at, revoked_at, dpop_jkt) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const markUsed = db.prepare(
    'update refresh_tokens set used_at = ?, successor_hash = ?, successor_sealed = ?, grace_until = ? where hash = ? and used_at is null returning *',
  );
  const forget = db.prepare(
    'update refresh_tokens set successor_sealed = null, grace_until = null where successor_sealed is not null and family_id = ? and successor_hash = ?',
  );
  const token = (hash, family, now) => [
    hash,
    family,
    'cli_bench',
    `usr_${family}`,
    `ses_${family}`,
    '["openid","offline_access"]',
    '["https://api.bench.local"]',
    1,
    '["pwd"]',
    null,
    now,
    2e9,
    2e9,
    null,
    null,
    null,
  ];
  const chains = Array.from({ length: 32 }, (_, n) => {
    const chain = { hash: randomBytes(32).toString('base64url'), family: `fam_${n}` };
    insert.run(...token(chain.hash, chain.family, 1));
    return chain;
  });
  let now = 100;
  const group = db.transaction((members) => {
    for (const chain of members) {
      const next = randomBytes(32).toString('base64url');
      now += 1;
      markUsed.all(now, next, `sealed:${'x'.repeat(120)}`, now + 10, chain.hash);
      insert.run(...token(next, chain.family, now));
      forget.run(chain.family, chain.hash);
      chain.hash = next;
    }
  });
  return {
    name,
    rotate(count) {
      for (let n = 0; n < count; n += 8) {
        group(chains.slice(n % 32, (n % 32) + 8));
      }
    },
    /** Pages of the grace index once the rounds are done (SQLite's dbstat). */
    gracePages: () =>
      db.prepare("select count(*) as pages from dbstat where name = 'refresh_tokens_grace_until'").get()
        .pages,
    close: () => db.close(),
  };
}

const [perRoundArg = '4000', roundsArg = '10'] = process.argv.slice(2);
const PER_ROUND = Number(perRoundArg);
const ROUNDS = Number(roundsArg);
const schemas = Object.keys(GRACE_INDEX).map(open);
const cpu = schemas.map(() => []);
for (let round = 0; round < ROUNDS; round += 1) {
  const order = round % 2 === 0 ? [0, 1] : [1, 0];
  for (const index of order) {
    const start = process.cpuUsage();
    schemas[index].rotate(PER_ROUND);
    const used = process.cpuUsage(start);
    if (round > 0) {
      cpu[index].push((used.user + used.system) / PER_ROUND);
    }
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
for (const [index, schema] of schemas.entries()) {
  const values = cpu[index];
  console.log(
    `${schema.name}: median ${median(values).toFixed(1)} µs CPU/rotation (range ${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)})`,
  );
}
console.log(
  `partial/full per round: ${cpu[1].map((value, round) => (value / cpu[0][round]).toFixed(3)).join(' ')}`,
);
console.log(
  `grace index pages at the end: ${schemas.map((schema) => `${schema.name} ${schema.gracePages()}`).join(', ')}`,
);
for (const schema of schemas) {
  schema.close();
}
rmSync(dir, { recursive: true, force: true });
