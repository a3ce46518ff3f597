/**
 * The console's API keys page: the list with state and usage, create (the key shown once) and
 * revoke; one key's page is api-key-detail-pages.ts. Forms post to /console and work without script; a refused form comes back with what was
 * typed and the reason.
 */
import { type Html, html } from '../pages/layout.js';
import { consoleNav, formTokenField } from './console-pages.js';

export interface ApiKeyRow {
  id: string;
  name: string;
  owner: string;
  scope: string;
  status: string;
  usage_count: number;
  last_used_at: number | null;
  expires_at: number | null;
  rate_limit: { limit: number; window: number; kind: string } | null;
  anomaly_policy?: string;
  open_anomalies?: number;
}

export interface ApiKeyForm {
  name: string;
  owner: string;
  scope: string;
  expiresIn: string;
  /** '' for the server's default (`apiKeys.anomalyPolicy`). */
  anomalyPolicy: string;
}

export const EMPTY_API_KEY_FORM: ApiKeyForm = {
  name: '',
  owner: '',
  scope: '',
  expiresIn: '',
  anomalyPolicy: '',
};

/** docs/api-keys.md, "Anomalies": what unusual use of the key leads to. */
export const ANOMALY_POLICIES: readonly [string, string][] = [
  ['', 'server default'],
  ['off', 'off: not judged'],
  ['flag', 'flag: audit only'],
  ['alert', 'alert: audit and an open alert'],
  ['deny', 'deny: refuse the unusual use'],
  ['disable', 'disable: disable the key'],
];

export function policyOption(value: string, label: string, current: string): Html {
  return html`<option value="${value}"${value === current ? html` selected` : ''}>${label}</option>`;
}

function anomaliesOf(key: ApiKeyRow): string {
  const open = key.open_anomalies ?? 0;
  return `anomalies: ${key.anomaly_policy ?? 'flag'}${open > 0 ? `, ${open} open` : ''}`;
}

export function time(seconds: number | null, none: string): string {
  return seconds === null ? none : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function usageOf(key: ApiKeyRow): string {
  const limit =
    key.rate_limit === null ? 'no rate limit' : `limit ${key.rate_limit.limit} per ${key.rate_limit.window}s`;
  return `${key.usage_count} uses, last ${time(key.last_used_at, 'never')}; ${limit}`;
}

export function renderApiKeyList(input: {
  keys: readonly ApiKeyRow[];
  canWrite: boolean;
  form: ApiKeyForm;
  token: string;
  error?: string;
}): Html {
  return html`${consoleNav('/console/api-keys')}
<h1>API keys</h1>
<section aria-labelledby="list-h">
<h2 id="list-h">Keys (${input.keys.length})</h2>
<table><thead><tr><th scope="col">Key</th><th scope="col">State and usage</th></tr></thead><tbody>
${input.keys.map(
  (key) =>
    html`<tr><td><a href="/console/api-keys/${encodeURIComponent(key.id)}">${key.name}</a><br><code>${key.id}</code><br><span class="muted">owner<br><code>${key.owner}</code>${key.scope === '' ? '' : html`<br>scope ${key.scope}`}</span></td><td>${key.status}<br><span class="muted">${usageOf(key)}; expires ${time(key.expires_at, 'never')}; ${anomaliesOf(key)}</span>${
      input.canWrite && key.status !== 'revoked'
        ? html`<br><a href="/console/api-keys/${encodeURIComponent(key.id)}/confirm-revoke" aria-label="Revoke ${key.name}">Revoke</a>`
        : ''
    }</td></tr>\n`,
)}</tbody></table>
</section>
${
  input.canWrite
    ? html`<section aria-labelledby="create-h">
<h2 id="create-h">Create an API key</h2>
${input.error === undefined ? '' : html`<p class="error" role="alert" id="form-error">${input.error}</p>`}<form method="post" action="/console/api-keys">
${formTokenField(input.token)}
<label for="key-name">Name</label>
<input type="text" id="key-name" name="name" value="${input.form.name}" required maxlength="200">
<label for="key-owner">Owner: a client id (cli_…) or a user id (usr_…)</label>
<input type="text" id="key-owner" name="owner" value="${input.form.owner}" required maxlength="100">
<label for="key-scope">Scopes (space-separated)</label>
<input type="text" id="key-scope" name="scope" value="${input.form.scope}">
<label for="key-expires">Expires in (a duration such as 30d; empty: never)</label>
<input type="text" id="key-expires" name="expires_in" value="${input.form.expiresIn}">
<label for="key-anomaly-policy">When the key is used unusually (new network, country or endpoint, a burst)</label>
<select id="key-anomaly-policy" name="anomaly_policy">${ANOMALY_POLICIES.map(([value, label]) => policyOption(value, label, input.form.anomalyPolicy))}</select>
<button type="submit">Create API key</button>
</form>
</section>`
    : html`<p class="muted">Your admin role can look at API keys, not change them.</p>`
}`;
}

/**
 * The one time a key is shown: after a create (back to the list) or a rotation (`rotated`: what
 * happens to the old key; back to the new key's page).
 */
export function renderApiKeyShown(key: ApiKeyRow, secret: string, rotated?: string): Html {
  return html`${consoleNav('/console/api-keys')}
<h1>${rotated === undefined ? 'API key created' : 'API key rotated'}</h1>
<p class="ok" role="status">Copy the key now: it is shown only this once.${rotated === undefined ? '' : ` ${rotated}`}</p>
<p>${key.name}, id <code id="api-key-id">${key.id}</code></p>
<p>API key:</p>
<code class="secret" id="api-key">${secret}</code>
<p>${
    rotated === undefined
      ? html`<a href="/console/api-keys">Back to API keys</a>`
      : html`<a href="/console/api-keys/${encodeURIComponent(key.id)}">Back to ${key.name}</a>`
  }</p>`;
}
