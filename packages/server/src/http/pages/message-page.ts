/** Pages that only say something: an error that cannot be redirected, or "you are signed out". */
import type { OAuthError } from '@tessera/protocol';
import { type Html, html } from './layout.js';

export function renderErrorPage(error: OAuthError): Html {
  return html`<h1>Something went wrong</h1>
<p role="alert">${error.description}</p>
<p class="muted">Error code: <code>${error.code}</code>. Go back to the application and try again.</p>`;
}

export function renderMessage(title: string, text: string): Html {
  return html`<h1>${title}</h1>
<p>${text}</p>`;
}

export interface LogoutConfirmInput {
  csrfToken: string;
  /** Logout parameters to carry over (already validated). */
  hidden: Record<string, string>;
}

/** RP-initiated logout without a valid id_token_hint: ask the person, so a link cannot log them out. */
export function renderLogoutConfirm(input: LogoutConfirmInput): Html {
  return html`<h1>Sign out?</h1>
<p>Do you want to sign out of this server?</p>
<form method="post" action="/end-session">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
${Object.entries(input.hidden).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">\n`)}
<button type="submit" name="confirm" value="yes" autofocus>Sign out</button>
</form>`;
}
