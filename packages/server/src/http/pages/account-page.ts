/**
 * The account page: what a signed-in person sees of their own access. Every action is a plain
 * form post with the CSRF token; only passkey registration needs script (a served file).
 */
import UAParser from 'ua-parser-js';
import type {
  ApiKeyRecord,
  LinkedIdentifierRecord,
  PasskeyRecord,
  SessionRecord,
  UserRecord,
} from '../../store/ports.js';
import { type Html, html, type Words } from './layout.js';
import { t } from './texts/index.js';

export interface ConnectedApp {
  clientId: string;
  name: string;
  scope: string[];
  grantedAt: number;
  /** The `sub` the application sees (OIDC Core §8). */
  subject: string;
  /** Its own identifier for this person (pairwise), rather than the account id. */
  pairwise: boolean;
  /**
   * The person may choose (the client is registered `public`): a pairwise `sub` for this
   * application, or back to the account id. A client registered pairwise offers no choice.
   */
  choosable: boolean;
}

export interface AccountPageInput {
  user: UserRecord;
  csrfToken: string;
  currentSession: string;
  sessions: SessionRecord[];
  passkeys: PasskeyRecord[];
  apps: ConnectedApp[];
  apiKeys: ApiKeyRecord[];
  /** Wallets and DIDs the person signs in with. */
  identifiers: LinkedIdentifierRecord[];
  /** Sign-In with Ethereum is on: the page offers to link a wallet. */
  walletLinking: boolean;
  /** DIDs may be linked: the challenge to sign (bound to this session), the `aud`, the methods. */
  didLinking?: { nonce: string; expiresAt: number; issuer: string; methods: readonly string[] } | undefined;
  /** The registration ceremony for a new passkey (options JSON and sealed state). */
  registration: { options: unknown; state: string } | undefined;
  notice: Words | null;
  error: Words | null;
  /** A just-created API key: shown this once. */
  newKey: { name: string; key: string } | null;
  now: number;
}

/** "Chrome 131 on macOS (desktop)" from a User-Agent; the raw string when nothing is recognised. */
export function describeDevice(userAgent: string | null): Words {
  if (userAgent === null || userAgent === '') {
    return t('account.unknownDevice');
  }
  const parsed = new UAParser(userAgent).getResult();
  const browser = [parsed.browser.name, parsed.browser.major].filter(Boolean).join(' ');
  const os = [parsed.os.name, parsed.os.version].filter(Boolean).join(' ');
  const device = parsed.device.type ?? 'desktop';
  if (browser === '' && os === '') {
    return userAgent.slice(0, 80);
  }
  if (browser === '') {
    return t('account.unknownBrowserOn', { os, type: device });
  }
  return t(os === '' ? 'account.deviceType' : 'account.deviceOn', { browser, os, type: device });
}

function when(at: number | null, now: number): Words {
  if (at === null) {
    return t('account.never');
  }
  const ago = Math.max(0, now - at);
  if (ago < 60) {
    return t('account.justNow');
  }
  if (ago < 3600) {
    return t('account.minutesAgo', { minutes: String(Math.floor(ago / 60)) });
  }
  if (ago < 86_400) {
    return t('account.hoursAgo', { hours: String(Math.floor(ago / 3600)) });
  }
  return new Date(at * 1000).toISOString().slice(0, 10);
}

function csrf(token: string): Html {
  return html`<input type="hidden" name="csrf_token" value="${token}">`;
}

