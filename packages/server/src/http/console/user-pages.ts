/**
 * The console's people pages: the list, and one person (state, second factors, sessions) with
 * disable or enable, reset the second factors, and end sessions. Forms post to /console and work
 * without script.
 */
import { type Html, html } from '../pages/layout.js';
import { consoleNav } from './console-pages.js';

export interface UserRow {
  id: string;
  username: string;
  disabled: boolean;
  admin_scopes: string[] | null;
  mfa?: { totp: boolean; recovery_codes_left: number; passkeys?: unknown[] };
}

export interface SessionRow {
  id: string;
  created_at: number;
  last_seen_at: number;
  user_agent: string | null;
  ip: string | null;
}

function time(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function renderUserList(users: readonly UserRow[]): Html {
  return html`${consoleNav('/console/users')}
<h1>People</h1>
<table><thead><tr><th scope="col">Username</th><th scope="col">Admin role</th><th scope="col">State</th></tr></thead><tbody>
${users.map(
  (u) =>
    html`<tr><td><a href="/console/users/${encodeURIComponent(u.id)}">${u.username}</a></td><td>${u.admin_scopes === null ? '-' : u.admin_scopes.join(', ')}</td><td>${u.disabled ? 'disabled' : 'active'}</td></tr>\n`,
)}</tbody></table>`;
}

export function renderUser(input: {
  user: UserRow;
  sessions: readonly SessionRow[];
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
          ? html` <form method="post" action="${path}/sessions/${encodeURIComponent(s.id)}/end" class="inline"><button type="submit" class="secondary" aria-label="End the session since ${time(s.created_at)}">End</button></form>`
          : ''
      }</li>`,
  )}</ul>
</section>
${
  input.canWrite
    ? html`<section aria-labelledby="state-h">
<h2 id="state-h">${user.disabled ? 'Enable' : 'Disable'}</h2>
${user.disabled ? post('enable', 'Enable person') : post('disable', 'Disable person (ends sessions, revokes tokens)')}
</section>`
    : html`<p class="muted">Your admin role can look at people, not change them.</p>`
}`;
}
