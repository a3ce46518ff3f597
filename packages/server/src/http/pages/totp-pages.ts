/**
 * The authenticator-app (TOTP) pages under `/account/security/totp`: status, enrolment (the
 * `otpauth://` URI as an inline SVG QR code rendered here, and as text), recovery codes shown once.
 */
import { type Html, html, raw, type Words } from './layout.js';
import { t } from './texts/index.js';

const BASE = '/account/security/totp';

function csrf(token: string): Html {
  return html`<input type="hidden" name="csrf_token" value="${token}">`;
}

function errorLine(error: Words | null): Html | string {
  return error === null ? '' : html`<p class="error" role="alert" id="totp-error">${error}</p>`;
}

export function renderTotpStatus(input: {
  username: string;
  enrolled: boolean;
  recoveryCodesLeft: number;
  csrfToken: string;
  error: Words | null;
  notice?: Words | null;
}): Html {
  if (!input.enrolled) {
    return html`<h1>${t('account.authenticator')}</h1>
<p class="muted">${t('account.signedInAs')} <strong>${input.username}</strong></p>
${errorLine(input.error)}${input.notice ? html`<p role="status">${input.notice}</p>` : ''}
<p>${t('totp.intro')}</p>
<form method="post" action="${BASE}">
${csrf(input.csrfToken)}
<button type="submit">${t('totp.setUp')}</button>
</form>`;
  }
  return html`<h1>${t('account.authenticator')}</h1>
<p class="muted">${t('account.signedInAs')} <strong>${input.username}</strong></p>
${errorLine(input.error)}${input.notice ? html`<p role="status">${input.notice}</p>` : ''}
<p id="totp-status">${t('totp.isOn')} ${t('totp.codesLeft')} <strong id="recovery-left">${String(input.recoveryCodesLeft)}</strong>.</p>
<form method="post" action="${BASE}/recovery-codes">
${csrf(input.csrfToken)}
<button type="submit" class="secondary">${t('totp.newCodes')}</button>
</form>
<form method="post" action="${BASE}/remove">
${csrf(input.csrfToken)}
<button type="submit" class="secondary">${t('totp.remove')}</button>
</form>`;
}

export function renderTotpEnrol(input: {
  qrSvg: string;
  uri: string;
  secret: string;
  csrfToken: string;
  error: Words | null;
}): Html {
  return html`<h1>${t('totp.setUp')}</h1>
${errorLine(input.error)}
<p>${t('totp.scan')}</p>
<div id="totp-qr" aria-label="${t('totp.qr')}">${raw(input.qrSvg)}</div>
<p class="muted">${t('totp.typeKey')} <code id="totp-secret">${input.secret}</code></p>
<p class="muted">${t('totp.setupLink')} <code id="totp-uri" class="secret">${input.uri}</code></p>
<form method="post" action="${BASE}/confirm" novalidate>
${csrf(input.csrfToken)}
<label for="code">${t('totp.enterCode')}</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="8" autofocus>
<button type="submit">${t('totp.turnOn')}</button>
</form>`;
}

export function renderRecoveryCodes(input: { codes: readonly string[]; intro: Words }): Html {
  return html`<h1>${t('totp.codesTitle')}</h1>
<p role="status">${input.intro}</p>
<p>${t('totp.codesHint')}</p>
<ul id="recovery-codes">${input.codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
<p><a href="${BASE}">${t('totp.done')}</a></p>`;
}
