/** The sign-in page of the account page (no application involved): password or passkey. */
import { type Html, html } from './layout.js';

export interface AccountSignInInput {
  csrfToken: string;
  username: string | null;
  error: string | null;
  passkey: Html;
}

export function renderAccountSignInPage(input: AccountSignInInput): Html {
  return html`<h1>Sign in</h1>
<p class="muted">to manage your account</p>
${input.error === null ? '' : html`<p class="error" role="alert" id="login-error">${input.error}</p>`}
<form method="post" action="/account/login" novalidate>
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${input.username ?? ''}" autocomplete="username webauthn" autocapitalize="none" spellcheck="false" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
${input.passkey}`;
}
