/** The sign-in page of the account page (no application involved): password, passkey or wallet. */
import { type Html, html, type Words } from './layout.js';
import { t } from './texts/index.js';

export interface AccountSignInInput {
  csrfToken: string;
  username: string | null;
  error: Words | null;
  passkey: Html;
  /** Sign-In with Ethereum, when `siwe.enabled`: the login page's script fills and posts this form. */
  siwe: boolean;
}

export function renderAccountSignInPage(input: AccountSignInInput): Html {
  return html`<h1>${t('login.title')}</h1>
<p class="muted">${t('account.signInTo')}</p>
${input.error === null ? '' : html`<p class="error" role="alert" id="login-error">${input.error}</p>`}
<form method="post" action="/account/login" novalidate>
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<label for="username">${t('login.username')}</label>
<input type="text" id="username" name="username" value="${input.username ?? ''}" autocomplete="username webauthn" autocapitalize="none" spellcheck="false" required autofocus>
<label for="password">${t('login.password')}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">${t('login.submit')}</button>
</form>
${input.passkey}
${
  input.siwe
    ? html`<form method="post" action="/account/login/siwe" id="siwe-form" data-no-wallet="${t('siwe.noWallet')}" data-failed="${t('siwe.signInFailed')}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="message" value="">
<input type="hidden" name="signature" value="">
<button type="button" class="secondary" id="siwe-button">${t('login.siwe')}</button>
<p class="muted" id="siwe-status" role="status"></p>
</form>`
    : ''
}`;
}

/** The second step at `/account/login`: the passkey, or a code from the authenticator app. */
export function renderAccountSecondStep(input: {
  csrfToken: string;
  pending: string;
  error: Words | null;
  codes: boolean;
  passkey: Html | undefined;
}): Html {
  return html`<h1>${t('mfa.title')}</h1>
${input.error === null ? '' : html`<p class="error" role="alert">${input.error}</p>`}
${input.passkey ?? ''}
${
  input.codes
    ? html`<form method="post" action="/account/login/second-factor" novalidate>
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="pending" value="${input.pending}">
<label for="code">${t('mfa.code')}</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="8" autofocus>
<label for="recovery_code">${t('mfa.recoveryCode')}</label>
<input type="text" id="recovery_code" name="recovery_code" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="16">
<button type="submit">${t('mfa.verify')}</button>
</form>`
    : ''
}`;
}
