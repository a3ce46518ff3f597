/** The console's pages, server-rendered (every value escaped by `html`). */
import type { StatRange, StatsView } from '../admin/stats.js';
import { type Html, html } from '../pages/layout.js';
import type { Created } from './form-tokens.js';
import { renderUsage } from './stats-pages.js';

export interface OverviewInput {
  clients: ReadonlyArray<{ client_id: string; name: string; disabled: boolean }>;
  users: ReadonlyArray<{ id: string; username: string; disabled: boolean; admin_scopes: string[] | null }>;
  range: StatRange;
  /** `GET /admin/stats`, or why it is missing: the role lacks `stats:read`, or no answer. */
  stats: StatsView | 'forbidden' | 'unavailable';
}

const PAGES = [
  ['/console', 'Overview'],
  ['/console/clients', 'Clients'],
  ['/console/api-keys', 'API keys'],
  ['/console/users', 'People'],
  ['/console/sessions', 'Sessions'],
  ['/console/signing-keys', 'Signing keys'],
  ['/console/risk', 'Risk decisions'],
  ['/console/audit', 'Audit log'],
] as const;

/**
 * The console's navigation, `current` marked for assistive technology (WCAG 2.2, 1.3.1), with the
 * Sign out button, so every page that has the navigation can end the session.
 */
export function consoleNav(current: string): Html {
  return html`<nav aria-label="Console">${PAGES.map(
    ([href, label]) =>
      html`<a href="${href}"${href === current ? html` aria-current="page"` : ''}>${label}</a>`,
  )}${signOut()}</nav>`;
}

/** A post (the BFF ends the session); `class` first, so it reads apart from a page's own forms. */
export function signOut(): Html {
  return html`<form class="inline" method="post" action="/console/auth/logout"><button type="submit">Sign out</button></form>`;
}

export function renderOverview(input: OverviewInput): Html {
  return html`${consoleNav('/console')}
<h1>Tessera console</h1>
${renderUsage(input.range, input.stats)}
<section aria-labelledby="clients-h">
<h2 id="clients-h">Clients (${input.clients.length})</h2>
<table><thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">State</th></tr></thead><tbody>
${input.clients.map((c) => html`<tr><td>${c.name}</td><td><code>${c.client_id}</code></td><td>${c.disabled ? 'disabled' : 'active'}</td></tr>\n`)}
</tbody></table>
</section>
<section aria-labelledby="people-h">
<h2 id="people-h">People (${input.users.length})</h2>
<table><thead><tr><th scope="col">Username</th><th scope="col">Admin role</th><th scope="col">State</th></tr></thead><tbody>
${input.users.map((u) => html`<tr><td>${u.username}</td><td>${u.admin_scopes === null ? '-' : u.admin_scopes.join(', ')}</td><td>${u.disabled ? 'disabled' : 'active'}</td></tr>\n`)}
</tbody></table>
</section>`;
}

export function renderNotOperator(): Html {
  return html`<h1>No access to the console</h1>
<p role="alert">You are signed in, but your account has no admin role. Ask an operator to run <code>tessera users grant-admin</code> for you.</p>
${signOut()}`;
}

export function renderMfaNeeded(): Html {
  return html`<h1>Set up a second factor</h1>
<p role="alert">The admin role needs a second factor. Set up an authenticator app or a passkey on <a href="/account">your account page</a>, then sign in to the console again.</p>
${signOut()}`;
}

export function renderUnavailable(): Html {
  return html`<h1>The console cannot load</h1>
<p role="alert">The admin API did not answer. Try again in a moment.</p>`;
}

/** A page that says what went wrong, with the way back. */
export function renderProblem(title: string, message: string): Html {
  return html`${consoleNav('')}
<h1>${title}</h1>
<p class="error" role="alert">${message}</p>`;
}

/** The hidden one-time token of a create form (form-tokens.ts). */
export function formTokenField(token: string): Html {
  return html`<input type="hidden" name="form_token" value="${token}">`;
}

/** The answer to a second post of the same create form: what the first made, never its secret. */
export function renderAlreadyCreated(created: Created): Html {
  return html`${consoleNav('')}
<h1>Already created</h1>
<p class="ok" role="status">This form was already sent: the ${created.what} was created once, by the first submission. Nothing new was created. Any secret or password was shown once, on the first answer, and is not shown again.</p>
<p><a href="${created.href}" id="created-link">${created.name}</a> <code>${created.id}</code></p>`;
}

/** A destructive action asks first (no script needed): what, on which object, then the post. */
export function renderConfirm(input: {
  section: string;
  heading: string;
  /** What the object is, named, e.g. "the client Billing". */
  what: Html | string;
  consequence: string;
  action: string;
  button: string;
  back: string;
  hidden?: Readonly<Record<string, string>>;
}): Html {
  return html`${consoleNav(input.section)}
<h1>${input.heading}</h1>
<p><strong id="confirm-what">${input.what}</strong></p>
<p role="alert">${input.consequence}</p>
<form method="post" action="${input.action}">
${Object.entries(input.hidden ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<button type="submit" id="confirm">${input.button}</button>
</form>
<p><a href="${input.back}">Cancel, go back</a></p>`;
}
