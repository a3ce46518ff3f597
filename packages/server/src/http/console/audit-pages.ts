/**
 * The console's audit log page: the events of `GET /admin/audit`, newest first, filtered by actor,
 * subject, event and a time window, one page at a time, with links that export the filtered events
 * as CSV or JSON. Long ids and details get break opportunities (`<wbr>`), so the table fits 390 px.
 */
import { escapeHtml, type Html, html, raw } from '../pages/layout.js';
import { consoleNav } from './console-pages.js';

export interface AuditRow {
  time: string;
  type: string;
  actor: string;
  subject: string | null;
  data: Record<string, unknown>;
}

/** The filters as typed. */
export interface AuditFilters {
  actor: string;
  subject: string;
  type: string;
  since: string;
  until: string;
}

const DETAILS_MAX = 240;

/** `text` escaped, with a break opportunity after separators and inside long unbroken runs. */
export function breakable(text: string): Html {
  const pieces = text.split(/(?<=[_./:,;=&-])/).flatMap((piece) => piece.match(/[\s\S]{1,10}/g) ?? []);
  return raw(pieces.map(escapeHtml).join('<wbr>'));
}

/** The event's data in one short line: `key: value; …`, cut at {@link DETAILS_MAX} characters. */
export function compactDetails(data: Record<string, unknown>): string {
  const text = Object.entries(data)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('; ');
  return text.length > DETAILS_MAX ? `${text.slice(0, DETAILS_MAX - 1)}…` : text;
}

/** The page's query (the filters as typed, the empty ones left out), for links. */
export function filterQuery(filters: AuditFilters, extra: Record<string, string> = {}): string {
  return new URLSearchParams(
    Object.entries({ ...filters, ...extra }).filter(([, value]) => value !== ''),
  ).toString();
}

function field(name: keyof AuditFilters, label: string, value: string, hint?: string): Html {
  return html`<label for="${name}">${label}</label><input type="text" id="${name}" name="${name}" value="${value}" maxlength="${name === 'since' || name === 'until' ? 64 : 256}"${hint === undefined ? '' : html` aria-describedby="time-hint"`}>`;
}

export function renderAuditLog(input: {
  filters: AuditFilters;
  items: readonly AuditRow[];
  /** The link to the next page, when there is one. */
  next?: string;
  error?: string;
}): Html {
  const f = input.filters;
  const query = filterQuery(f);
  const suffix = query === '' ? '' : `?${query}`;
  return html`${consoleNav('/console/audit')}
<h1>Audit log</h1>
<form method="get" action="/console/audit" aria-labelledby="filter-h">
<h2 id="filter-h">Filter</h2>
${field('type', 'Event (e.g. client.created)', f.type)}
${field('actor', 'Actor (admin token, person or client id)', f.actor)}
${field('subject', 'Subject (id)', f.subject)}
${field('since', 'From', f.since, 'time')}
${field('until', 'To (inclusive)', f.until, 'time')}
<p id="time-hint" class="muted">Times: a date (2026-03-01, a whole UTC day), a date-time with its zone (2026-03-01T09:30:00Z) or Unix seconds.</p>
<button type="submit">Show</button>
</form>
${input.error === undefined ? '' : html`<p class="error" role="alert" id="audit-error">${input.error}</p>`}
<p>Export these events: <a href="/console/audit/export.csv${suffix}" download>CSV</a> · <a href="/console/audit/export.json${suffix}" download>JSON</a></p>
<table><thead><tr><th scope="col">Event and time</th><th scope="col">Actor → subject</th><th scope="col">Details</th></tr></thead><tbody>
${input.items.map(
  (e) =>
    html`<tr><td>${breakable(e.type)}<br>${e.time}</td><td><code>${breakable(e.actor)}</code><br>→ ${e.subject === null ? '-' : html`<code>${breakable(e.subject)}</code>`}</td><td>${breakable(compactDetails(e.data))}</td></tr>\n`,
)}</tbody></table>
${input.items.length === 0 ? html`<p class="muted">No events match.</p>` : ''}
${input.next === undefined ? '' : html`<p><a href="${input.next}">Older events</a></p>`}`;
}
