/**
 * The console's people pages: the list with the create form (a typed password, or a generated one
 * shown once), and one person (state, second factors, sessions, consents, API keys) with disable or
 * enable, reset the second factors, end sessions, revoke consents and keys, and delete. Forms post to
 * /console and work without script; deleting asks first on a page of its own.
 */
import { type Html, html } from '../pages/layout.js';
import { consoleNav, formTokenField } from './console-pages.js';

export interface UserRow {
  id: string;
  username: string;
  disabled: boolean;
  admin_scopes: string[] | null;
  mfa?: { totp: boolean; recovery_codes_left: number; passkeys?: unknown[] };
}

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  user_agent: string | null;
  ip: string | null;
}

function time(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

export interface ConsentRow {
  client_id: string;
  scope: string;
  granted_at: number;
}

export interface OwnedKeyRow {
  id: string;
  name: string;
  status: string;
}

/** What the create form holds: the typed values (never the password), shown again when refused. */
export interface UserForm {
  username: string;
  name: string;
  email: string;
  role: string;
}

export const EMPTY_USER_FORM: UserForm = { username: '', name: '', email: '', role: 'none' };

/** The admin roles the create form offers, as admin scopes (docs/console.md). */
export const ROLE_CHOICES = [
  ['none', 'No admin role'],
  ['read', 'Read-only operator'],
  ['admin', 'Full operator'],
] as const;

function createForm(input: { form: UserForm; error?: string; token: string; canGrant: boolean }): Html {
  const { form } = input;
  return html`<section aria-labelledby="create-h">
<h2 id="create-h">Add a person</h2>
${input.error === undefined ? '' : html`<p class="error" role="alert" id="form-error">${input.error}</p>`}<form method="post" action="/console/users">
${formTokenField(input.token)}
<label for="new-username">Username</label>
<input type="text" id="new-username" name="username" value="${form.username}" required maxlength="256" autocomplete="off">
<label for="new-name">Name (optional)</label>
<input type="text" id="new-name" name="name" value="${form.name}" maxlength="400" autocomplete="off">
<label for="new-email">Email (optional)</label>
<input type="email" id="new-email" name="email" value="${form.email}" maxlength="320" autocomplete="off">
<label for="new-password">Password (empty: a password is generated and shown once)</label>
<input type="password" id="new-password" name="password" maxlength="4096" autocomplete="new-password">
${
  input.canGrant
    ? html`<label for="new-role">Admin role</label>
<select id="new-role" name="role">${ROLE_CHOICES.map(
        ([value, label]) =>
          html`<option value="${value}"${form.role === value ? ' selected' : ''}>${label}</option>`,
      )}</select>`
    : ''
}
<button type="submit">Add person</button>
</form>
</section>`;
}

export function renderUserList(input: {
  users: readonly UserRow[];
  canWrite: boolean;
  canGrant: boolean;
  form: UserForm;
  token: string;
  error?: string;
}): Html {
  const { users } = input;
  return html`${consoleNav('/console/users')}
<h1>People</h1>
<table><thead><tr><th scope="col">Username</th><th scope="col">Admin role</th><th scope="col">State</th></tr></thead><tbody>
${users.map(
  (u) =>
    html`<tr><td><a href="/console/users/${encodeURIComponent(u.id)}">${u.username}</a></td><td>${u.admin_scopes === null ? '-' : u.admin_scopes.join(', ')}</td><td>${u.disabled ? 'disabled' : 'active'}</td></tr>\n`,
)}</tbody></table>
${
  input.canWrite
    ? createForm({
        form: input.form,
        token: input.token,
        canGrant: input.canGrant,
        ...(input.error === undefined ? {} : { error: input.error }),
      })
    : ''
}`;
}

/** The answer to a create: the person, and the generated password, shown this once. */
export function renderUserCreated(user: UserRow, password: string | undefined, note: string): Html {
  return html`${consoleNav('/console/users')}
<h1>Person added</h1>
<p class="ok" role="status">${user.username} can sign in now.${note === '' ? '' : html` ${note}`}</p>
<p>Id <code id="user-id">${user.id}</code></p>
${
  password === undefined
    ? ''
    : html`<p>Generated password (copy it now: it is shown only this once):</p>
<code class="secret" id="user-password">${password}</code>`
}
<p><a href="/console/users/${encodeURIComponent(user.id)}">Go to ${user.username}</a></p>`;
}

export function renderUser(input: {
  user: UserRow;
  sessions: readonly SessionRow[];
  consents: readonly ConsentRow[];
  keys: readonly OwnedKeyRow[];
  canWrite: boolean;
}): Html {
  const { user } = input;
  const path = `/console/users/${encodeURIComponent(user.id)}`;
  const mfa = user.mfa;
  const post = (action: string, label: string) =>
    html`<form method="post" action="${path}/${action}" class="inline"><button type="submit" class="secondary">${label}</button></form>`;
  return html`${consoleNav('/console/users')}
<h1>${user.username}</h1>
<p><code>${user.id}</code> · ${user.disabled ? 'disabled' : 'active'} · admin role: ${user.admin_scopes === null ? 'none' : user.admin_scopes.join(', ')}</p>
<section aria-labelledby="mfa-h">
<h2 id="mfa-h">Second factors</h2>
<p id="mfa-state">${mfa === undefined ? 'unknown' : `authenticator app: ${mfa.totp ? 'yes' : 'no'}; recovery codes left: ${mfa.recovery_codes_left}; passkeys: ${mfa.passkeys?.length ?? 0}`}</p>
${input.canWrite && mfa?.totp === true ? post('mfa-reset', 'Reset authenticator app') : ''}
</section>
<section aria-labelledby="sessions-h">
<h2 id="sessions-h">Sessions (${input.sessions.length})</h2>
<ul>${input.sessions.map(
    (s) =>
      html`<li>since ${time(s.created_at)}, last seen ${time(s.last_seen_at)}${s.ip === null ? '' : html`, ${s.ip}`}${
        input.canWrite
          ? html` <a href="/console/sessions/${encodeURIComponent(s.id)}/confirm-end?back=${encodeURIComponent(path)}" aria-label="End the session since ${time(s.created_at)}">End</a>`
          : ''
      }</li>`,
  )}</ul>
</section>
<section aria-labelledby="consents-h">
<h2 id="consents-h">Consents (${input.consents.length})</h2>
<ul>${input.consents.map(
    (c) =>
      html`<li><code>${c.client_id}</code>: ${c.scope === '' ? 'no scopes' : c.scope}, since ${time(c.granted_at)}${
        input.canWrite
          ? html` <form method="post" action="${path}/consents/${encodeURIComponent(c.client_id)}/revoke" class="inline"><button type="submit" class="secondary" aria-label="Revoke the consent to ${c.client_id}">Revoke</button></form>`
          : ''
      }</li>`,
  )}</ul>
</section>
<section aria-labelledby="keys-h">
<h2 id="keys-h">API keys (${input.keys.length})</h2>
<ul>${input.keys.map(
    (k) =>
      html`<li>${k.name} <code>${k.id}</code>, ${k.status}${
        input.canWrite && k.status !== 'revoked'
          ? html` <a href="/console/api-keys/${encodeURIComponent(k.id)}/confirm-revoke?back=${encodeURIComponent(path)}" aria-label="Revoke ${k.name}">Revoke</a>`
          : ''
      }</li>`,
  )}</ul>
</section>
${
  input.canWrite
    ? html`<section aria-labelledby="state-h">
<h2 id="state-h">${user.disabled ? 'Enable or delete' : 'Disable or delete'}</h2>
${user.disabled ? post('enable', 'Enable person') : post('disable', 'Disable person (ends sessions, revokes tokens)')}
<p><a href="${path}/confirm-delete">Delete person</a></p>
</section>`
    : html`<p class="muted">Your admin role can look at people, not change them.</p>`
}`;
}
