/**
 * The console's sessions page: every active sign-in session (newest data from the admin API), who it
 * belongs to, since when, from where, and "End" (asked first on a page of its own). Filtered by
 * username; paged. Fits 390 px in two columns.
 */
import { type Html, html } from '../pages/layout.js';
import { consoleNav } from './console-pages.js';
import type { SessionRow } from './user-pages.js';

export function time(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function renderSessions(input: {
  sessions: readonly SessionRow[];
  /** Usernames by user id (a person deleted meanwhile shows the id). */
  names: ReadonlyMap<string, string>;
  user: string;
  canWrite: boolean;
  next?: string;
  error?: string;
}): Html {
  return html`${consoleNav('/console/sessions')}
<h1>Sessions</h1>
<form method="get" action="/console/sessions" role="search">
${input.error === undefined ? '' : html`<p class="error" role="alert" id="form-error">${input.error}</p>`}<label for="user">Only the sessions of (username)</label>
<input type="text" id="user" name="user" value="${input.user}" maxlength="256">
<button type="submit" class="secondary">Show</button>
</form>
<section aria-labelledby="list-h">
<h2 id="list-h">Active sessions (${input.sessions.length}${input.next === undefined ? '' : '+'})</h2>
<table><thead><tr><th scope="col">Person</th><th scope="col">Session</th></tr></thead><tbody>
${input.sessions.map((s) => {
  const name = input.names.get(s.user_id);
  return html`<tr><td>${name === undefined ? html`<code>${s.user_id}</code>` : html`<a href="/console/users/${encodeURIComponent(s.user_id)}">${name}</a>`}</td><td>since ${time(s.created_at)}<br><span class="muted">last seen ${time(s.last_seen_at)}${s.ip === null ? '' : html`, ${s.ip}`}</span>${
    input.canWrite
      ? html`<br><a href="/console/sessions/${encodeURIComponent(s.id)}/confirm-end" aria-label="End session of ${name ?? s.user_id} since ${time(s.created_at)}">End session</a>`
      : ''
  }</td></tr>\n`;
})}</tbody></table>
</section>
${input.next === undefined ? '' : html`<p><a href="${input.next}">More sessions</a></p>`}`;
}
