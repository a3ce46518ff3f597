/**
 * 0025: API-key anomalies (docs/api-keys.md, "Anomalies"). A key's `anomaly_policy` (`off`, `flag`,
 * `alert`, `deny`, `disable`; existing keys get `flag`, the default), its usage profile (the JSON
 * snapshot `@tessera/risk` learns from, written with the batched usage), the anomalies recorded for
 * its owner (a bounded JSON list), when the last one was recorded and when they were acknowledged
 * (open alerts are those after it).
 */
import type { Kysely, Migration } from 'kysely';

export function apiKeyAnomaliesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('api_keys')
        .addColumn('anomaly_policy', 'text', (c) => c.notNull().defaultTo('flag'))
        .execute();
      await db.schema.alterTable('api_keys').addColumn('usage_profile', 'text').execute();
      await db.schema
        .alterTable('api_keys')
        .addColumn('anomalies', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
      await db.schema.alterTable('api_keys').addColumn('last_anomaly_at', 'bigint').execute();
      await db.schema.alterTable('api_keys').addColumn('anomalies_acknowledged_at', 'bigint').execute();
    },
  };
}
