/** Subject choices (0027): which applications a person asked to see them by a pairwise `sub`. */
import type { SubjectChoiceRecord, SubjectChoiceStore } from '../ports.js';
import { count, type SqlContext, unique } from './context.js';
import type { SubjectChoiceRow } from './database.js';

function toRecord(row: SubjectChoiceRow): SubjectChoiceRecord {
  return {
    userId: row.user_id,
    clientId: row.client_id,
    subject: row.subject,
    chosenAt: Number(row.chosen_at),
  };
}

export function subjectChoiceStore(ctx: SqlContext): SubjectChoiceStore {
  return {
    async setSubjectChoice(record) {
      await unique('this pairwise subject is taken at this client', () =>
        ctx.db
          .insertInto('subject_choices')
          .values({
            user_id: record.userId,
            client_id: record.clientId,
            subject: record.subject,
            chosen_at: record.chosenAt,
          })
          .onConflict((oc) =>
            oc
              .columns(['user_id', 'client_id'])
              .doUpdateSet({ subject: record.subject, chosen_at: record.chosenAt }),
          )
          .execute(),
      );
    },

    async clearSubjectChoice(userId, clientId) {
      const result = await ctx.db
        .deleteFrom('subject_choices')
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return count(result.numDeletedRows) === 1;
    },

    async findSubjectChoice(userId, clientId) {
      const row = await ctx.db
        .selectFrom('subject_choices')
        .selectAll()
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },

    async findSubjectChoiceBySubject(clientId, subject) {
      const row = await ctx.db
        .selectFrom('subject_choices')
        .selectAll()
        .where('client_id', '=', clientId)
        .where('subject', '=', subject)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },

    async listSubjectChoices(userId) {
      const rows = await ctx.db
        .selectFrom('subject_choices')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('client_id')
        .execute();
      return rows.map(toRecord);
    },
  };
}
