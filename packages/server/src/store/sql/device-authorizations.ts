/** Device authorization requests (RFC 8628): stored by hashes, decided and consumed atomically. */
import type {
  DeviceAuthorizationRecord,
  DeviceAuthorizationStatus,
  DeviceAuthorizationStore,
} from '../ports.js';
import { batchLimit } from './batch-limit.js';
import { atomic, count, fromJson, type SqlContext, toJson, unique } from './context.js';
import type { DeviceAuthorizationRow } from './database.js';

function toStatus(value: string): DeviceAuthorizationStatus {
  return value === 'approved' || value === 'denied' || value === 'consumed' ? value : 'pending';
}

function toRecord(row: DeviceAuthorizationRow): DeviceAuthorizationRecord {
  return {
    id: row.id,
    deviceCodeHash: row.device_code_hash,
    userCodePrefix: row.user_code_prefix,
    userCodeHash: row.user_code_hash,
    clientId: row.client_id,
    scope: fromJson(row.scope),
    audience: fromJson(row.audience),
    deviceInfo: row.device_info,
    status: toStatus(row.status),
    userId: row.user_id,
    sessionId: row.session_id,
    authTime: row.auth_time === null ? null : Number(row.auth_time),
    amr: fromJson(row.amr),
    acr: row.acr,
    interval: Number(row.interval),
    lastPolledAt: row.last_polled_at === null ? null : Number(row.last_polled_at),
    failedAttempts: Number(row.failed_attempts),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

export function deviceAuthorizationStore(ctx: SqlContext): DeviceAuthorizationStore {
  return {
    async insertDeviceAuthorization(record) {
      await unique('device authorization already exists', () =>
        ctx.db
          .insertInto('device_authorizations')
          .values({
            id: record.id,
            device_code_hash: record.deviceCodeHash,
            user_code_prefix: record.userCodePrefix,
            user_code_hash: record.userCodeHash,
            client_id: record.clientId,
            scope: toJson(record.scope),
            audience: toJson(record.audience),
            device_info: record.deviceInfo,
            status: record.status,
            user_id: record.userId,
            session_id: record.sessionId,
            auth_time: record.authTime,
            amr: toJson(record.amr),
            acr: record.acr,
            interval: record.interval,
            last_polled_at: record.lastPolledAt,
            failed_attempts: record.failedAttempts,
            created_at: record.createdAt,
            expires_at: record.expiresAt,
          })
          .execute(),
      );
    },

    async findDeviceAuthorization(id) {
      const row = await ctx.db
        .selectFrom('device_authorizations')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },

    async findPendingDeviceAuthorizations(prefix, now) {
      const rows = await ctx.db
        .selectFrom('device_authorizations')
        .selectAll()
        .where('user_code_prefix', '=', prefix)
        .where('status', '=', 'pending')
        .where('expires_at', '>', now)
        .limit(16)
        .execute();
      return rows.map(toRecord);
    },

    async decideDeviceAuthorization(id, decision, now) {
      const result = await ctx.db
        .updateTable('device_authorizations')
        .set(
          decision === 'denied'
            ? { status: 'denied' }
            : {
                status: 'approved',
                user_id: decision.userId,
                session_id: decision.sessionId,
                auth_time: decision.authTime,
                amr: toJson(decision.amr),
                acr: decision.acr,
              },
        )
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return count(result.numUpdatedRows) === 1;
    },

    recordDeviceAuthorizationFailure(id, limit) {
      return atomic(ctx, async (db) => {
        const row = await db
          .updateTable('device_authorizations')
          .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .returning('failed_attempts')
          .executeTakeFirst();
        const failures = row === undefined ? limit : Number(row.failed_attempts);
        if (row !== undefined && failures >= limit) {
          // RFC 8628 §5.1: a user code guessed at too often is locked; the device sees access_denied.
          await db
            .updateTable('device_authorizations')
            .set({ status: 'denied' })
            .where('id', '=', id)
            .where('status', '=', 'pending')
            .execute();
        }
        return failures;
      });
    },

    pollDeviceAuthorization(deviceCodeHash, clientId, now, slowDownStep) {
      return atomic(ctx, async (db) => {
        // On PostgreSQL the row lock serialises concurrent polls of one device code; SQLite's
        // write transaction (BEGIN IMMEDIATE) already does.
        const row = await db
          .selectFrom('device_authorizations')
          .selectAll()
          .where('device_code_hash', '=', deviceCodeHash)
          .$if(ctx.dialect === 'postgres', (query) => query.forUpdate())
          .executeTakeFirst();
        if (row === undefined) {
          return { status: 'not_found' } as const;
        }
        // RFC 6749 §4.1.3 applied to device codes: another client's poll neither counts nor burns it.
        if (row.client_id !== clientId) {
          return { status: 'wrong_client' } as const;
        }
        const record = toRecord(row);
        if (record.expiresAt <= now) {
          return { status: 'expired' } as const;
        }
        if (record.status === 'consumed') {
          return { status: 'consumed' } as const;
        }
        if (record.status === 'denied') {
          return { status: 'denied' } as const;
        }
        if (record.status === 'approved') {
          const won = await db
            .updateTable('device_authorizations')
            .set({ status: 'consumed', last_polled_at: now })
            .where('id', '=', record.id)
            .where('status', '=', 'approved')
            .executeTakeFirst();
          return count(won.numUpdatedRows) === 1
            ? ({ status: 'approved', record } as const)
            : ({ status: 'consumed' } as const);
        }
        // RFC 8628 §3.5 slow_down: "the interval MUST be increased by 5 seconds for this and all
        // subsequent requests".
        if (record.lastPolledAt !== null && now - record.lastPolledAt < record.interval) {
          const interval = record.interval + slowDownStep;
          await db
            .updateTable('device_authorizations')
            .set({ interval, last_polled_at: now })
            .where('id', '=', record.id)
            .execute();
          return { status: 'slow_down', interval } as const;
        }
        await db
          .updateTable('device_authorizations')
          .set({ last_polled_at: now })
          .where('id', '=', record.id)
          .execute();
        return { status: 'pending' } as const;
      });
    },

    async purgeExpiredDeviceAuthorizations(now, limit) {
      const result = await ctx.db
        .deleteFrom('device_authorizations')
        .where('expires_at', '<=', now)
        .$if(limit !== undefined, (query) =>
          query.where('id', 'in', (eb) =>
            eb
              .selectFrom('device_authorizations')
              .select('id')
              .where('expires_at', '<=', now)
              .limit(batchLimit(limit)),
          ),
        )
        .executeTakeFirst();
      return count(result.numDeletedRows);
    },
  };
}
