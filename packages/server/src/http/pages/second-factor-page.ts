/**
 * The second step of a password sign-in: a code from the authenticator app (RFC 6238), or one of
 * the recovery codes. Plain HTML, no script, like the login form.
 */
import { type Html, html } from './layout.js';

export interface SecondFactorPageInput {
  clientName: string;
  interaction: string;
  csrfToken: string;
  error: string | null;
  /** The person has an authenticator app (absent: true). */
  codes?: boolean;
  /** "Sign in with a passkey", when the person has one. */
  passkey?: Html;
}

export function renderSecondFactorPage(input: SecondFactorPageInput): Html {
  return html`<h1>Two-step verification</h1>
<p class="muted">to continue to <strong>${input.clientName}</strong></p>
${input.error === null ? '' : html`<p class="error" role="alert" id="code-error">${input.error}</p>`}
${input.passkey ?? ''}
${input.codes === false ? '' : renderCodeForms(input)}`;
}

function renderCodeForms(input: SecondFactorPageInput): Html {
  return html`<form method="post" action="/login/second-factor" novalidate>
<input type="hidden" name="interaction" value="${input.interaction}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<label for="code">Code from your authenticator app</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" autofocus${input.error === null ? '' : html` aria-describedby="code-error"`}>
<button type="submit">Verify</button>
</form>
<form method="post" action="/login/second-factor" novalidate>
<input type="hidden" name="interaction" value="${input.interaction}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<label for="recovery_code">Or a recovery code</label>
<input type="text" id="recovery_code" name="recovery_code" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="16">
<button type="submit" class="secondary">Use recovery code</button>
</form>`;
}

/** A person whose sign-in needs a second factor has none yet: where to set one up. */
export function renderEnrolRequired(input: { clientName: string; enrolUrl: string }): Html {
  return html`<h1>Set up two-step verification</h1>
<p role="alert"><strong>${input.clientName}</strong> requires a second factor when you sign in, and your account has none yet.</p>
<p><a href="${input.enrolUrl}">Set up an authenticator app</a>, then go back to the application and sign in again.</p>`;
}
