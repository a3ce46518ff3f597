/** The consent form: which client asks for what, in words, with Allow and Deny. */
import { type Html, html } from './layout.js';

/** What each OpenID Connect scope lets the client do, for a person to read. */
const SCOPE_WORDS: Record<string, string> = {
  openid: 'Confirm that it is you (your account identifier)',
  profile: 'See your name and username',
  email: 'See your email address',
  offline_access: 'Keep access when you are not using it (stay signed in)',
};

export function describeScope(scope: string): string {
  return SCOPE_WORDS[scope] ?? `Use the permission “${scope}”`;
}

export interface ConsentPageInput {
  clientName: string;
  username: string;
  scope: string[];
  interaction: string;
  csrfToken: string;
}

export function renderConsentPage(input: ConsentPageInput): Html {
  return html`<h1>Allow access?</h1>
<p><strong>${input.clientName}</strong> asks to:</p>
<ul>
${input.scope.map((s) => html`<li>${describeScope(s)}</li>\n`)}
</ul>
<p class="muted">Signed in as ${input.username}. You can change your mind later by asking an administrator to revoke access.</p>
<form method="post" action="/consent">
<input type="hidden" name="interaction" value="${input.interaction}">
<input type="hidden" name="csrf_token" value="${input.csrfToken}">
<button type="submit" name="decision" value="allow" autofocus>Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`;
}
