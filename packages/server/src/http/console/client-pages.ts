/**
 * The console's clients pages: the list (search, create), one client (edit, rotate the secret,
 * disable or enable, delete), and the page that shows a new secret once. Forms post to /console
 * and work without script; a refused form comes back with what was typed and the reason.
 */
import { type Html, html } from '../pages/layout.js';
import { consoleNav, formTokenField } from './console-pages.js';

export interface ClientRow {
  client_id: string;
  name: string;
  grant_types: string[];
  scope: string;
  redirect_uris: string[];
  token_endpoint_auth_method: string;
  disabled: boolean;
  secrets: Array<{ start: string; created_at: number; expires_at: number | null }>;
}

/** What the create or edit form holds: the typed values, shown again when refused. */
export interface ClientForm {
  name: string;
  grantTypes: string[];
  redirectUris: string;
  scope: string;
}

export const GRANT_CHOICES = ['client_credentials', 'authorization_code', 'refresh_token'] as const;

export const EMPTY_CLIENT_FORM: ClientForm = {
  name: '',
  grantTypes: ['client_credentials'],
  redirectUris: '',
  scope: '',
};

function errorOf(error: string | undefined): Html | string {
  return error === undefined ? '' : html`<p class="error" role="alert" id="form-error">${error}</p>`;
}

function fields(form: ClientForm, prefix: string): Html {
  return html`<label for="${prefix}-name">Name</label>
<input type="text" id="${prefix}-name" name="name" value="${form.name}" required maxlength="200">
<label for="${prefix}-redirect-uris">Redirect URIs (one a line)</label>
<textarea id="${prefix}-redirect-uris" name="redirect_uris" rows="3" cols="30">${form.redirectUris}</textarea>
<label for="${prefix}-scope">Scopes (space-separated)</label>
<input type="text" id="${prefix}-scope" name="scope" value="${form.scope}">`;
}

export function renderClientList(input: {
  clients: readonly ClientRow[];
  query: string;
  canWrite: boolean;
  form: ClientForm;
  token: string;
  error?: string;
}): Html {
  const q = input.query.toLowerCase();
  const shown = input.clients.filter(
    (c) => q === '' || c.name.toLowerCase().includes(q) || c.client_id.toLowerCase().includes(q),
  );
  return html`${consoleNav('/console/clients')}
<h1>Clients</h1>
<form method="get" action="/console/clients" role="search">
<label for="q">Search by name or id</label>
<input type="text" id="q" name="q" value="${input.query}">
<button type="submit" class="secondary">Search</button>
</form>
<section aria-labelledby="list-h">
<h2 id="list-h">${shown.length} of ${input.clients.length} clients</h2>
<table><thead><tr><th scope="col">Name and id</th><th scope="col">State</th></tr></thead><tbody>
${shown.map(
  (c) =>
    html`<tr><td><a href="/console/clients/${encodeURIComponent(c.client_id)}">${c.name}</a><br><code>${c.client_id}</code></td><td>${c.disabled ? 'disabled' : 'active'}</td></tr>\n`,
)}</tbody></table>
</section>
${
  input.canWrite
    ? html`<section aria-labelledby="create-h">
<h2 id="create-h">Create a client</h2>
${errorOf(input.error)}<form method="post" action="/console/clients">
${formTokenField(input.token)}
${fields(input.form, 'new')}
<fieldset><legend>Grant types</legend>
${GRANT_CHOICES.map(
  (grant) =>
    html`<label><input type="checkbox" name="grant_types" value="${grant}"${input.form.grantTypes.includes(grant) ? ' checked' : ''}> ${grant}</label>\n`,
)}</fieldset>
<button type="submit">Create client</button>
</form>
</section>`
    : ''
}`;
}

function when(seconds: number | null): string {
  return seconds === null ? 'no expiry' : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function renderClient(input: {
  client: ClientRow;
  canWrite: boolean;
  form: ClientForm;
  error?: string;
}): Html {
  const { client } = input;
  const path = `/console/clients/${encodeURIComponent(client.client_id)}`;
  return html`${consoleNav('/console/clients')}
<h1>${client.name}</h1>
<p><code>${client.client_id}</code> · ${client.disabled ? 'disabled' : 'active'} · ${client.grant_types.join(', ')}</p>
<section aria-labelledby="secrets-h">
<h2 id="secrets-h">Secrets that work</h2>
<ul>${client.secrets.map((s) => html`<li><code>${s.start}…</code> until ${when(s.expires_at)}</li>`)}</ul>
</section>
${
  input.canWrite
    ? html`<section aria-labelledby="edit-h">
<h2 id="edit-h">Edit</h2>
${errorOf(input.error)}<form method="post" action="${path}/edit">
${fields(input.form, 'edit')}
<button type="submit">Save</button>
</form>
</section>
<section aria-labelledby="rotate-h">
<h2 id="rotate-h">Rotate the secret</h2>
<form method="post" action="${path}/rotate">
<label for="grace">The old secret keeps working for (a duration such as 1h, or 0 to end it now)</label>
<input type="text" id="grace" name="grace" value="1h" required>
<button type="submit">Rotate secret</button>
</form>
</section>
<section aria-labelledby="state-h">
<h2 id="state-h">${client.disabled ? 'Enable or delete' : 'Disable or delete'}</h2>
<form method="post" action="${path}/${client.disabled ? 'enable' : 'disable'}" class="inline"><button type="submit" class="secondary">${client.disabled ? 'Enable client' : 'Disable client'}</button></form>
<a href="${path}/confirm-delete">Delete client</a>
</section>`
    : html`<p class="muted">Your admin role can look at clients, not change them.</p>`
}`;
}

/** The one time a secret is shown. */
export function renderClientSecret(input: {
  client: ClientRow;
  secret: string;
  heading: string;
  note: string;
}): Html {
  return html`${consoleNav('/console/clients')}
<h1>${input.heading}</h1>
<p class="ok" role="status">Copy the secret now: it is shown only this once. ${input.note}</p>
<p>Client id <code id="client-id">${input.client.client_id}</code></p>
<p>Client secret:</p>
<code class="secret" id="client-secret">${input.secret}</code>
<p><a href="/console/clients/${encodeURIComponent(input.client.client_id)}">Back to ${input.client.name}</a></p>`;
}

export function clientFormOf(client: ClientRow): ClientForm {
  return {
    name: client.name,
    grantTypes: client.grant_types,
    redirectUris: client.redirect_uris.join('\n'),
    scope: client.scope,
  };
}
