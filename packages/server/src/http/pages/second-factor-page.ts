/**
 * The second step of a password sign-in: a code from the authenticator app (RFC 6238), or one of
 * the recovery codes. Plain HTML, no script, like the login form.
 */
import { type Html, html, type Words } from './layout.js';
import { t } from './texts/index.js';

export interface SecondFactorPageInput {
  clientName: string;
  interaction: string;
  csrfToken: string;
  error: Words | null;
  /** The person has an authenticator app (absent: true). */
  codes?: boolean;
  /** "Sign in with a passkey", when the person has one. */
  passkey?: Html;
}

export function renderSecondFactorPage(input: SecondFactorPageInput): Html {
  return html`<h1>${t('mfa.title')}</h1>
<p class="muted">${t('login.continueTo')} <strong>${input.clientName}</strong></p>
${input.error === null ? '' : html`<p class="error" role="alert" id="code-error">${input.error}</p>`}
${input.passkey ?? ''}
${input.codes === false ? '' : renderCodeForms(input)}`;
}

function renderCodeForms(input: SecondFactorPageInput): Html {
  return html`<form method="post" action="/login/second-factor" novalidate>
<input type="hidden" name="interaction" value="${input.interaction}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<label for="code">${t('mfa.code')}</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" autofocus${input.error === null ? '' : html` aria-describedby="code-error"`}>
<button type="submit">${t('mfa.verify')}</button>
</form>
<form method="post" action="/login/second-factor" novalidate>
<input type="hidden" name="interaction" value="${input.interaction}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<label for="recovery_code">${t('mfa.recoveryCode')}</label>
<input type="text" id="recovery_code" name="recovery_code" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="16">
<button type="submit" class="secondary">${t('mfa.useRecoveryCode')}</button>
</form>`;
}

/** A person whose sign-in needs a second factor has none yet: where to set one up. */
export function renderEnrolRequired(input: { clientName: string; enrolUrl: string }): Html {
  return html`<h1>${t('mfa.enrolTitle')}</h1>
<p role="alert">${t('mfa.enrolRequired', { client: input.clientName })}</p>
<p><a href="${input.enrolUrl}">${t('mfa.enrolLink')}</a>, ${t('mfa.enrolThen')}</p>`;
}
