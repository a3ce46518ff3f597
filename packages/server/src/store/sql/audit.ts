/** The audit log: append-only, listed newest first. */

import type { Insertable } from 'kysely';
import type { AuditEvent, AuditStore } from '../ports.js';
import { batchLimit } from './batch-limit.js';
import {
  count,
  decodeIdCursor,
  encodeIdCursor,
  fromJson,
  pageLimit,
  type SqlContext,
  toJson,
  toPage,
} from './context.js';
import type { AuditEventRow, AuditEventsTable } from './database.js';

function toAuditEvent(row: AuditEventRow): AuditEvent & { id: number } {
  return {
    id: row.id,
    type: row.type,
    actor: row.actor,
    subject: row.subject,
    data: fromJson(row.data),
    at: row.at,
    requestId: row.request_id,
  };
}

function toAuditRow(event: AuditEvent): Insertable<AuditEventsTable> {
  return {
    type: event.type,
    actor: event.actor,
    subject: event.subject,
    data: toJson(event.data),
    at: event.at,
    request_id: event.requestId,
  };
}

export function auditStore(ctx: SqlContext): AuditStore {
  return {
    async appendAudit(event) {
      await ctx.db.insertInto('audit_events').values(toAuditRow(event)).execute();
    },

    async appendAudits(events) {
      if (events.length > 0) {
        await ctx.db.insertInto('audit_events').values(events.map(toAuditRow)).execute();
      }
    },

    async listAudit(filter) {
      const limit = pageLimit(filter.limit);
      const before = decodeIdCursor(filter.cursor);
      let query = ctx.db.selectFrom('audit_events').selectAll();
      if (filter.type !== undefined) {
        query = query.where('type', '=', filter.type);
      }
      if (filter.actor !== undefined) {
        query = query.where('actor', '=', filter.actor);
      }
      if (filter.subject !== undefined) {
        query = query.where('subject', '=', filter.subject);
      }
      if (filter.since !== undefined) {
        query = query.where('at', '>=', filter.since);
      }
      if (filter.until !== undefined) {
        query = query.where('at', '<=', filter.until);
      }
      if (before !== undefined) {
        query = query.where('id', '<', before);
      }
      const rows = await query
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      return toPage(rows, limit, toAuditEvent, (row) => encodeIdCursor(row.id));
    },

    async purgeAuditBefore(before, limit) {
      // Ids grow with time, so the oldest rows come first in id order and the scan stops early.
      const result = await ctx.db
        .deleteFrom('audit_events')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('audit_events')
            .select('id')
            .where('at', '<', before)
            .orderBy('id')
            .limit(batchLimit(limit)),
        )
        .executeTakeFirst();
      return count(result.numDeletedRows);
    },
  };
}
