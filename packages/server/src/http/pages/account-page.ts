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
import { type Html, html } from './layout.js';

export interface ConnectedApp {
  clientId: string;
  name: string;
  scope: string[];
  grantedAt: number;
  /** The `sub` the application sees (OIDC Core §8). */
  subject: string;
  /** Its own identifier for this person (pairwise), rather than the account id. */
  pairwise: boolean;
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
  /** The registration ceremony for a new passkey (options JSON and sealed state). */
  registration: { options: unknown; state: string } | undefined;
  notice: string | null;
  error: string | null;
  /** A just-created API key: shown this once. */
  newKey: { name: string; key: string } | null;
  now: number;
}

/** "Chrome 131 on macOS (desktop)" from a User-Agent; the raw string when nothing is recognised. */
export function describeDevice(userAgent: string | null): string {
  if (userAgent === null || userAgent === '') {
    return 'Unknown device';
  }
  const parsed = new UAParser(userAgent).getResult();
  const browser = [parsed.browser.name, parsed.browser.major].filter(Boolean).join(' ');
  const os = [parsed.os.name, parsed.os.version].filter(Boolean).join(' ');
  const device = parsed.device.type ?? 'desktop';
  if (browser === '' && os === '') {
    return userAgent.slice(0, 80);
  }
  return `${browser || 'Unknown browser'}${os === '' ? '' : ` on ${os}`} (${device})`;
}

function when(at: number | null, now: number): string {
  if (at === null) {
    return 'never';
  }
  const ago = Math.max(0, now - at);
  if (ago < 60) {
    return 'just now';
  }
  if (ago < 3600) {
    return `${Math.floor(ago / 60)} min ago`;
  }
  if (ago < 86_400) {
    return `${Math.floor(ago / 3600)} h ago`;
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
    ) => html`<tr data-passkey="${passkey.id}"><td>${passkey.name}${passkey.backupEligible ? html` <span class="muted">(synced)</span>` : ''}</td><td>${when(passkey.createdAt, input.now)}</td><td>${when(passkey.lastUsedAt, input.now)}</td>
<td><form method="post" action="/account/passkeys/remove">${csrf(input.csrfToken)}<input type="hidden" name="passkey" value="${passkey.id}"><button type="submit" class="secondary">Remove</button></form></td></tr>
`,
  );
  return html`<section id="passkeys"><h2>Passkeys</h2>
${
  input.passkeys.length === 0
    ? html`<p class="muted">No passkeys yet. A passkey signs you in with your fingerprint, face or device PIN, and cannot be phished.</p>`
    : html`<table><thead><tr><th>Name</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody>
${rows}</tbody></table>`
}
${
  input.registration === undefined
    ? ''
    : html`<form method="post" action="/account/passkeys" id="passkey-register" data-options="${JSON.stringify(input.registration.options)}">
${csrf(input.csrfToken)}
<input type="hidden" name="state" value="${input.registration.state}">
<input type="hidden" name="response" value="">
<label for="passkey-name">Name of the new passkey</label>
<input type="text" id="passkey-name" name="name" maxlength="64" placeholder="e.g. Work laptop">
<button type="submit">Add a passkey</button>
<p class="muted" id="passkey-register-status" role="status"></p>
</form>`
}
</section>`;
}

function sessionsSection(input: AccountPageInput): Html {
  return html`<section id="sessions"><h2>Where you are signed in</h2>
<table><thead><tr><th>Device</th><th>Signed in</th><th>Last seen</th><th></th></tr></thead><tbody>
${input.sessions.map(
  (
    session,
  ) => html`<tr data-session="${session.id}"><td>${describeDevice(session.userAgent)}${session.ip === null ? '' : html`<br><span class="muted">${session.ip}</span>`}${session.id === input.currentSession ? html` <strong>(this browser)</strong>` : ''}</td><td>${when(session.authTime, input.now)}</td><td>${when(session.lastSeenAt, input.now)}</td>
<td><form method="post" action="/account/sessions/end">${csrf(input.csrfToken)}<input type="hidden" name="session" value="${session.id}"><button type="submit" class="secondary">${session.id === input.currentSession ? 'Sign out' : 'End'}</button></form></td></tr>
`,
)}</tbody></table>
</section>`;
}

