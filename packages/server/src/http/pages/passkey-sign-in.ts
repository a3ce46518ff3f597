/** The passkey sign-in form shared by the login page and the account sign-in page. */
import { type Html, html } from './layout.js';
import { t } from './texts/index.js';

export type PasskeySignInInput = {
  /** Where the form posts (`/login/passkey`, `/account/login/passkey`). */
  action: string;
  csrfToken: string;
  /** Extra hidden fields (the interaction). */
  hidden?: Record<string, string>;
} & (
  | {
      /** The ceremony options (JSON) and their sealed state. */
      options: unknown;
      state: string;
    }
  | {
      /**
       * No ceremony on the page (a sign-in refused under load): the script fetches the options and
       * their state from here (`POST`, the CSRF token) when the button is pressed.
       */
      optionsUrl: string;
    }
);

export function renderPasskeySignIn(input: PasskeySignInInput): Html {
  const ceremony =
    'optionsUrl' in input
      ? html`data-options-url="${input.optionsUrl}"`
      : html`data-options="${JSON.stringify(input.options)}"`;
  return html`<form method="post" action="${input.action}" id="passkey-form" ${ceremony} data-failed="${t('passkey.signInFailed')}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="state" value="${'optionsUrl' in input ? '' : input.state}">
<input type="hidden" name="response" value="">
${Object.entries(input.hidden ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">\n`)}<button type="button" class="secondary" id="passkey-button" hidden>${t('login.passkey')}</button>
<p class="muted" id="passkey-status" role="status"></p>
</form>`;
}
