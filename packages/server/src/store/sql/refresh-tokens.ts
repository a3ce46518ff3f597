/** Refresh tokens in rotation families (RFC 9700 §4.14): rotate once, a reuse revokes the family. */
import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type {
  RedeemResult,
  RefreshPresentation,
  RefreshRedemption,
  RefreshSuccessor,
  RefreshTokenRecord,
  RefreshTokenStore,
  ReuseGrace,
  RotateResult,
} from '../ports.js';
import { batchLimit } from './batch-limit.js';
import { atomic, count, fromJson, type SqlContext, toJson, unique } from './context.js';
import type { Database, RefreshTokenRow, UserRow } from './database.js';
import { prepareQuery } from './prepared-query.js';
import { toUser } from './users.js';

function toRefreshToken(row: InsertedRow): RefreshTokenRecord {
  return {
    hash: row.hash,
    familyId: row.family_id,
    clientId: row.client_id,
    userId: row.user_id,
    sessionId: row.session_id,
    scope: fromJson(row.scope),
    audience: fromJson(row.audience),
    authTime: row.auth_time,
    amr: fromJson(row.amr),
    acr: row.acr,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    familyExpiresAt: row.family_expires_at,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
    jkt: row.dpop_jkt,
  };
}

/** The columns a token is inserted with, by {@link insert} and the one-statement rotations. */
const SUCCESSOR_COLUMNS = [
  'hash',
  'family_id',
  'client_id',
  'user_id',
  'session_id',
  'scope',
  'audience',
  'auth_time',
  'amr',
  'acr',
  'issued_at',
  'expires_at',
  'family_expires_at',
  'used_at',
  'revoked_at',
  'dpop_jkt',
] as const satisfies readonly (keyof RefreshTokenRow)[];

/** A token's columns as it is inserted (a new token keeps no successor). */
type InsertedRow = Pick<RefreshTokenRow, (typeof SUCCESSOR_COLUMNS)[number]>;

const insertToken = prepareQuery<InsertedRow, never>(SUCCESSOR_COLUMNS, (db, row) =>
  db.insertInto('refresh_tokens').values(row),
);

async function insert(db: Kysely<Database>, token: RefreshTokenRecord): Promise<void> {
  // A caller that leaves an optional field out (plain JavaScript) stores null, as when Kysely
  // omitted the column.
  await unique('refresh token already exists', () =>
    insertToken.execute(db, {
      hash: token.hash,
      family_id: token.familyId,
      client_id: token.clientId,
      user_id: token.userId,
      session_id: token.sessionId ?? null,
      scope: toJson(token.scope),
      audience: toJson(token.audience),
      auth_time: token.authTime,
      amr: toJson(token.amr),
      acr: token.acr ?? null,
      issued_at: token.issuedAt,
      expires_at: token.expiresAt,
      family_expires_at: token.familyExpiresAt,
      used_at: token.usedAt ?? null,
      revoked_at: token.revokedAt ?? null,
      dpop_jkt: token.jkt ?? null,
    }),
  );
}

async function revokeFamilies(db: Kysely<Database>, familyIds: string[], now: number): Promise<void> {
  if (familyIds.length === 0) {
    return;
  }
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('family_id', 'in', familyIds)
    .where('revoked_at', 'is', null)
    .execute();
  // A revoked family has nothing left to retry: drop the sealed successors it kept for the grace.
  await forgetSealedSuccessors(db, { familyIds });
}

/** Drops sealed successors: of whole families, or whose grace ended. */
async function forgetSealedSuccessors(
  db: Kysely<Database>,
  which: { familyIds: string[] } | { graceEndedBy: number },
): Promise<void> {
  let query = db
    .updateTable('refresh_tokens')
    .set({ successor_sealed: null, grace_until: null })
    .where('successor_sealed', 'is not', null);
  if ('familyIds' in which) {
    query = query.where('family_id', 'in', which.familyIds);
  } else {
    query = query.where('grace_until', '<=', which.graceEndedBy);
  }
  await query.execute();
}

