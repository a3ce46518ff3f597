/** The login form (username + password), with its CSRF token and the sealed interaction. */
import { type Html, html, type Words } from './layout.js';
import { t } from './texts/index.js';

export interface LoginPageInput {
  clientName: string;
  interaction: string;
  csrfToken: string;
  username: string | null;
  /** A generic message only: never says whether the username exists. */
  error: Words | null;
  /** The passkey sign-in form, when passkeys are on (then the username field offers them too). */
  passkey?: Html;
  /** The Sign-In with Ethereum form, when `siwe.enabled`. */
  siwe?: Html;
}

/** The Sign-In with Ethereum form; its script (siwe-scripts.ts) asks the wallet and submits it. */
export function renderSiweSignIn(input: { csrfToken: string; interaction: string }): Html {
  return html`<form method="post" action="/login/siwe" id="siwe-form" data-no-wallet="${t('siwe.noWallet')}" data-failed="${t('siwe.signInFailed')}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<input type="hidden" name="interaction" value="${input.interaction}">
<input type="hidden" name="message" value="">
<input type="hidden" name="signature" value="">
<button type="button" class="secondary" id="siwe-button">${t('login.siwe')}</button>
<p class="muted" id="siwe-status" role="status"></p>
</form>`;
}

export function renderLoginPage(input: LoginPageInput): Html {
  const focusPassword = input.username !== null && input.username !== '';
  return html`<h1>${t('login.title')}</h1>
<p class="muted">${t('login.continueTo')} <strong>${input.clientName}</strong></p>
${input.error === null ? '' : html`<p class="error" role="alert" id="login-error">${input.error}</p>`}
<form method="post" action="/login" novalidate>
<input type="hidden" name="interaction" value="${input.interaction}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<label for="username">${t('login.username')}</label>
<input type="text" id="username" name="username" value="${input.username ?? ''}" autocomplete="${input.passkey === undefined ? 'username' : 'username webauthn'}" autocapitalize="none" spellcheck="false" required${focusPassword ? '' : html` autofocus`}${input.error === null ? '' : html` aria-describedby="login-error"`}>
<label for="password">${t('login.password')}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${focusPassword ? html` autofocus` : ''}>
<button type="submit">${t('login.submit')}</button>
</form>
${input.passkey ?? ''}
${input.siwe ?? ''}`;
}
