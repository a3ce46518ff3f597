/**
 * The console's risk decisions page: each risk-based sign-in decision (docs/risk.md) with its
 * score, outcome and top factors, filtered by person, decision and day range, one page at a time.
 */
import { type Html, html } from '../pages/layout.js';
import { consoleNav } from './console-pages.js';

export interface RiskDecisionRow {
  at: number;
  user_id: string;
  decision: string;
  outcome: string;
  score: number;
  factors: ReadonlyArray<{ name: string; value: number }>;
}

/** The filters as typed (days as `YYYY-MM-DD`, UTC). */
export interface RiskFilters {
  user_id: string;
  decision: string;
  since: string;
  until: string;
}

function time(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function option(value: string, label: string, current: string): Html {
  return html`<option value="${value}"${value === current ? html` selected` : ''}>${label}</option>`;
}

export function renderRiskDecisions(input: {
  filters: RiskFilters;
  items: readonly RiskDecisionRow[];
  /** The link to the next page, when there is one. */
  next?: string;
  error?: string;
}): Html {
  const f = input.filters;
  return html`${consoleNav('/console/risk')}
<h1>Risk decisions</h1>
<form method="get" action="/console/risk" aria-labelledby="filter-h">
<h2 id="filter-h">Filter</h2>
<label for="user_id">Person (user id)</label><input id="user_id" name="user_id" value="${f.user_id}" maxlength="128">
<label for="decision">Decision</label><select id="decision" name="decision">${option('', 'any', f.decision)}${option('allow', 'allow', f.decision)}${option('step_up', 'step up', f.decision)}${option('deny', 'deny', f.decision)}</select>
<label for="since">From (UTC day)</label><input id="since" name="since" type="date" value="${f.since}">
<label for="until">To (UTC day, inclusive)</label><input id="until" name="until" type="date" value="${f.until}">
<button type="submit">Show</button>
</form>
${input.error === undefined ? '' : html`<p class="error" role="alert">${input.error}</p>`}
<table><thead><tr><th scope="col">Decision</th><th scope="col">Person and time</th><th scope="col">Top factors</th></tr></thead><tbody>
${input.items.map(
  (d) =>
    html`<tr><td>${d.decision} · score ${d.score.toFixed(2)}<br>outcome ${d.outcome}</td><td><code>${d.user_id}</code><br>${time(d.at)}</td><td>${d.factors.map((factor) => `${factor.name} ${factor.value.toFixed(2)}`).join(', ')}</td></tr>\n`,
)}</tbody></table>
${input.items.length === 0 ? html`<p class="muted">No decisions match.</p>` : ''}
${input.next === undefined ? '' : html`<p><a href="${input.next}">Older decisions</a></p>`}`;
}