/**
 * Drops the sealed copy of the token just used, kept by its predecessor for a retry within the
 * reuse grace: used, that token can never be handed out again.
 */
const forgetSealedCopy = prepareQuery<{ familyId: string; successorHash: string }, never>(
  ['familyId', 'successorHash'],
  (db, { familyId, successorHash }) =>
    db
      .updateTable('refresh_tokens')
      .set({ successor_sealed: null, grace_until: null })
      .where('successor_sealed', 'is not', null)
      .where('family_id', '=', familyId)
      .where('successor_hash', '=', successorHash),
);

/** The successor a retry within the reuse grace may return: still current at `now`. */
async function currentSuccessor(
  db: Kysely<Database>,
  row: RefreshTokenRow,
  now: number,
): Promise<RefreshTokenRow | undefined> {
  if (
    row.revoked_at !== null ||
    row.grace_until === null ||
    now >= row.grace_until ||
    row.successor_sealed === null ||
    row.successor_hash === null
  ) {
    return undefined;
  }
  const successor = await db
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('hash', '=', row.successor_hash)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where('family_expires_at', '>', now)
    .executeTakeFirst();
  return successor;
}

/** What marking a token used writes: its successor, and the sealed copy kept for the grace. */
interface MarkUsed {
  hash: string;
  successorHash: string;
  now: number;
  sealed: string | null;
  graceUntil: number | null;
}

function markUsedValues(
  hash: string,
  successorHash: string,
  now: number,
  grace: ReuseGrace | undefined,
): MarkUsed {
  return {
    hash,
    successorHash,
    now,
    sealed: grace?.sealedSuccessor ?? null,
    graceUntil: grace?.until ?? null,
  };
}

/**
 * The race arbiter: marks `hash` used if it is still live, recording its successor. With a
 * presentation, only if the token is also the presenting client's, bound to no DPoP key or to the
 * proof's, and its person exists, is enabled and was not re-keyed after it was issued: a token that
 * fails those is left untouched (the caller then says why, before any reuse check).
 */
function markUsed(
  db: Kysely<Database>,
  values: MarkUsed,
  presented?: Pick<RefreshPresentation, 'clientId' | 'jkt'>,
) {
  const { hash, successorHash, now, sealed, graceUntil } = values;
  let query = db
    .updateTable('refresh_tokens')
    .set({ used_at: now, successor_hash: successorHash, successor_sealed: sealed, grace_until: graceUntil })
    .where('hash', '=', hash)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where('family_expires_at', '>', now);
  if (presented !== undefined) {
    const { clientId, jkt } = presented;
    query = query
      .where('client_id', '=', clientId)
      // RFC 9449 §5: no binding, or the proof's key; a request without a proof (null) matches no key.
      .where((eb) => eb.or([eb('dpop_jkt', 'is', null), eb('dpop_jkt', '=', jkt)]))
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('users')
            .select('users.id')
            .whereRef('users.id', '=', 'refresh_tokens.user_id')
            .where('users.disabled', '=', 0)
            .whereRef('users.tokens_valid_after', '<=', 'refresh_tokens.issued_at'),
        ),
      );
  }
  return query.returningAll();
}

/** {@link markUsed} for a presentation, compiled once: the redemption's race arbiter. */
const markPresentedUsed = prepareQuery<
  MarkUsed & Pick<RefreshPresentation, 'clientId' | 'jkt'>,
  RefreshTokenRow
>(['hash', 'successorHash', 'now', 'sealed', 'graceUntil', 'clientId', 'jkt'], (db, values) =>
  markUsed(db, values, values),
);