function passkeysSection(input: AccountPageInput): Html {
  const rows = input.passkeys.map(
    (
      passkey,
    ) => html`<tr data-passkey="${passkey.id}"><td>${passkey.name}${passkey.backupEligible ? html` <span class="muted">${t('account.synced')}</span>` : ''}</td><td>${when(passkey.createdAt, input.now)}</td><td>${when(passkey.lastUsedAt, input.now)}</td>
<td><form method="post" action="/account/passkeys/remove">${csrf(input.csrfToken)}<input type="hidden" name="passkey" value="${passkey.id}"><button type="submit" class="secondary">${t('account.remove')}</button></form></td></tr>
`,
  );
  return html`<section id="passkeys"><h2>${t('account.passkeys')}</h2>
${
  input.passkeys.length === 0
    ? html`<p class="muted">${t('account.noPasskeys')}</p>`
    : html`<table><thead><tr><th>${t('account.name')}</th><th>${t('account.created')}</th><th>${t('account.lastUsed')}</th><th></th></tr></thead><tbody>
${rows}</tbody></table>`
}
${
  input.registration === undefined
    ? ''
    : html`<form method="post" action="/account/passkeys" id="passkey-register" data-options="${JSON.stringify(input.registration.options)}" data-unsupported="${t('passkey.unsupported')}" data-duplicate="${t('passkey.duplicate')}" data-failed="${t('passkey.notCreated')}">
${csrf(input.csrfToken)}
<input type="hidden" name="state" value="${input.registration.state}">
<input type="hidden" name="response" value="">
<label for="passkey-name">${t('account.passkeyName')}</label>
<input type="text" id="passkey-name" name="name" maxlength="64" placeholder="${t('account.passkeyExample')}">
<button type="submit">${t('account.addPasskey')}</button>
<p class="muted" id="passkey-register-status" role="status"></p>
</form>`
}
</section>`;
}

function sessionsSection(input: AccountPageInput): Html {
  return html`<section id="sessions"><h2>${t('account.sessionsTitle')}</h2>
<table><thead><tr><th>${t('account.device')}</th><th>${t('account.signedIn')}</th><th>${t('account.lastSeen')}</th><th></th></tr></thead><tbody>
${input.sessions.map(
  (
    session,
  ) => html`<tr data-session="${session.id}"><td>${describeDevice(session.userAgent)}${session.ip === null ? '' : html`<br><span class="muted">${session.ip}</span>`}${session.id === input.currentSession ? html` <strong>${t('account.thisBrowser')}</strong>` : ''}</td><td>${when(session.authTime, input.now)}</td><td>${when(session.lastSeenAt, input.now)}</td>
<td><form method="post" action="/account/sessions/end">${csrf(input.csrfToken)}<input type="hidden" name="session" value="${session.id}"><button type="submit" class="secondary">${t(session.id === input.currentSession ? 'account.signOut' : 'account.end')}</button></form></td></tr>
`,
)}</tbody></table>
</section>`;
}

/** OIDC Core §8: switch what one application knows the person as; it will not recognise them. */
function subjectChoiceForm(csrfToken: string, app: ConnectedApp): Html {
  return html`<form method="post" action="/account/apps/subject">${csrf(csrfToken)}<input type="hidden" name="client_id" value="${app.clientId}"><input type="hidden" name="subject_type" value="${app.pairwise ? 'public' : 'pairwise'}"><p class="muted">${t('account.subjectWarning')}</p><button type="submit" class="secondary">${t(app.pairwise ? 'account.usePublicSubject' : 'account.usePairwiseSubject')}</button></form>`;
}

function appsSection(input: AccountPageInput): Html {
  return html`<section id="apps"><h2>${t('account.appsTitle')}</h2>
${
  input.apps.length === 0
    ? html`<p class="muted">${t('account.noApps')}</p>`
    : html`<table><thead><tr><th>${t('account.application')}</th><th>${t('account.access')}</th><th>${t('account.knowsYouAs')}</th><th>${t('account.since')}</th><th></th></tr></thead><tbody>
${input.apps.map(
  (
    app,
  ) => html`<tr data-client="${app.clientId}"><td>${app.name}</td><td>${app.scope.join(' ')}</td><td class="subject"><code>${app.subject}</code> <span class="muted">${app.pairwise ? t('account.subjectPairwise') : t('account.subjectPublic')}</span>${app.choosable ? subjectChoiceForm(input.csrfToken, app) : ''}</td><td>${when(app.grantedAt, input.now)}</td>
<td><form method="post" action="/account/apps/revoke">${csrf(input.csrfToken)}<input type="hidden" name="client_id" value="${app.clientId}"><button type="submit" class="secondary">${t('account.revokeAccess')}</button></form></td></tr>
`,
)}</tbody></table>`
}
</section>`;
}

