/**
 * 0027: the identifier a person chose for one application (OIDC Core §8). A row means "this
 * application sees me by a pairwise `sub` of its own" for a client registered `public`; no row
 * means the account id. `subject` is that pairwise value, unique per client, so a token's `sub`
 * finds its person (userinfo). Gone with the person or the client.
 */
import type { Kysely, Migration } from 'kysely';

export function subjectChoicesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('subject_choices')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('chosen_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('subject_choices_pk', ['user_id', 'client_id'])
        .addUniqueConstraint('subject_choices_client_subject', ['client_id', 'subject'])
        .execute();
    },
  };
}