/** Why a presentation's conditional UPDATE (see {@link markUsed}) did not touch a live token. */
function refusal(
  row: RefreshTokenRow,
  user: UserRow | undefined,
  presented: RefreshPresentation,
): 'client' | 'dpop' | 'user' | undefined {
  if (row.client_id !== presented.clientId) {
    return 'client';
  }
  if (row.dpop_jkt !== null && row.dpop_jkt !== presented.jkt) {
    return 'dpop';
  }
  if (user === undefined || user.disabled !== 0 || row.issued_at < user.tokens_valid_after) {
    return 'user';
  }
  return undefined;
}

/** The successor of `previous`: the same grant, a new hash, a sliding expiry within the family's end. */
function successorOf(previous: RefreshTokenRecord, successor: RefreshSuccessor): RefreshTokenRecord {
  return {
    ...previous,
    hash: successor.hash,
    issuedAt: successor.issuedAt,
    expiresAt: Math.min(successor.expiresAt, previous.familyExpiresAt),
    usedAt: null,
    revokedAt: null,
  };
}

/**
 * PostgreSQL's data-modifying CTEs: mark used, insert the successor and drop the sealed copy the
 * predecessor kept (found by `successor_hash` alone, as in {@link redeemManyStatement}), in one
 * atomic statement, the last two only if the first won. Concurrent
 * statements on one token queue on its row lock and re-check `used_at` (READ COMMITTED), so exactly
 * one wins. Undefined when it did not win: the caller's transaction then tells why (reuse, retry,
 * expired or unknown), as on SQLite.
 */
async function rotateInOneStatement(
  db: Kysely<Database>,
  oldHash: string,
  next: RefreshTokenRecord,
  now: number,
  grace: ReuseGrace | undefined,
): Promise<RefreshTokenRow | undefined> {
  const time = (value: number | null) => sql<number>`cast(${value} as bigint)`;
  return unique('refresh token already exists', () =>
    db
      .with('won', () => markUsed(db, markUsedValues(oldHash, next.hash, now, grace)))
      .with('successor', (w) =>
        w
          .insertInto('refresh_tokens')
          .columns(SUCCESSOR_COLUMNS)
          .expression((eb) =>
            eb
              .selectFrom('won')
              .select([
                sql<string>`${next.hash}`.as('hash'),
                sql<string>`${next.familyId}`.as('family_id'),
                sql<string>`${next.clientId}`.as('client_id'),
                sql<string>`${next.userId}`.as('user_id'),
                sql<string | null>`cast(${next.sessionId} as text)`.as('session_id'),
                sql<string>`${toJson(next.scope)}`.as('scope'),
                sql<string>`${toJson(next.audience)}`.as('audience'),
                time(next.authTime).as('auth_time'),
                sql<string>`${toJson(next.amr)}`.as('amr'),
                sql<string | null>`cast(${next.acr} as text)`.as('acr'),
                time(next.issuedAt).as('issued_at'),
                time(next.expiresAt).as('expires_at'),
                time(next.familyExpiresAt).as('family_expires_at'),
                time(next.usedAt).as('used_at'),
                time(next.revokedAt).as('revoked_at'),
                sql<string | null>`cast(${next.jkt} as text)`.as('dpop_jkt'),
              ]),
          ),
      )
      .with('forgotten', (w) =>
        w
          .updateTable('refresh_tokens')
          .set({ successor_sealed: null, grace_until: null })
          .where('successor_sealed', 'is not', null)
          .where('successor_hash', '=', oldHash)
          .where((eb) => eb.exists(eb.selectFrom('won').select('won.hash'))),
      )
      .selectFrom('won')
      .selectAll()
      .executeTakeFirst(),
  );
}

/**
 * A token whose conditional UPDATE did not win: used (a retry within the reuse grace, or reuse: the
 * family revoked in this same transaction), or expired or revoked (`not_found`).
 */
