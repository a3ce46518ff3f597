/** The device verification pages (RFC 8628 §3.3): enter the code, then approve or deny. */
import { describeScope } from './consent-page.js';
import { type Html, html } from './layout.js';

export interface DeviceCodePageInput {
  userCode: string;
  csrfToken: string;
  error: string | null;
}

export function renderDeviceCodePage(input: DeviceCodePageInput): Html {
  return html`<h1>Connect a device</h1>
<p class="muted">Enter the code shown on your device. Only continue if you started this on a device you own.</p>
${input.error === null ? '' : html`<p class="error" role="alert" id="code-error">${input.error}</p>`}
<form method="post" action="/device" novalidate>
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<label for="user_code">Code</label>
<input type="text" id="user_code" name="user_code" value="${input.userCode}" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" maxlength="20" required autofocus${input.error === null ? '' : html` aria-describedby="code-error"`}>
<button type="submit">Continue</button>
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
  return html`<h1>Allow this device?</h1>
<p><strong>${input.clientName}</strong>${input.deviceInfo === null ? '' : html` on the device <strong id="device-info">${input.deviceInfo}</strong>`} asks to:</p>
<ul>
${input.scope.map((s) => html`<li>${describeScope(s)}</li>\n`)}
</ul>
<p class="muted">Signed in as ${input.username}. Allow only if the code came from a device in front of you; if someone sent you the code or a link, deny.</p>
<form method="post" action="/device/confirm">
<input type="hidden" name="ticket" value="${input.ticket}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<button type="submit" name="decision" value="allow" autofocus>Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`;
}