function apiKeysSection(input: AccountPageInput): Html {
  const live = input.apiKeys.filter((key) => key.revokedAt === null);
  return html`<section id="api-keys"><h2>${t('account.keysTitle')}</h2>
${
  input.newKey === null
    ? ''
    : html`<div class="ok" role="status"><p>${t('account.newKey')} <strong>${input.newKey.name}</strong>. ${t('account.newKeyOnce')}</p><code class="secret" id="new-api-key">${input.newKey.key}</code></div>`
}
${
  live.length === 0
    ? html`<p class="muted">${t('account.noKeys')}</p>`
    : html`<table><thead><tr><th>${t('account.name')}</th><th>${t('account.key')}</th><th>${t('account.scopes')}</th><th>${t('account.expires')}</th><th>${t('account.lastUsed')}</th><th></th></tr></thead><tbody>
${live.map(
  (
    key,
  ) => html`<tr data-key="${key.id}"><td>${key.name}</td><td><code>${key.start}…</code></td><td>${key.scope.join(' ')}</td><td>${key.expiresAt === null ? t('account.never') : new Date(key.expiresAt * 1000).toISOString().slice(0, 10)}</td><td>${when(key.lastUsedAt, input.now)}</td>
<td><form method="post" action="/account/api-keys/revoke">${csrf(input.csrfToken)}<input type="hidden" name="key_id" value="${key.id}"><button type="submit" class="secondary">${t('account.revoke')}</button></form></td></tr>
`,
)}</tbody></table>`
}
<form method="post" action="/account/api-keys">${csrf(input.csrfToken)}
<label for="key-name">${t('account.name')}</label><input type="text" id="key-name" name="name" maxlength="100" required>
<label for="key-scope">${t('account.keyScopes')}</label><input type="text" id="key-scope" name="scope" maxlength="1000">
<label for="key-expires">${t('account.keyExpires')}</label><input type="text" id="key-expires" name="expires_in_days" inputmode="numeric" maxlength="5">
<button type="submit">${t('account.createKey')}</button>
</form>
</section>`;
}

function identifiersSection(input: AccountPageInput): Html {
  return html`<section id="identifiers"><h2>${t('account.identifiers')}</h2>
${
  input.identifiers.length === 0
    ? html`<p class="muted">${t('account.noIdentifiers')}</p>`
    : html`<table><thead><tr><th>${t('account.identifier')}</th><th>${t('account.linked')}</th><th></th></tr></thead><tbody>
${input.identifiers.map(
  (
    item,
  ) => html`<tr data-identifier="${item.identifier}"><td><code>${item.identifier}</code>${item.identifier === input.user.id ? html` <span class="muted">${t('account.createdWith')}</span>` : ''}</td><td>${when(item.createdAt, input.now)}</td>
<td>${item.identifier === input.user.id ? '' : html`<form method="post" action="/account/identifiers/unlink">${csrf(input.csrfToken)}<input type="hidden" name="identifier" value="${item.identifier}"><button type="submit" class="secondary">${t('account.unlink')}</button></form>`}</td></tr>
`,
)}</tbody></table>`
}
${
  input.walletLinking
    ? html`<form method="post" action="/account/identifiers/siwe" id="siwe-form" data-no-wallet="${t('siwe.noWallet')}" data-failed="${t('siwe.linkFailed')}">${csrf(input.csrfToken)}
<input type="hidden" name="message" value="">
<input type="hidden" name="signature" value="">
<p class="muted">${t('account.linkHint')}</p>
<button type="button" class="secondary" id="siwe-button">${t('account.linkWallet')}</button>
<p class="muted" id="siwe-status" role="status"></p>
</form>`
    : ''
}
${input.didLinking === undefined ? '' : didForm(input.csrfToken, input.didLinking)}
</section>`;
}

/** A DID is linked by a JWS over this challenge, made outside the browser (docs/decentralized.md §6). */
function didForm(csrfToken: string, challenge: NonNullable<AccountPageInput['didLinking']>): Html {
  const until = new Date(challenge.expiresAt * 1000).toISOString().slice(11, 16);
  return html`<h3>${t('account.did.title')}</h3>
<p class="muted">${t('account.did.hint', { methods: challenge.methods.map((method) => `did:${method}`).join(', ') })}</p>
<dl class="did-challenge"><dt>aud</dt><dd><code id="did-aud">${challenge.issuer}</code></dd><dt>nonce</dt><dd><code id="did-nonce">${challenge.nonce}</code></dd></dl>
<p class="muted">${t('account.did.until', { time: until })}</p>
<form method="post" action="/account/identifiers/did" id="did-form">${csrf(csrfToken)}
<label for="did-input">${t('account.did.did')}</label><input type="text" id="did-input" name="did" maxlength="2048" autocomplete="off" spellcheck="false" required>
<label for="did-jws">${t('account.did.jws')}</label><textarea id="did-jws" name="jws" rows="4" maxlength="8192" spellcheck="false" required></textarea>
<button type="submit" class="secondary">${t('account.did.link')}</button>
</form>`;
}

