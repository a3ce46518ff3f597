/** Pages that only say something: an error that cannot be redirected, or "you are signed out". */
import type { OAuthError } from '@tessera/protocol';
import { type Html, html, type Words } from './layout.js';
import { type TextKey, t } from './texts/index.js';

/** What a person can do about an error, by its code (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6). */
function adviceFor(error: OAuthError): TextKey {
  if (error.code === 'access_denied') {
    return 'error.denied';
  }
  if (error.code === 'temporarily_unavailable' || error.status === 429) {
    return 'error.busy';
  }
  if (error.code === 'server_error' || error.status >= 500) {
    return 'error.server';
  }
  if (error.code === 'invalid_grant' || error.status === 403 || error.status === 410) {
    return 'error.expired';
  }
  return 'error.request';
}

/**
 * The error page: what happened in the person's words, what they can do, and the request id to
 * quote; the error's description (words for the application's developers, also in the log and in
 * a redirect's `error_description`) is folded away under a summary.
 */
export function renderErrorPage(error: OAuthError, requestId: string): Html {
  return html`<h1>${t('error.title')}</h1>
<p role="alert">${t(adviceFor(error))}</p>
<p class="muted">${t('error.reference')} <code id="request-id">${requestId}</code></p>
<details class="muted"><summary>${t('error.details')}</summary>
<p>${error.description} (<code>${error.code}</code>)</p></details>`;
}

export function renderMessage(title: Words, text: Words): Html {
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
  return html`<h1>${t('logout.title')}</h1>
<p>${t('logout.question')}</p>
<form method="post" action="/end-session">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
${Object.entries(input.hidden).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">\n`)}
<button type="submit" name="confirm" value="yes" autofocus>${t('logout.submit')}</button>
</form>`;
}