function appsSection(input: AccountPageInput): Html {
  return html`<section id="apps"><h2>Connected applications</h2>
${
  input.apps.length === 0
    ? html`<p class="muted">No application has access to your account.</p>`
    : html`<table><thead><tr><th>Application</th><th>Access</th><th>Knows you as</th><th>Since</th><th></th></tr></thead><tbody>
${input.apps.map(
  (
    app,
  ) => html`<tr data-client="${app.clientId}"><td>${app.name}</td><td>${app.scope.join(' ')}</td><td class="subject"><code>${app.subject}</code> <span class="muted">${app.pairwise ? '(an identifier for this application only)' : '(your account id)'}</span></td><td>${when(app.grantedAt, input.now)}</td>
<td><form method="post" action="/account/apps/revoke">${csrf(input.csrfToken)}<input type="hidden" name="client_id" value="${app.clientId}"><button type="submit" class="secondary">Revoke access</button></form></td></tr>
`,
)}</tbody></table>`
}
</section>`;
}

function apiKeysSection(input: AccountPageInput): Html {
  const live = input.apiKeys.filter((key) => key.revokedAt === null);
  return html`<section id="api-keys"><h2>Personal API keys</h2>
${
  input.newKey === null
    ? ''
    : html`<div class="ok" role="status"><p>Your new key <strong>${input.newKey.name}</strong>. Copy it now: it will not be shown again.</p><code class="secret" id="new-api-key">${input.newKey.key}</code></div>`
}
${
  live.length === 0
    ? html`<p class="muted">No API keys.</p>`
    : html`<table><thead><tr><th>Name</th><th>Key</th><th>Scopes</th><th>Expires</th><th>Last used</th><th></th></tr></thead><tbody>
${live.map(
  (
    key,
  ) => html`<tr data-key="${key.id}"><td>${key.name}</td><td><code>${key.start}…</code></td><td>${key.scope.join(' ')}</td><td>${key.expiresAt === null ? 'never' : new Date(key.expiresAt * 1000).toISOString().slice(0, 10)}</td><td>${when(key.lastUsedAt, input.now)}</td>
<td><form method="post" action="/account/api-keys/revoke">${csrf(input.csrfToken)}<input type="hidden" name="key_id" value="${key.id}"><button type="submit" class="secondary">Revoke</button></form></td></tr>
`,
)}</tbody></table>`
}
<form method="post" action="/account/api-keys">${csrf(input.csrfToken)}
<label for="key-name">Name</label><input type="text" id="key-name" name="name" maxlength="100" required>
<label for="key-scope">Scopes (space-separated)</label><input type="text" id="key-scope" name="scope" maxlength="1000">
<label for="key-expires">Expires in (days, empty for never)</label><input type="text" id="key-expires" name="expires_in_days" inputmode="numeric" maxlength="5">
<button type="submit">Create API key</button>
</form>
</section>`;
}

function identifiersSection(input: AccountPageInput): Html {
  return html`<section id="identifiers"><h2>Wallets and DIDs</h2>
${
  input.identifiers.length === 0
    ? html`<p class="muted">No wallet or DID is linked to your account.</p>`
    : html`<table><thead><tr><th>Identifier</th><th>Linked</th><th></th></tr></thead><tbody>
${input.identifiers.map(
  (
    item,
  ) => html`<tr data-identifier="${item.identifier}"><td><code>${item.identifier}</code>${item.identifier === input.user.id ? html` <span class="muted">(your account was created with it)</span>` : ''}</td><td>${when(item.createdAt, input.now)}</td>
<td>${item.identifier === input.user.id ? '' : html`<form method="post" action="/account/identifiers/unlink">${csrf(input.csrfToken)}<input type="hidden" name="identifier" value="${item.identifier}"><button type="submit" class="secondary">Unlink</button></form>`}</td></tr>
`,
)}</tbody></table>`
}
${
  input.walletLinking
    ? html`<form method="post" action="/account/identifiers/siwe" id="siwe-form">${csrf(input.csrfToken)}
<input type="hidden" name="message" value="">
<input type="hidden" name="signature" value="">
<p class="muted">Sign a message with your Ethereum wallet to prove it is yours; then you can sign in with it.</p>
<button type="button" class="secondary" id="siwe-button">Link an Ethereum wallet</button>
<p class="muted" id="siwe-status" role="status"></p>
</form>`
    : ''
}
</section>`;
}

