/** The passkey sign-in form shared by the login page and the account sign-in page. */
import { type Html, html } from './layout.js';
import { t } from './texts/index.js';

export interface PasskeySignInInput {
  /** Where the form posts (`/login/passkey`, `/account/login/passkey`). */
  action: string;
  /** The ceremony options (JSON) and their sealed state. */
  options: unknown;
  state: string;
  csrfToken: string;
  /** Extra hidden fields (the interaction). */
  hidden?: Record<string, string>;
}

export function renderPasskeySignIn(input: PasskeySignInInput): Html {
  return html`<form method="post" action="${input.action}" id="passkey-form" data-options="${JSON.stringify(input.options)}" data-failed="${t('passkey.signInFailed')}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="state" value="${input.state}">
<input type="hidden" name="response" value="">
${Object.entries(input.hidden ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">\n`)}<button type="button" class="secondary" id="passkey-button" hidden>${t('login.passkey')}</button>
<p class="muted" id="passkey-status" role="status"></p>
</form>`;
}
