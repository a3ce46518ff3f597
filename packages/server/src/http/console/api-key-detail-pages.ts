/**
 * One API key's console page: its details (owner, scopes, state, usage and rate limit, expiry,
 * anomaly policy and anomalies) and, for a role that may change keys, the forms: edit, rotate (the
 * new key is shown once, api-key-pages.ts), disable or enable, acknowledge open anomalies, and the
 * link to the revoke confirmation. A revoked key has no forms: it cannot change. Forms post to
 * /console and work without script; a refused form comes back with what was typed and the reason.
 */
import { type Html, html } from '../pages/layout.js';
import { ANOMALY_POLICIES, type ApiKeyRow, policyOption, time, usageOf } from './api-key-pages.js';
import { consoleNav } from './console-pages.js';

export interface ApiKeyDetail extends ApiKeyRow {
  start: string;
  disabled: boolean;
  created_at: number;
  revoked_at: number | null;
  replaced_by: string | null;
  anomaly_policy: string;
  anomalies: Array<{ at: number; kind: string; value: string; action: string; open: boolean }>;
}

/** What the edit form holds: the typed values, shown again when refused. */
export interface ApiKeyEditForm {
  name: string;
  scope: string;
  anomalyPolicy: string;
}

/** Which form a refusal belongs to, so the reason is shown next to it. */
export type ApiKeyFormName = 'edit' | 'rotate' | 'state';

/** docs/api-keys.md: the default grace of a rotation (`apiKeys.rotationGrace`). */
export const DEFAULT_GRACE = '24h';

export function apiKeyEditFormOf(key: ApiKeyDetail): ApiKeyEditForm {
  return { name: key.name, scope: key.scope, anomalyPolicy: key.anomaly_policy };
}

function errorFor(
  form: ApiKeyFormName,
  error: { form: ApiKeyFormName; message: string } | undefined,
): Html | string {
  return error === undefined || error.form !== form
    ? ''
    : html`<p class="error" role="alert" id="form-error">${error.message}</p>`;
}

function anomalyList(key: ApiKeyDetail): Html {
  return html`<ul id="anomalies">${key.anomalies.map(
    (a) => html`<li>${time(a.at, '')}: ${a.kind} ${a.value} (${a.action}${a.open ? ', open' : ''})</li>`,
  )}</ul>`;
}

function details(key: ApiKeyDetail): Html {
  const rows: [string, Html | string][] = [
    ['Id', html`<code>${key.id}</code> (starts <code>${key.start}</code>)`],
    ['Owner', html`<code>${key.owner}</code>`],
    ['Scopes', key.scope === '' ? 'none' : key.scope],
    ['State', html`<span id="key-state">${key.status}</span>`],
    ['Usage', usageOf(key)],
    ['Expires', time(key.expires_at, 'never')],
    ['Anomaly policy', `${key.anomaly_policy}; ${key.open_anomalies ?? 0} open`],
  ];
  return html`<table><tbody>${rows.map(
    ([label, value]) => html`<tr><th scope="row">${label}</th><td>${value}</td></tr>\n`,
  )}</tbody></table>
${
  key.replaced_by === null
    ? ''
    : html`<p>Rotated: replaced by <a href="/console/api-keys/${encodeURIComponent(key.replaced_by)}">${key.replaced_by}</a>.</p>`
}${key.anomalies.length === 0 ? '' : anomalyList(key)}`;
}

function forms(input: {
  key: ApiKeyDetail;
  form: ApiKeyEditForm;
  grace: string;
  error?: { form: ApiKeyFormName; message: string };
}): Html {
  const { key } = input;
  const path = `/console/api-keys/${encodeURIComponent(key.id)}`;
  return html`<section aria-labelledby="edit-h">
<h2 id="edit-h">Edit</h2>
${errorFor('edit', input.error)}<form method="post" action="${path}/edit">
<label for="edit-name">Name</label>
<input type="text" id="edit-name" name="name" value="${input.form.name}" required maxlength="200">
<label for="edit-scope">Scopes (space-separated)</label>
<input type="text" id="edit-scope" name="scope" value="${input.form.scope}">
<label for="edit-anomaly-policy">When the key is used unusually (new network, country or endpoint, a burst)</label>
<select id="edit-anomaly-policy" name="anomaly_policy">${ANOMALY_POLICIES.filter(([value]) => value !== '').map(([value, label]) => policyOption(value, label, input.form.anomalyPolicy))}</select>
<button type="submit">Save</button>
</form>
</section>
<section aria-labelledby="rotate-h">
<h2 id="rotate-h">Rotate the key</h2>
${errorFor('rotate', input.error)}${
  key.replaced_by === null
    ? html`<form method="post" action="${path}/rotate">
<label for="grace">The old key keeps working for (a duration such as 24h, or 0 to end it now)</label>
<input type="text" id="grace" name="grace" value="${input.grace}" required>
<button type="submit">Rotate key</button>
</form>`
    : html`<p>This key was already rotated: rotate its replacement.</p>`
}
</section>
<section aria-labelledby="state-h">
<h2 id="state-h">${key.disabled ? 'Enable or revoke' : 'Disable or revoke'}</h2>
${errorFor('state', input.error)}<form method="post" action="${path}/${key.disabled ? 'enable' : 'disable'}" class="inline"><button type="submit" class="secondary">${key.disabled ? 'Enable key' : 'Disable key'}</button></form>
${
  (key.open_anomalies ?? 0) > 0
    ? html`<form method="post" action="${path}/acknowledge-anomalies" class="inline"><button type="submit" class="secondary">Acknowledge anomalies</button></form>
`
    : ''
}<a href="${path}/confirm-revoke" aria-label="Revoke ${key.name}">Revoke</a>
</section>`;
}

export function renderApiKey(input: {
  key: ApiKeyDetail;
  canWrite: boolean;
  form: ApiKeyEditForm;
  grace: string;
  error?: { form: ApiKeyFormName; message: string };
}): Html {
  const { key } = input;
  const revoked = key.status === 'revoked';
  return html`${consoleNav('/console/api-keys')}
<h1>${key.name}</h1>
${revoked ? html`<p class="error" role="alert">This API key is revoked: it no longer works and cannot change.</p>\n` : ''}${details(key)}
${
  !input.canWrite
    ? html`<p class="muted">Your admin role can look at API keys, not change them.</p>`
    : revoked
      ? html`${errorFor('edit', input.error)}${errorFor('rotate', input.error)}${errorFor('state', input.error)}`
      : forms(input)
}
<p><a href="/console/api-keys">Back to API keys</a></p>`;
}