function dataSection(input: AccountPageInput): Html {
  return html`<section id="data"><h2>Your data</h2>
<p><a href="/account/export" download>Download what we hold about you</a> <span class="muted">(JSON: profile, sign-in methods, sessions, applications, API keys and recent security events; never a secret)</span></p>
<h3>Delete your account</h3>
<p class="muted">This signs you out everywhere, revokes every application's access and every API key, and deletes your account. It cannot be undone.</p>
<form method="post" action="/account/delete">${csrf(input.csrfToken)}
<label for="delete-confirm">Type <strong>delete my account</strong> to confirm</label>
<input type="text" id="delete-confirm" name="confirm" maxlength="100" autocomplete="off" required>
<button type="submit" class="secondary">Delete my account</button>
</form>
</section>`;
}

/** What a person sees once their account is gone. */
export function renderAccountDeleted(): Html {
  return html`<h1>Your account was deleted</h1>
<p role="status" id="account-deleted">You were signed out everywhere, and every application's access and API key was revoked.</p>`;
}

export function renderAccountPage(input: AccountPageInput): Html {
  const { user } = input;
  return html`<h1>Your account</h1>
<nav aria-label="Account sections"><a href="#profile">Profile</a><a href="#password">Password</a><a href="#passkeys">Passkeys</a><a href="/account/security/totp">Authenticator app</a><a href="#sessions">Sessions</a><a href="#apps">Applications</a><a href="#api-keys">API keys</a><a href="#identifiers">Wallets and DIDs</a><a href="#data">Your data</a></nav>
<p class="muted">Signed in as <strong>${user.username}</strong>.</p>
${input.notice === null ? '' : html`<p class="ok" role="status">${input.notice}</p>`}
${input.error === null ? '' : html`<p class="error" role="alert">${input.error}</p>`}
<section id="profile"><h2>Profile</h2>
<form method="post" action="/account/profile">${csrf(input.csrfToken)}
<label for="profile-name">Name</label><input type="text" id="profile-name" name="name" value="${user.name ?? ''}" maxlength="200" autocomplete="name">
<label for="profile-email">Email</label><input type="text" id="profile-email" name="email" value="${user.email ?? ''}" maxlength="254" autocomplete="email" inputmode="email">
<button type="submit">Save profile</button>
</form></section>
<section id="password"><h2>Password</h2>
<form method="post" action="/account/password">${csrf(input.csrfToken)}
<input type="text" name="username" value="${user.username}" autocomplete="username" hidden>
<label for="current-password">Current password</label><input type="password" id="current-password" name="current_password" autocomplete="current-password" required>
<label for="new-password">New password</label><input type="password" id="new-password" name="new_password" autocomplete="new-password" required>
<p class="muted">Changing it signs you out everywhere else.</p>
<button type="submit">Change password</button>
</form></section>
${passkeysSection(input)}
<section id="security"><h2>Authenticator app</h2><p><a href="/account/security/totp">Set up or manage one-time codes</a></p></section>
${sessionsSection(input)}
${appsSection(input)}
${apiKeysSection(input)}
${identifiersSection(input)}
${dataSection(input)}
<section><form method="post" action="/account/logout" class="inline">${csrf(input.csrfToken)}<button type="submit" class="secondary">Sign out</button></form></section>`;
}
