/**
 * The plans of PostgreSQL's redemption statements on a table without statistics (a young database,
 * or one growing faster than autovacuum analyses it: the served bench's whole run). Each presented
 * token must be found by its primary key, and the sealed copy its predecessor kept through the
 * partial index `refresh_tokens_sealed_successor` (migration 0030), never by reading a family's or a
 * person's every token: those grow with every rotation.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newRefreshToken, seedOwners, T0 } from '../../src/store/contract/fixtures.js';
import { openStore } from '../../src/store/open-store.js';
import type { RefreshRedemption, Store } from '../../src/store/ports.js';
import { isPostgresReachable, POSTGRES_URL, requireService } from '../support/requirements.js';

const ok = requireService('PostgreSQL', await isPostgresReachable());
const schema = `t_${randomBytes(6).toString('hex')}_plans`;

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Subplan Name'?: string;
  Plans?: PlanNode[];
}

/** The indexes each CTE of a plan reads (`won`, `forgotten`, …), and the main query's under ''. */
function indexesByCte(node: PlanNode, cte = '', into = new Map<string, Set<string>>()) {
  const name = node['Subplan Name']?.startsWith('CTE ') ? node['Subplan Name'].slice(4) : cte;
  const set = into.get(name) ?? new Set<string>();
  into.set(name, set);
  if (node['Index Name'] !== undefined) {
    set.add(node['Index Name']);
  }
  for (const child of node.Plans ?? []) {
    indexesByCte(child, name, into);
  }
  return into;
}

/** Runs `fn`, returning the texts and values it sent that mention the `forgotten` CTE. */
async function capture(fn: () => Promise<unknown>): Promise<Array<{ text: string; values: unknown[] }>> {
  const seen: Array<{ text: string; values: unknown[] }> = [];
  const query = pg.Client.prototype.query;
  const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
    this: pg.Client,
    ...args: unknown[]
  ) {
    const [text, values] = args;
    if (typeof text === 'string' && text.includes('forgotten')) {
      seen.push({ text, values: Array.isArray(values) ? values : [] });
    }
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query);
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return seen;
}

describe.skipIf(!ok)('PostgreSQL — refresh redemption plans without statistics', () => {
  let store: Store;
  const admin = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
  beforeAll(async () => {
    store = await openStore(POSTGRES_URL, { schema });
    await store.migrate();
    await admin.connect();
    // No statistics during the test, whatever autovacuum's timing.
    await admin.query('alter table refresh_tokens set (autovacuum_enabled = false)');
  });
  afterAll(async () => {
    await store.close();
    await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  });

  /** A family that rotated 2,000 times; its last token is current and its predecessor keeps the sealed copy. */
  async function longFamily(clientId: string, userId: string) {
    const current = newRefreshToken(clientId, userId, { issuedAt: T0 + 5 });
    const family = current.familyId;
    await admin.query(
      `with v as (select cast($5 as bigint) as t0)
       insert into refresh_tokens (hash, family_id, client_id, user_id, scope, audience, auth_time, amr,
         issued_at, expires_at, family_expires_at, used_at, successor_hash, successor_sealed, grace_until)
       select $1 || g, $2, $3, $4, '["openid"]', '["https://api.example"]', t0, '["pwd"]', t0, t0 + 86400,
         t0 + 2592000, t0 + 1, case when g = 2000 then $6 else $1 || (g + 1) end,
         case when g = 2000 then 'sealed' end, case when g = 2000 then t0 + 3600 end
       from generate_series(1, 2000) as g, v`,
      [`old_${family}_`, family, clientId, userId, T0, current.hash],
    );
    await store.insertRefreshToken(current);
    return current;
  }

  function redemption(hash: string, clientId: string): RefreshRedemption {
    const next = `next_${randomBytes(8).toString('hex')}`;
    return {
      presented: { hash, clientId, jkt: null },
      successor: { hash: next, issuedAt: T0 + 10, expiresAt: T0 + 86_400 },
      now: T0 + 10,
      grace: { until: T0 + 20, sealedSuccessor: `sealed:${next}` },
    };
  }

  async function explain({ text, values }: { text: string; values: unknown[] }) {
    await admin.query('begin');
    try {
      const { rows } = await admin.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        `explain (format json) ${text}`,
        values,
      );
      const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
      if (plan === undefined) {
        throw new Error('no plan');
      }
      return indexesByCte(plan);
    } finally {
      await admin.query('rollback');
    }
  }

  it('a group of redemptions (the winners statement) and a single one: tokens by primary key, the sealed copy through refresh_tokens_sealed_successor; no family or person index', async () => {
    const { client, user } = await seedOwners(store);
    const a = await longFamily(client.id, user.id);
    const b = await longFamily(client.id, user.id);
    const c = await longFamily(client.id, user.id);
    const grouped = await capture(async () => {
      const results = await store.redeemRefreshTokenWinners?.([
        redemption(a.hash, client.id),
        redemption(b.hash, client.id),
      ]);
      expect(results?.map((result) => result?.status)).toEqual(['rotated', 'rotated']);
    });
    const single = await capture(async () => {
      const { presented, successor, now, grace } = redemption(c.hash, client.id);
      const result = await store.redeemRefreshToken(presented, successor, now, grace);
      expect(result.status).toBe('rotated');
    });
    expect(grouped).toHaveLength(1);
    expect(single).toHaveLength(1);
    // The predecessors' sealed copies went with the rotations.
    const { rows } = await admin.query(
      'select count(*)::int as n from refresh_tokens where family_id = any($1) and successor_sealed is not null',
      [[a.familyId, b.familyId, c.familyId]],
    );
    expect(rows[0]).toEqual({ n: 3 });
    for (const statement of [...grouped, ...single]) {
      const indexes = await explain(statement as { text: string; values: unknown[] });
      expect([...(indexes.get('won') ?? [])]).toContain('refresh_tokens_pkey');
      expect([...(indexes.get('forgotten') ?? [])]).toEqual(['refresh_tokens_sealed_successor']);
      const all = [...indexes.values()].flatMap((set) => [...set]);
      expect(all).not.toContain('refresh_tokens_family_id');
      expect(all).not.toContain('refresh_tokens_user_id');
    }
  });
});
