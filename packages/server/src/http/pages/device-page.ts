/** The device verification pages (RFC 8628 §3.3): enter the code, then approve or deny. */
import { type Html, html, type Words } from './layout.js';
import { scopeText, t } from './texts/index.js';

export interface DeviceCodePageInput {
  userCode: string;
  csrfToken: string;
  error: Words | null;
}

export function renderDeviceCodePage(input: DeviceCodePageInput): Html {
  return html`<h1>${t('device.title')}</h1>
<p class="muted">${t('device.intro')}</p>
${input.error === null ? '' : html`<p class="error" role="alert" id="code-error">${input.error}</p>`}
<form method="post" action="/device" novalidate>
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<label for="user_code">${t('device.code')}</label>
<input type="text" id="user_code" name="user_code" value="${input.userCode}" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" maxlength="20" required autofocus${input.error === null ? '' : html` aria-describedby="code-error"`}>
<button type="submit">${t('device.continue')}</button>
</form>`;
}

export interface DeviceConfirmPageInput {
  clientName: string;
  deviceInfo: string | null;
  username: string;
  scope: string[];
  ticket: string;
  csrfToken: string;
}

export function renderDeviceConfirmPage(input: DeviceConfirmPageInput): Html {
  return html`<h1>${t('device.confirmTitle')}</h1>
<p><strong>${input.clientName}</strong>${input.deviceInfo === null ? '' : html` ${t('device.onDevice')} <strong id="device-info">${input.deviceInfo}</strong>`} ${t('consent.asks')}</p>
<ul>
${input.scope.map((s) => html`<li>${scopeText(s)}</li>\n`)}
</ul>
<p class="muted">${t('device.confirmHint', { username: input.username })}</p>
<form method="post" action="/device/confirm">
<input type="hidden" name="ticket" value="${input.ticket}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<button type="submit" name="decision" value="allow" autofocus>${t('consent.allow')}</button>
<button type="submit" name="decision" value="deny" class="secondary">${t('consent.deny')}</button>
</form>`;
}
