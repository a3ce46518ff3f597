/**
 * The query of `GET /admin/audit`: exact filters (`actor`, `subject`, `type`), a time window
 * (`since`, `until`: Unix seconds, an RFC 3339 date-time, or a full date, which stands for its whole
 * UTC day), paging (`limit`, `cursor`) and the representation (`format`: `json` or `csv`). Each bad
 * value is refused with a description naming the parameter and what it accepts.
 */
import { OAuthError } from '@tessera/protocol';
import { z } from 'zod';

export const MAX_AUDIT_PAGE = 100;
const DAY = 86_400;

const instant = z.string().max(64);

export const auditListQuery = z.strictObject({
  actor: z.string().min(1).max(256).optional().meta({
    description:
      'Who acted: `admin` (bootstrap token), an admin token id (`adt_…`), a person or client id, `system`, `anonymous`.',
  }),
  subject: z.string().min(1).max(256).optional().meta({ description: 'What was acted on (an id).' }),
  type: z.string().min(1).max(128).optional().meta({ description: 'The event, e.g. `client.created`.' }),
  since: instant.optional().meta({
    description:
      'Earliest time, inclusive: Unix seconds, an RFC 3339 date-time (`2026-03-01T09:30:00Z`) or a date (`2026-03-01`, from the start of that UTC day).',
  }),
  until: instant.optional().meta({
    description: 'Latest time, inclusive, in the same forms; a date alone means the end of that UTC day.',
  }),
  limit: z
    .string()
    .regex(/^\d{1,3}$/)
    .optional()
    .meta({ description: `Page size, 1 to ${MAX_AUDIT_PAGE} (default ${MAX_AUDIT_PAGE}).` }),
  cursor: z.string().max(512).optional().meta({ description: 'The next value of the previous page.' }),
  format: z.enum(['json', 'csv']).optional().meta({
    description: '`json` (default) or `csv` (RFC 4180; the next page is in the `Link` header, rel="next").',
  }),
});

export interface AuditListRequest {
  filter: { actor?: string; subject?: string; type?: string; since?: number; until?: number };
  limit: number;
  cursor?: string;
  format: 'json' | 'csv';
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Seconds since the epoch of a real calendar day, or undefined (2026-02-30 is not one). */
function dayStart(year: number, month: number, day: number): number | undefined {
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
    ? ms / 1000
    : undefined;
}

/**
 * An instant in Unix seconds, or undefined when `text` is none of the accepted forms. `end` picks
 * the last second of a date given alone and rounds a fraction down (for `until`); otherwise the
 * first second, rounding a fraction up (for `since`), so both bounds stay inclusive.
 */
export function parseInstant(text: string, end: boolean): number | undefined {
  if (/^\d{1,12}$/.test(text)) {
    return Number(text);
  }
  const date = DATE.exec(text);
  if (date !== null) {
    const start = dayStart(Number(date[1]), Number(date[2]), Number(date[3]));
    return start === undefined ? undefined : start + (end ? DAY - 1 : 0);
  }
  const m = DATE_TIME.exec(text);
  if (m === null) {
    return undefined;
  }
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  const day = dayStart(Number(m[1]), Number(m[2]), Number(m[3]));
  const offsetHours = m[8] === undefined ? Number(m[10]) : 0;
  const offsetMinutes = m[8] === undefined ? Number(m[11]) : 0;
  // RFC 3339 §5.6/§5.7: a leap second (:60) is allowed and counted as the second before it.
  if (
    day === undefined ||
    hour > 23 ||
    minute > 59 ||
    second > 60 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  ) {
    return undefined;
  }
  const sign = m[9] === '-' ? -1 : 1;
  const at =
    day + hour * 3600 + minute * 60 + Math.min(second, 59) - sign * (offsetHours * 3600 + offsetMinutes * 60);
  const fraction = m[7] !== undefined && /[1-9]/.test(m[7]);
  return fraction && !end ? at + 1 : at;
}

const PARAMETERS = 'actor, subject, type, since, until, limit, cursor and format';
const MAX_LENGTH: Record<string, number> = { type: 128, since: 64, until: 64, cursor: 512 };

function timeOf(name: 'since' | 'until', text: string | undefined): number | undefined {
  if (text === undefined) {
    return undefined;
  }
  const at = parseInstant(text.trim(), name === 'until');
  if (at === undefined) {
    throw OAuthError.invalidRequest(
      `${name} must be Unix seconds, an RFC 3339 date-time such as 2026-03-01T09:30:00Z, or a date such as 2026-03-01`,
    );
  }
  return at;
}

/** The parsed query, or an `invalid_request` saying which parameter is wrong and why. */
export function parseAuditListQuery(query: unknown): AuditListRequest {
  const result = auditListQuery.safeParse(query ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = issue?.code === 'unrecognized_keys' ? issue.keys[0] : issue?.path[0];
    if (issue?.code === 'unrecognized_keys') {
      throw OAuthError.invalidRequest(`Unknown query parameter ${String(name)}: use ${PARAMETERS}`);
    }
    if (name === 'format') {
      throw OAuthError.invalidRequest('format must be json or csv');
    }
    if (name === 'limit') {
      throw OAuthError.invalidRequest(`limit must be 1 to ${MAX_AUDIT_PAGE}`);
    }
    throw OAuthError.invalidRequest(
      name === undefined
        ? `Invalid query: use ${PARAMETERS}`
        : `Invalid ${String(name)}: give it once, at most ${MAX_LENGTH[String(name)] ?? 256} characters (not empty)`,
    );
  }
  const { actor, subject, type, cursor } = result.data;
  const limit = result.data.limit === undefined ? MAX_AUDIT_PAGE : Number(result.data.limit);
  if (limit < 1 || limit > MAX_AUDIT_PAGE) {
    throw OAuthError.invalidRequest(`limit must be 1 to ${MAX_AUDIT_PAGE}`);
  }
  const since = timeOf('since', result.data.since);
  const until = timeOf('until', result.data.until);
  if (since !== undefined && until !== undefined && since > until) {
    throw OAuthError.invalidRequest('since is after until: the window holds no time');
  }
  return {
    filter: {
      ...(actor === undefined ? {} : { actor }),
      ...(subject === undefined ? {} : { subject }),
      ...(type === undefined ? {} : { type }),
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
    },
    limit,
    ...(cursor === undefined ? {} : { cursor }),
    format: result.data.format ?? 'json',
  };
}
