/**
 * The overview's usage section: a range switch (last hour, day, week) and one chart per kind of call,
 * from `GET /admin/stats`. Each chart is a table first (every figure, readable without script and by
 * assistive technology); with script, uPlot draws the series into the element carrying them in its
 * `data-chart` attribute (no inline script, CSP `script-src 'self'`), labelled as an image with a
 * text summary.
 */
import type { StatRange, StatsView } from '../admin/stats.js';
import { type Html, html } from '../pages/layout.js';

export const RANGES: ReadonlyArray<[StatRange, string]> = [
  ['hour', 'Last hour'],
  ['day', 'Last day'],
  ['week', 'Last week'],
];

const PER: Record<StatRange, string> = { hour: 'per minute', day: 'per 15 minutes', week: 'per 2 hours' };

/** The charts: which counters each one draws, and how a label reads in it. */
const CHARTS: ReadonlyArray<{
  id: string;
  title: string;
  names: readonly string[];
  labelOf?: (name: string, label: string) => string;
}> = [
  { id: 'tokens', title: 'Tokens issued', names: ['tokens_issued'] },
  {
    id: 'verifications',
    title: 'Verifications',
    names: ['api_key_verifications', 'introspections'],
    labelOf: (name, label) => (name === 'introspections' ? `introspection ${label}` : `API key ${label}`),
  },
  { id: 'rejections', title: 'Rejections by reason', names: ['rejections'] },
  { id: 'rate-limited', title: 'Rate-limited calls (429)', names: ['rate_limited'] },
  { id: 'revocations', title: 'Revocations', names: ['revocations'] },
  { id: 'risk', title: 'Risk decisions', names: ['risk_decisions'] },
];

/** As many colours as the style sheet defines (`--s0` … `--s5`). */
const MAX_SERIES = 6;

interface Line {
  label: string;
  total: number;
  counts: number[];
}

/** A chart's lines, biggest first; past {@link MAX_SERIES}, the smallest are summed as `other`. */
function linesOf(view: StatsView, chart: (typeof CHARTS)[number]): Line[] {
  const lines = view.series
    .filter((s) => chart.names.includes(s.name))
    .map((s) => ({ label: chart.labelOf?.(s.name, s.label) ?? s.label, total: s.total, counts: s.counts }))
    .sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
  if (lines.length <= MAX_SERIES) {
    return lines;
  }
  const rest = lines.slice(MAX_SERIES - 1);
  const other: Line = {
    label: 'other',
    total: rest.reduce((sum, line) => sum + line.total, 0),
    counts: view.buckets.map((_, i) => rest.reduce((sum, line) => sum + (line.counts[i] ?? 0), 0)),
  };
  return [...lines.slice(0, MAX_SERIES - 1), other];
}

/** A bucket's start in UTC: `HH:MM`, or `MM-DD HH:MM` for the week. */
function timeOf(seconds: number, range: StatRange): string {
  const iso = new Date(seconds * 1000).toISOString();
  return range === 'week' ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

function renderChart(view: StatsView, chart: (typeof CHARTS)[number]): Html {
  const range = view.range;
  const lines = linesOf(view, chart);
  const heading = `${chart.id}-h`;
  const sum = lines.reduce((total, line) => total + line.total, 0);
  if (lines.length === 0) {
    return html`<section aria-labelledby="${heading}"><h2 id="${heading}">${chart.title}</h2>
<p class="muted">None in the ${range === 'hour' ? 'last hour' : range === 'day' ? 'last day' : 'last week'}.</p></section>
`;
  }
  const summary = `${chart.title}, ${PER[range]}: ${lines.map((line) => `${line.label} ${line.total}`).join(', ')}`;
  const data = JSON.stringify({
    buckets: view.buckets,
    series: lines.map((line) => ({ label: line.label, counts: line.counts })),
  });
  const busy = view.buckets
    .map((start, i) => ({ start, i }))
    .filter(({ i }) => lines.some((l) => (l.counts[i] ?? 0) > 0));
  return html`<section aria-labelledby="${heading}" class="chart"><h2 id="${heading}">${chart.title} (${sum})</h2>
<div class="plot" role="img" aria-label="${summary}" data-chart="${data}"></div>
<table><thead><tr><th scope="col">What</th><th scope="col">Count</th></tr></thead><tbody>
${lines.map((line, i) => html`<tr><td><span class="swatch s${i}"></span>${line.label}</td><td>${line.total}</td></tr>\n`)}</tbody></table>
<details><summary>${busy.length} busy ${busy.length === 1 ? 'interval' : 'intervals'} (${PER[range]}, UTC)</summary>
<table><thead><tr><th scope="col">Time</th>${lines.map((line) => html`<th scope="col">${line.label}</th>`)}</tr></thead><tbody>
${busy.map(({ start, i }) => html`<tr><th scope="row">${timeOf(start, range)}</th>${lines.map((line) => html`<td>${line.counts[i] ?? 0}</td>`)}</tr>\n`)}</tbody></table>
</details></section>
`;
}

/** The range switch and the charts, or why there are none. */
export function renderUsage(range: StatRange, view: StatsView | 'forbidden' | 'unavailable'): Html {
  return html`<section aria-labelledby="usage-h" class="usage"><h2 id="usage-h">Usage</h2>
<nav aria-label="Range" class="range">${RANGES.map(
    ([value, label]) =>
      html`<a href="/console?range=${value}"${value === range ? html` aria-current="true"` : ''}>${label}</a>`,
  )}</nav>
${
  view === 'forbidden'
    ? html`<p class="muted">Your admin role does not include <code>stats:read</code>: the figures are not shown.</p>`
    : view === 'unavailable'
      ? html`<p class="error" role="alert">The figures could not be read. Try again in a moment.</p>`
      : html`<div class="charts">${CHARTS.map((chart) => renderChart(view, chart))}</div>`
}</section>`;
}
