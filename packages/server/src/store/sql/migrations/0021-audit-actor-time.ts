/**
 * 0021: indexes for the audit listing's filters (`GET /admin/audit`): by actor, newest first, like
 * the type and subject indexes of 0001; and by time, so a window in the past is a range scan rather
 * than a walk back from the newest event.
 */
import type { Kysely, Migration } from 'kysely';

export function auditActorTimeMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('audit_events_actor_id')
        .on('audit_events')
        .columns(['actor', 'id'])
        .execute();
      await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
    },
  };
}
