/**
 * An audit event as the admin API shows it (`GET /admin/audit`), in JSON and in CSV.
 *
 * Events are recorded without secrets (audit/audit-log.ts: ids and display starts only). As a
 * second line of defence the view blanks anything in an event that has the shape of a credential
 * Tessera mints (`tsr_<kind>_` and its body, DESIGN §3) or of a JWT, wherever it sits.
 *
 * CSV is RFC 4180: a header row, CRLF line ends, a field quoted (with `"` doubled) when it holds a
 * quote, a comma, CR or LF. A field starting with `=`, `+`, `-`, `@`, a tab or a CR is prefixed with
 * `'`, so a spreadsheet shows it as text instead of running it as a formula (OWASP "CSV Injection").
 */
import { z } from 'zod';
import type { AuditEvent } from '../../store/ports.js';

export const auditEventViewSchema = z.object({
  id: z.int().meta({ description: 'Increasing with time; the order of the list (newest first).' }),
  at: z.int().meta({ description: 'Unix seconds' }),
  time: z.string().meta({ description: '`at` as an RFC 3339 date-time in UTC' }),
  type: z.string(),
  actor: z.string(),
  subject: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  request_id: z.string().nullable(),
});

export type AuditEventView = z.infer<typeof auditEventViewSchema>;

const MINTED = /tsr_(cs|at|rt|key|ac|adm|dc|rat)_[0-9A-Za-z]{12,}/g;
const JWT = /eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*/g;

function redactText(text: string): string {
  return text.replace(MINTED, 'tsr_$1_[redacted]').replace(JWT, '[redacted JWT]');
}

function redact(value: unknown): unknown {
  if (typeof value === 'string') {
    return redactText(value);
  }
  if (Array.isArray(value)) {
    return value.map(redact);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [redactText(key), redact(inner)]));
  }
  return value;
}

export function toAuditEventView(event: AuditEvent & { id: number }): AuditEventView {
  return {
    id: event.id,
    at: event.at,
    time: new Date(event.at * 1000).toISOString().replace('.000Z', 'Z'),
    type: redactText(event.type),
    actor: redactText(event.actor),
    subject: event.subject === null ? null : redactText(event.subject),
    data: redact(event.data) as Record<string, unknown>,
    request_id: event.requestId,
  };
}

const COLUMNS = ['id', 'time', 'at', 'type', 'actor', 'subject', 'request_id', 'data'] as const;

/** One CSV field: neutralised if a spreadsheet would read it as a formula, quoted when needed. */
export function csvField(value: string): string {
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The events as an RFC 4180 document with a header row. */
export function toAuditCsv(items: readonly AuditEventView[]): string {
  const rows = items.map((item) =>
    [
      String(item.id),
      item.time,
      String(item.at),
      item.type,
      item.actor,
      item.subject ?? '',
      item.request_id ?? '',
      JSON.stringify(item.data),
    ]
      .map(csvField)
      .join(','),
  );
  return [COLUMNS.join(','), ...rows].map((row) => `${row}\r\n`).join('');
}
