/**
 * The authenticator-app (TOTP) pages under `/account/security/totp`: status, enrolment (the
 * `otpauth://` URI as an inline SVG QR code rendered here, and as text), recovery codes shown once.
 */
import { type Html, html, raw } from './layout.js';

const BASE = '/account/security/totp';

function csrf(token: string): Html {
  return html`<input type="hidden" name="csrf_token" value="${token}">`;
}

function errorLine(error: string | null): Html | string {
  return error === null ? '' : html`<p class="error" role="alert" id="totp-error">${error}</p>`;
}

export function renderTotpStatus(input: {
  username: string;
  enrolled: boolean;
  recoveryCodesLeft: number;
  csrfToken: string;
  error: string | null;
  notice?: string | null;
}): Html {
  if (!input.enrolled) {
    return html`<h1>Authenticator app</h1>
<p class="muted">Signed in as <strong>${input.username}</strong></p>
${errorLine(input.error)}${input.notice ? html`<p role="status">${input.notice}</p>` : ''}
<p>Add a second step to your sign-in: a six-digit code from an authenticator app on your phone.</p>
<form method="post" action="${BASE}">
${csrf(input.csrfToken)}
<button type="submit">Set up an authenticator app</button>
</form>`;
  }
  return html`<h1>Authenticator app</h1>
<p class="muted">Signed in as <strong>${input.username}</strong></p>
${errorLine(input.error)}${input.notice ? html`<p role="status">${input.notice}</p>` : ''}
<p id="totp-status">Two-step verification is <strong>on</strong>. Recovery codes left: <strong id="recovery-left">${String(input.recoveryCodesLeft)}</strong>.</p>
<form method="post" action="${BASE}/recovery-codes">
${csrf(input.csrfToken)}
<button type="submit" class="secondary">New recovery codes</button>
</form>
<form method="post" action="${BASE}/remove">
${csrf(input.csrfToken)}
<button type="submit" class="secondary">Remove the authenticator app</button>
</form>`;
}

export function renderTotpEnrol(input: {
  qrSvg: string;
  uri: string;
  secret: string;
  csrfToken: string;
  error: string | null;
}): Html {
  return html`<h1>Set up an authenticator app</h1>
${errorLine(input.error)}
<p>Scan this code with your authenticator app:</p>
<div id="totp-qr" aria-label="QR code of the setup key">${raw(input.qrSvg)}</div>
<p class="muted">Or type this key: <code id="totp-secret">${input.secret}</code></p>
<p class="muted">Setup link: <code id="totp-uri" class="secret">${input.uri}</code></p>
<form method="post" action="${BASE}/confirm" novalidate>
${csrf(input.csrfToken)}
<label for="code">Enter the six-digit code the app shows</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="8" autofocus>
<button type="submit">Turn on</button>
</form>`;
}

export function renderRecoveryCodes(input: { codes: readonly string[]; intro: string }): Html {
  return html`<h1>Your recovery codes</h1>
<p role="status">${input.intro}</p>
<p>Each code works once, if you lose your phone. Keep them somewhere safe: they are shown only now.</p>
<ul id="recovery-codes">${input.codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
<p><a href="${BASE}">Done</a></p>`;
}