async function lost(
  db: Kysely<Database>,
  row: RefreshTokenRow,
  now: number,
): Promise<Exclude<RotateResult, { status: 'rotated' }>> {
  if (row.used_at !== null) {
    // RFC 9700 §4.14.2 reuse grace: the same token again moments after its rotation, while
    // the successor is still unused, is a client whose response was lost (or a concurrent
    // duplicate): it gets the same successor back, so no second branch of the family exists.
    const successor = await currentSuccessor(db, row, now);
    if (successor !== undefined && row.successor_sealed !== null) {
      return {
        status: 'retried',
        previous: toRefreshToken(row),
        successor: toRefreshToken(successor),
        sealedSuccessor: row.successor_sealed,
      };
    }
    // RFC 9700 §4.14.2: a used refresh token presented again means one of the two parties
    // is an attacker; revoke the whole family, in this same transaction.
    await revokeFamilies(db, [row.family_id], now);
    return { status: 'reused', previous: toRefreshToken(row) };
  }
  return { status: 'not_found' };
}

function findUserRow(db: Kysely<Database>, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The columns of `users` the PostgreSQL redemption returns beside the token's, prefixed `user_`. */
const USER_COLUMNS = [
  'users.id as user_row_id',
  'users.username as user_username',
  'users.email as user_email',
  'users.email_verified as user_email_verified',
  'users.name as user_name',
  'users.password_hash as user_password_hash',
  'users.disabled as user_disabled',
  'users.tokens_valid_after as user_tokens_valid_after',
  'users.mfa_required as user_mfa_required',
  'users.admin_scopes as user_admin_scopes',
  'users.created_at as user_created_at',
  'users.updated_at as user_updated_at',
] as const;

/**
 * {@link rotateInOneStatement} for a presentation (PostgreSQL): the conditional UPDATE also holds
 * the client, DPoP and person conditions, the successor is built from the row it marked used, and
 * the person comes back with it: one round trip for the whole redemption. Undefined when it did
 * not win; the caller's transaction then tells why.
 */
async function redeemInOneStatement(
  db: Kysely<Database>,
  presented: RefreshPresentation,
  successor: RefreshSuccessor,
  now: number,
  grace: ReuseGrace | undefined,
) {
  const time = (value: number) => sql<number>`cast(${value} as bigint)`;
  return unique('refresh token already exists', () =>
    db
      .with('won', () => markUsed(db, markUsedValues(presented.hash, successor.hash, now, grace), presented))
      .with('successor', (w) =>
        w
          .insertInto('refresh_tokens')
          .columns(SUCCESSOR_COLUMNS)
          .expression((eb) =>
            eb
              .selectFrom('won')
              .select([
                sql<string>`${successor.hash}`.as('hash'),
                'won.family_id',
                'won.client_id',
                'won.user_id',
                'won.session_id',
                'won.scope',
                'won.audience',
                'won.auth_time',
                'won.amr',
                'won.acr',
                time(successor.issuedAt).as('issued_at'),
                sql<number>`least(${time(successor.expiresAt)}, won.family_expires_at)`.as('expires_at'),
                'won.family_expires_at',
                sql<number | null>`cast(null as bigint)`.as('used_at'),
                sql<number | null>`cast(null as bigint)`.as('revoked_at'),
                'won.dpop_jkt',
              ]),
          ),
      )
      .with('forgotten', (w) =>
        w
          .updateTable('refresh_tokens')
          .set({ successor_sealed: null, grace_until: null })
          .where('successor_sealed', 'is not', null)
          .where('successor_hash', '=', presented.hash)
          .where((eb) => eb.exists(eb.selectFrom('won').select('won.hash'))),
      )
      .selectFrom('won')
      .innerJoin('users', 'users.id', 'won.user_id')
      .leftJoin('subject_choices', (join) =>
        join
          .onRef('subject_choices.user_id', '=', 'won.user_id')
          .onRef('subject_choices.client_id', '=', 'won.client_id'),
      )
      .selectAll('won')
      .select(USER_COLUMNS)
      .select('subject_choices.subject as chosen_subject')
      .executeTakeFirst(),
  );
}

/** A row of a redemption statement: the token's columns and its person's, prefixed `user_`. */
interface UserColumns {
  user_row_id: string;
  user_username: UserRow['username'];
  user_email: UserRow['email'];
  user_email_verified: UserRow['email_verified'];
  user_name: UserRow['name'];
  user_password_hash: UserRow['password_hash'];
  user_disabled: UserRow['disabled'];
  user_tokens_valid_after: UserRow['tokens_valid_after'];
  user_mfa_required: UserRow['mfa_required'];
  user_admin_scopes: UserRow['admin_scopes'];
  user_created_at: UserRow['created_at'];
  user_updated_at: UserRow['updated_at'];
}

function userOf(row: UserColumns): UserRow {
  return {
    id: row.user_row_id,
    username: row.user_username,
    email: row.user_email,
    email_verified: row.user_email_verified,
    name: row.user_name,
    password_hash: row.user_password_hash,
    disabled: row.user_disabled,
    tokens_valid_after: row.user_tokens_valid_after,
    mfa_required: row.user_mfa_required,
    admin_scopes: row.user_admin_scopes,
    created_at: row.user_created_at,
    updated_at: row.user_updated_at,
  };
}

/** A row of the redemptions' statement: the token as it was marked used, its person, its index. */
type WonRow = InsertedRow & UserColumns & { won_index: number; chosen_subject: string | null };

/**
 * {@link redeemManyInOneStatement}'s SQL, built and compiled once: the presentations come as ONE
 * JSON parameter (`json_to_recordset`), so the text is the same for every group, whatever its size
 * (a `VALUES` list of ten parameters per presentation was built and compiled by Kysely, and each
 * parameter prepared by pg, for every group). PostgreSQL still plans it on every run, with the
 * table's current size: a kept (generic) plan, made while the table was small, scanned it whole.
 *
 * The predecessor's sealed copy is found by `successor_hash` alone, through the partial index of
 * migration 0030 (`refresh_tokens_sealed_successor`): that hash is the token just used, unique in
 * the table. With its family as a second condition, PostgreSQL without fresh statistics (a young or
 * fast-growing table) ANDed the family's index into the lookup, reading every token the family ever
 * had on each rotation.
 */
const redeemManyStatement = prepareQuery<{ presented: string }, WonRow>(['presented'], (db, values) => ({
  compile: () =>
    sql<WonRow>`
      with presented as (
        select * from json_to_recordset(cast(${values.presented} as json)) as p(
          won_index integer, hash text, client_id text, jkt text, successor_hash text,
          issued_at bigint, expires_at bigint, now bigint, sealed text, grace_until bigint
        )
      ),
      won as (
        update refresh_tokens as t
        set used_at = p.now, successor_hash = p.successor_hash, successor_sealed = p.sealed, grace_until = p.grace_until
        from presented as p
        where t.hash = p.hash
          and t.used_at is null
          and t.revoked_at is null
          and t.expires_at > p.now
          and t.family_expires_at > p.now
          and t.client_id = p.client_id
          and (t.dpop_jkt is null or t.dpop_jkt = p.jkt)
          -- The person, as a scalar subquery (null, so false, without one) rather than EXISTS: as a
          -- semi-join, stale statistics could drive the plan from users through the tokens' user
          -- index (seen); each presented token must be found by its primary key.
          and (
            select u.disabled = 0 and u.tokens_valid_after <= t.issued_at from users as u where u.id = t.user_id
          )
        returning ${sql.join(SUCCESSOR_COLUMNS.map((column) => sql.ref(`t.${column}`)))},
          p.won_index, p.successor_hash as next_hash, p.issued_at as next_issued_at, p.expires_at as next_expires_at
      ),
      successor as (
        insert into refresh_tokens (${sql.join(SUCCESSOR_COLUMNS.map((column) => sql.ref(column)))})
        select next_hash, family_id, client_id, user_id, session_id, scope, audience, auth_time, amr, acr,
          next_issued_at, least(next_expires_at, family_expires_at), family_expires_at,
          cast(null as bigint), cast(null as bigint), dpop_jkt
        from won
      ),
      forgotten as (
        update refresh_tokens as f
        set successor_sealed = null, grace_until = null
        from won as w
        where f.successor_sealed is not null and f.successor_hash = w.hash
      )
      select ${sql.join(SUCCESSOR_COLUMNS.map((column) => sql.ref(`won.${column}`)))}, won.won_index,
        ${sql.join(USER_COLUMNS.map((column) => sql.raw(column)))},
        subject_choices.subject as chosen_subject
      from won inner join users on users.id = won.user_id
        left join subject_choices
          on subject_choices.user_id = won.user_id and subject_choices.client_id = won.client_id
    `.compile(db),
}));

/**
 * Many redemptions in ONE statement (PostgreSQL), each as {@link redeemInOneStatement}: the
 * conditional UPDATE marks every presented token that is live, the presenting client's, bound to
 * no DPoP key or to the proof's, and whose person exists, is enabled and was not re-keyed; the
 * successors are inserted from the rows it marked and their predecessors' sealed copies dropped.
 * The presented hashes must be distinct (one row each in the join). Returns the rows that won,
 * with their index; the caller tells the others why, one by one, in the same transaction.
 */
async function redeemManyInOneStatement(
  db: Kysely<Database>,
  redemptions: Array<{ index: number; redemption: Redemption }>,
): Promise<WonRow[]> {
  // JSON carries every value as a parameter (never SQL); a missing `jkt` (plain JavaScript) is null.
  const presented = JSON.stringify(
    redemptions.map(({ index, redemption: { presented, successor, now, grace } }) => ({
      won_index: index,
      hash: presented.hash,
      client_id: presented.clientId,
      jkt: presented.jkt ?? null,
      successor_hash: successor.hash,
      issued_at: successor.issuedAt,
      expires_at: successor.expiresAt,
      now,
      sealed: grace?.sealedSuccessor ?? null,
      grace_until: grace?.until ?? null,
    })),
  );
  const result = await unique('refresh token already exists', () =>
    redeemManyStatement.execute(db, { presented }),
  );
  return result.rows;
}

/**
 * The person a won redemption names, with the `sub` they chose for the token's client (OIDC Core
 * §8; null: none), in one read inside the redemption's transaction: the issuance then needs no
 * `findSubjectChoice` of its own (as PostgreSQL's redemption statements join it).
 */
const findPersonOf = prepareQuery<
  { userId: string; clientId: string },
  UserColumns & { chosen_subject: string | null }
>(['userId', 'clientId'], (db, { userId, clientId }) =>
  db
    .selectFrom('users')
    .leftJoin('subject_choices', (join) =>
      join.onRef('subject_choices.user_id', '=', 'users.id').on('subject_choices.client_id', '=', clientId),
    )
    .select(USER_COLUMNS)
    .select('subject_choices.subject as chosen_subject')
    .where('users.id', '=', userId),
);

/** One redemption, in the caller's transaction. */
type Redemption = RefreshRedemption;

/**
 * The redemptions that win, by {@link redeemManyInOneStatement} (PostgreSQL), at their index;
 * undefined for the others (nothing written for them) and for a hash presented again (only its
 * first presentation goes into the statement: one row each in the join).
 */
async function winnersOf(
  db: Kysely<Database>,
  redemptions: ReadonlyArray<Redemption>,
): Promise<Array<Extract<RedeemResult, { status: 'rotated' }> | undefined>> {
  const results: Array<Extract<RedeemResult, { status: 'rotated' }> | undefined> = redemptions.map(
    () => undefined,
  );
  const seen = new Set<string>();
  const first = redemptions.flatMap((redemption, index) => {
    if (seen.has(redemption.presented.hash)) {
      return [];
    }
    seen.add(redemption.presented.hash);
    return [{ index, redemption }];
  });
  for (const won of await redeemManyInOneStatement(db, first)) {
    results[won.won_index] = {
      status: 'rotated',
      previous: toRefreshToken(won),
      user: toUser(userOf(won)),
      chosenSubject: won.chosen_subject,
    };
  }
  return results;
}

/**
 * One redemption inside a transaction: the conditional UPDATE, then, when it did not win, why
 * (refused, retried, reused with the family revoked, not found).
 */
async function redeemIn(db: Kysely<Database>, redemption: Redemption): Promise<RedeemResult> {
  const { presented, successor, now, grace } = redemption;
  const { rows } = await markPresentedUsed.execute(db, {
    ...markUsedValues(presented.hash, successor.hash, now, grace),
    clientId: presented.clientId,
    jkt: presented.jkt,
  });
  const won = rows[0];
  if (won !== undefined) {
    const previous = toRefreshToken(won);
    await insert(db, successorOf(previous, successor));
    // As in rotateRefreshToken: the sealed copy of the token just used goes now.
    await forgetSealedCopy.execute(db, { familyId: won.family_id, successorHash: presented.hash });
    const person = (await findPersonOf.execute(db, { userId: won.user_id, clientId: won.client_id })).rows[0];
    if (person === undefined) {
      // The UPDATE saw the person in this transaction; nothing can have removed it since.
      throw new Error('refresh token redeemed for a person who does not exist');
    }
    return {
      status: 'rotated',
      previous,
      user: toUser(userOf(person)),
      chosenSubject: person.chosen_subject,
    };
  }
  const row = await db
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('hash', '=', presented.hash)
    .executeTakeFirst();
  if (row === undefined) {
    return { status: 'not_found' };
  }
  // RFC 6749 §6, RFC 9449 §5, a disabled person: refused before any reuse check, so a foreign
  // client or key cannot burn the token or revoke its family.
  const user = await findUserRow(db, row.user_id);
  const reason = refusal(row, user, presented);
  if (reason !== undefined || user === undefined) {
    return { status: 'refused', previous: toRefreshToken(row), reason: reason ?? 'user' };
  }
  const result = await lost(db, row, now);
  return result.status === 'retried' ? { ...result, user: toUser(user) } : result;
}

export function refreshTokenStore(ctx: SqlContext): RefreshTokenStore {
  return {
    insertRefreshToken(token) {
      return insert(ctx.db, token);
    },

    async findRefreshToken(hash) {
      const row = await ctx.db
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('hash', '=', hash)
        .executeTakeFirst();
      return row === undefined ? undefined : toRefreshToken(row);
    },

    async rotateRefreshToken(oldHash, next, now, grace) {
      // PostgreSQL: the winning rotation is ONE statement (one round trip, one commit).
      if (ctx.dialect === 'postgres') {
        const won = await rotateInOneStatement(ctx.db, oldHash, next, now, grace);
        if (won !== undefined) {
          return { status: 'rotated', previous: toRefreshToken(won) };
        }
      }
      return atomic(ctx, async (db): Promise<RotateResult> => {
        // The conditional UPDATE is the race arbiter: concurrent callers block on the winner's row
        // lock (PostgreSQL) or on BEGIN IMMEDIATE (SQLite), then find `used_at` set.
        const won = await markUsed(db, markUsedValues(oldHash, next.hash, now, grace)).executeTakeFirst();
        if (won !== undefined) {
          await insert(db, next);
          // The token just used may be the successor its predecessor keeps sealed for a retry:
          // used, it can never be handed out again, so that sealed copy goes now.
          await forgetSealedCopy.execute(db, { familyId: won.family_id, successorHash: oldHash });
          return { status: 'rotated', previous: toRefreshToken(won) };
        }
        const row = await db
          .selectFrom('refresh_tokens')
          .selectAll()
          .where('hash', '=', oldHash)
          .executeTakeFirst();
        return row === undefined ? { status: 'not_found' } : lost(db, row, now);
      });
    },

    async redeemRefreshToken(presented, successor, now, grace) {
      // PostgreSQL: the winning redemption is ONE statement (one round trip, one commit).
      if (ctx.dialect === 'postgres') {
        const won = await redeemInOneStatement(ctx.db, presented, successor, now, grace);
        if (won !== undefined) {
          return {
            status: 'rotated',
            previous: toRefreshToken(won),
            user: toUser(userOf(won)),
            chosenSubject: won.chosen_subject,
          };
        }
      }
      return atomic(ctx, (db) => redeemIn(db, { presented, successor, now, grace }));
    },

    redeemRefreshTokens(redemptions) {
      return atomic(ctx, async (db) => {
        const results: Array<RedeemResult | undefined> =
          ctx.dialect === 'postgres' && redemptions.length > 1
            ? // One statement for the first presentation of each token; a token presented again in
              // the same call, and every presentation that did not win, go one by one after it.
              await winnersOf(db, redemptions)
            : redemptions.map(() => undefined);
        for (const [index, redemption] of redemptions.entries()) {
          if (results[index] === undefined) {
            results[index] = await redeemIn(db, redemption);
          }
        }
        return results.map((result) => {
          if (result === undefined) {
            throw new Error('refresh redemption without a result');
          }
          return result;
        });
      });
    },

    // PostgreSQL: the winners' statement on its own, outside a transaction (one round trip).
    ...(ctx.dialect === 'postgres'
      ? { redeemRefreshTokenWinners: (redemptions) => winnersOf(ctx.db, redemptions) }
      : {}),

    async revokeRefreshTokens(filter, now) {
      if (
        filter.familyId === undefined &&
        filter.clientId === undefined &&
        filter.userId === undefined &&
        filter.sessionId === undefined
      ) {
        throw new TypeError('revokeRefreshTokens needs at least one filter');
      }
      return atomic(ctx, async (db) => {
        let query = db
          .selectFrom('refresh_tokens')
          .select('family_id')
          .distinct()
          .where('revoked_at', 'is', null);
        if (filter.familyId !== undefined) {
          query = query.where('family_id', '=', filter.familyId);
        }
        if (filter.clientId !== undefined) {
          query = query.where('client_id', '=', filter.clientId);
        }
        if (filter.userId !== undefined) {
          query = query.where('user_id', '=', filter.userId);
        }
        if (filter.sessionId !== undefined) {
          query = query.where('session_id', '=', filter.sessionId);
        }
        const families = (await query.orderBy('family_id').execute()).map((row) => row.family_id);
        await revokeFamilies(db, families, now);
        return families;
      });
    },

    async purgeExpiredRefreshTokens(now, limit) {
      // Sealed successors are kept for the reuse grace only.
      await forgetSealedSuccessors(ctx.db, { graceEndedBy: now });
      // A used token stays until its family expires: presenting it again is how reuse is detected
      // (RFC 9700 §4.14.2), even after its own sliding expiry.
      const dead = (eb: ExpressionBuilder<Database, 'refresh_tokens'>) =>
        eb.or([
          eb('family_expires_at', '<=', now),
          eb.and([
            eb('expires_at', '<=', now),
            eb.or([eb('used_at', 'is', null), eb('revoked_at', 'is not', null)]),
          ]),
        ]);
      const result = await ctx.db
        .deleteFrom('refresh_tokens')
        .where(dead)
        .$if(limit !== undefined, (query) =>
          query.where('hash', 'in', (eb) =>
            eb.selectFrom('refresh_tokens').select('hash').where(dead).limit(batchLimit(limit)),
          ),
        )
        .executeTakeFirst();
      return count(result.numDeletedRows);
    },
  };
}
