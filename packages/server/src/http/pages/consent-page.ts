/** The consent form: which client asks for what, in words, with Allow and Deny. */
import { type Html, html } from './layout.js';
import { scopeText, t } from './texts/index.js';

export interface ConsentPageInput {
  clientName: string;
  username: string;
  scope: string[];
  interaction: string;
  csrfToken: string;
}

export function renderConsentPage(input: ConsentPageInput): Html {
  return html`<h1>${t('consent.title')}</h1>
<p><strong>${input.clientName}</strong> ${t('consent.asks')}</p>
<ul>
${input.scope.map((s) => html`<li>${scopeText(s)}</li>\n`)}
</ul>
<p class="muted">${t('consent.signedInAs', { username: input.username })} ${t('consent.changeMind')}</p>
<form method="post" action="/consent">
<input type="hidden" name="interaction" value="${input.interaction}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<button type="submit" name="decision" value="allow" autofocus>${t('consent.allow')}</button>
<button type="submit" name="decision" value="deny" class="secondary">${t('consent.deny')}</button>
</form>`;
}