function dataSection(input: AccountPageInput): Html {
  return html`<section id="data"><h2>${t('account.data')}</h2>
<p><a href="/account/export" download>${t('account.download')}</a> <span class="muted">${t('account.downloadHint')}</span></p>
<h3>${t('account.deleteTitle')}</h3>
<p class="muted">${t('account.deleteHint')}</p>
<form method="post" action="/account/delete">${csrf(input.csrfToken)}
<label for="delete-confirm">${t('account.deleteType')} <strong>delete my account</strong> ${t('account.deleteTypeAfter')}</label>
<input type="text" id="delete-confirm" name="confirm" maxlength="100" autocomplete="off" required>
<button type="submit" class="secondary">${t('account.deleteSubmit')}</button>
</form>
</section>`;
}

/** What a person sees once their account is gone. */
export function renderAccountDeleted(): Html {
  return html`<h1>${t('account.deletedHeading')}</h1>
<p role="status" id="account-deleted">${t('account.deleted')}</p>`;
}

export function renderAccountPage(input: AccountPageInput): Html {
  const { user } = input;
  return html`<h1>${t('account.title')}</h1>
<nav aria-label="${t('account.sections')}"><a href="#profile">${t('account.profile')}</a><a href="#password">${t('account.password')}</a><a href="#passkeys">${t('account.passkeys')}</a><a href="/account/security/totp">${t('account.authenticator')}</a><a href="#sessions">${t('account.sessions')}</a><a href="#apps">${t('account.applications')}</a><a href="#api-keys">${t('account.apiKeys')}</a><a href="#identifiers">${t('account.identifiers')}</a><a href="#data">${t('account.data')}</a></nav>
<p class="muted">${t('account.signedInAs')} <strong>${user.username}</strong>.</p>
${input.notice === null ? '' : html`<p class="ok" role="status">${input.notice}</p>`}
${input.error === null ? '' : html`<p class="error" role="alert">${input.error}</p>`}
<section id="profile"><h2>${t('account.profile')}</h2>
<form method="post" action="/account/profile">${csrf(input.csrfToken)}
<label for="profile-name">${t('account.name')}</label><input type="text" id="profile-name" name="name" value="${user.name ?? ''}" maxlength="200" autocomplete="name">
<label for="profile-email">${t('account.email')}</label><input type="text" id="profile-email" name="email" value="${user.email ?? ''}" maxlength="254" autocomplete="email" inputmode="email">
<button type="submit">${t('account.saveProfile')}</button>
</form></section>
<section id="password"><h2>${t('account.password')}</h2>
<form method="post" action="/account/password">${csrf(input.csrfToken)}
<input type="text" name="username" value="${user.username}" autocomplete="username" hidden>
<label for="current-password">${t('account.currentPassword')}</label><input type="password" id="current-password" name="current_password" autocomplete="current-password" required>
<label for="new-password">${t('account.newPassword')}</label><input type="password" id="new-password" name="new_password" autocomplete="new-password" required>
<p class="muted">${t('account.passwordHint')}</p>
<button type="submit">${t('account.changePassword')}</button>
</form></section>
${passkeysSection(input)}
<section id="security"><h2>${t('account.authenticator')}</h2><p><a href="/account/security/totp">${t('account.manageTotp')}</a></p></section>
${sessionsSection(input)}
${appsSection(input)}
${apiKeysSection(input)}
${identifiersSection(input)}
${dataSection(input)}
<section><form method="post" action="/account/logout" class="inline">${csrf(input.csrfToken)}<button type="submit" class="secondary">${t('account.signOut')}</button></form></section>`;
}
