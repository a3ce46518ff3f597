/**
 * `/account`: a person manages their own access, signed in through the login session cookie.
 * Not signed in → `/account/login` (password or passkey) and back. Every form post carries the
 * CSRF token (double submit, constant time); every change goes through the services that audit it,
 * and every revocation through the Revocations service, so it streams to verifiers (DESIGN §5):
 * ending a session (`session` target), revoking a connected application (`consent` target),
 * changing the password (every other session and token), revoking an API key (`api_key`).
 * Wallets are linked with a signed EIP-4361 message (the login page's nonce, script and checks), DIDs
 * with a JWS over a challenge bound to this session (users/authn/did-link.ts), and both are unlinked
 * after a fresh sign-in; per connected application the person chooses the identifier it sees (a
 * pairwise `sub` for a client registered public, users/subject-choices.ts); the person downloads what Tessera holds about them as JSON, and
 * deletes their account (fresh sign-in, typed confirmation) through the user service's deletion,
 * which revokes everything they hold before their data goes.
 */
import { isOAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import { hashBrowserSecret } from '../../oauth/authorize/interaction.js';
import type { SubjectOf } from '../../oauth/oidc/pairwise.js';
import type { ClientRecord, SessionStore } from '../../store/ports.js';
import type { ApiKeyService } from '../../tokens/api-keys/index.js';
import type { AccountExport } from '../../users/account-export.js';
import { type DidLinking, type DidLinkRefusal, DidLinkRefusedError } from '../../users/authn/did-link.js';
import type { SecondFactors } from '../../users/authn/second-factors.js';
import type { SiweService } from '../../users/authn/siwe.js';
import type { ConsentService } from '../../users/consent-service.js';
import type { LinkedIdentifiers } from '../../users/linked-identifiers.js';
import type { LoginRisk } from '../../users/login-risk.js';
import type { LoginThrottle } from '../../users/login-throttle.js';
import type { PasskeyService } from '../../users/passkey-service.js';
import type { SessionService } from '../../users/session-service.js';
import type { SubjectChoices } from '../../users/subject-choices.js';
import { normalizeUsername, type UserService } from '../../users/user-service.js';
import { type ConnectedApp, renderAccountDeleted, renderAccountPage } from '../pages/account-page.js';
import type { BrowserCookies } from '../pages/browser-cookies.js';
import { sendPage, type Words } from '../pages/layout.js';
import { PASSKEY_REGISTER_PATH, WEBAUTHN_BUNDLE_PATH } from '../pages/passkey-scripts.js';
import { SIWE_SIGN_IN_PATH } from '../pages/siwe-scripts.js';
import { type TextKey, t } from '../pages/texts/index.js';
import { formOf, single } from '../plugins/form-body.js';
import { csrfFailure } from './login.js';
import type { LiveSession } from './login-flow.js';
import { parsePasskeyResponse } from './login-passkey.js';

export interface AccountDeps {
  cookies: BrowserCookies;
  sessions: SessionService;
  users: UserService;
  passkeys: PasskeyService;
  consents: ConsentService;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  apiKeys: Pick<ApiKeyService, 'create' | 'list' | 'get' | 'revoke'>;
  store: Pick<SessionStore, 'listSessions' | 'findSession'>;
  throttle: LoginThrottle;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  sessionMaxAge: number;
  /** The second factors a person with one must add to the password at `/account/login`. */
  secondFactors: SecondFactors;
  /** Keys the sealed pending sign-in between the password and the second factor (never logged). */
  masterKey: Buffer;
  /** The wallets and DIDs people sign in with. */
  identifiers: LinkedIdentifiers;
  /** OIDC Core §8: the `sub` each connected application sees. */
  subjectOf: SubjectOf;
  /** The identifier the person chose per application (pairwise for a client registered public). */
  subjectChoices: SubjectChoices;
  /** Sign-In with Ethereum, when `siwe.enabled`: linking wallets and signing in with one here. */
  siwe?: SiweService;
  /** Linking a DID by a signed challenge, when `account.didMethods` names a method. */
  didLinking?: { service: DidLinking; issuer: string; methods: readonly string[] };
  /** Seconds: how recent the sign-in must be to unlink an identifier or delete the account. */
  freshAuth: number;
  exportAccount: AccountExport;
  /** Risk-based sign-in (`risk.enabled`): scored before the session is granted. */
  risk?: LoginRisk;
}

/** What a redirect after a change says; the query names a fixed message, never free text. */
const NOTICES: Record<string, TextKey> = {
  profile: 'account.done.profile',
  password: 'account.done.password',
  passkey_added: 'account.done.passkeyAdded',
  passkey_removed: 'account.done.passkeyRemoved',
  session_ended: 'account.done.sessionEnded',
  app_revoked: 'account.done.appRevoked',
  key_revoked: 'account.done.keyRevoked',
  wallet_linked: 'account.done.walletLinked',
  identifier_unlinked: 'account.done.identifierUnlinked',
  subject_chosen: 'account.done.subjectChosen',
  did_linked: 'account.done.didLinked',
};

/** Why a DID proof was refused, in the page's language. */
const DID_REFUSALS: Record<DidLinkRefusal, TextKey> = {
  malformed_did: 'account.did.malformedDid',
  malformed_proof: 'account.did.malformedProof',
  unresolvable: 'account.did.unresolvable',
  unknown_key: 'account.did.unknownKey',
  bad_signature: 'account.did.badSignature',
  wrong_audience: 'account.did.wrongAudience',
  bad_nonce: 'account.did.badNonce',
  expired: 'account.did.expired',
  replayed: 'account.did.replayed',
  linked_already: 'account.did.linkedAlready',
};

const CHOICE_REFUSALS: Partial<Record<string, TextKey>> = {
  not_found: 'account.noSuchApp',
  invalid_request: 'account.subjectFixed',
};

/** What a person types to confirm deleting their account. */
export const DELETE_CONFIRMATION = 'delete my account';

const MAX_LIST = 100;
const DAY = 86_400;

function field(body: ReturnType<typeof formOf>, name: string, max = 1000): string {
  return (single(body, name) ?? '').slice(0, max);
}

export function registerAccount(app: FastifyInstance, deps: AccountDeps): void {
  const { cookies } = deps;

  /** The signed-in person, or a redirect to the account sign-in page. */
  async function signedIn(request: FastifyRequest): Promise<LiveSession | undefined> {
    return deps.sessions.resolve(cookies.sessionSecret(request));
  }

  function toSignIn(reply: FastifyReply): FastifyReply {
    return reply.code(303).header('location', '/account/login').send();
  }

  function back(reply: FastifyReply, notice: keyof typeof NOTICES, anchor: string): FastifyReply {
    return reply.code(303).header('location', `/account?done=${notice}#${anchor}`).send();
  }

  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    session: LiveSession,
    extra: {
      status?: number;
      notice?: Words | null;
      error?: Words | null;
      newKey?: { name: string; key: string };
    },
  ): Promise<FastifyReply> {
    const { user } = session;
    const csrfToken = cookies.csrfSecret(request, reply);
    const [sessions, passkeys, consents, keys, identifiers, choices] = await Promise.all([
      deps.store.listSessions({ userId: user.id, limit: MAX_LIST }),
      deps.passkeys.list(user.id),
      deps.consents.list(user.id),
      deps.apiKeys.list({ owner: user.id, limit: MAX_LIST }),
      deps.identifiers.list(user.id),
      deps.subjectChoices.list(user.id),
    ]);
    const chosen = new Map(choices.map((choice) => [choice.clientId, choice.subject]));
    const apps: ConnectedApp[] = [];
    for (const consent of consents) {
      const client = await deps.clients.get(consent.clientId);
      const subject =
        client === undefined ? user.id : deps.subjectOf(client, user.id, chosen.get(consent.clientId));
      apps.push({
        clientId: consent.clientId,
        name: client?.name ?? consent.clientId,
        scope: consent.scope,
        grantedAt: consent.grantedAt,
        subject,
        pairwise: subject !== user.id,
        choosable: client !== undefined && client.subjectType !== 'pairwise',
      });
    }
    let registration: { options: unknown; state: string } | undefined;
    try {
      registration = await deps.passkeys.registrationOptions(user, hashBrowserSecret(csrfToken));
    } catch (error) {
      // At the passkey limit: no "Add" form.
      if (!isOAuthError(error)) {
        throw error;
      }
    }
    const now = deps.clock.now();
    return sendPage(reply, {
      title: t('account.title'),
      status: extra.status ?? 200,
      wide: true,
      scripts: [
        WEBAUTHN_BUNDLE_PATH,
        PASSKEY_REGISTER_PATH,
        ...(deps.siwe === undefined ? [] : [SIWE_SIGN_IN_PATH]),
      ],
      // The wallet script fetches its nonce from this origin.
      ...(deps.siwe === undefined ? {} : { connectSelf: true }),
      body: renderAccountPage({
        user,
        csrfToken,
        currentSession: session.record.id,
        sessions: sessions.items.filter((item) => item.expiresAt > now),
        passkeys,
        apps,
        apiKeys: keys.items,
        identifiers,
        walletLinking: deps.siwe !== undefined,
        didLinking:
          deps.didLinking === undefined
            ? undefined
            : {
                ...deps.didLinking.service.challenge(session.record.id),
                issuer: deps.didLinking.issuer,
                methods: deps.didLinking.methods,
              },
        registration,
        notice: extra.notice ?? null,
        error: extra.error ?? null,
        newKey: extra.newKey ?? null,
        now,
      }),
    });
  }

  /**
   * A form post of a signed-in person: CSRF first, then the session; a person-facing error
   * (`invalid_request`, `access_denied`, `conflict`, `not_found`) is shown on the page with its status.
   */
  function post(
    path: string,
    handler: (
      request: FastifyRequest,
      reply: FastifyReply,
      session: LiveSession,
      body: ReturnType<typeof formOf>,
    ) => Promise<FastifyReply>,
  ): void {
    app.post(path, { config: { page: true } }, async (request, reply) => {
      const body = formOf(request);
      if (!cookies.checkCsrf(request, single(body, 'csrf_token'))) {
        throw csrfFailure();
      }
      const session = await signedIn(request);
      if (session === undefined) {
        return toSignIn(reply);
      }
      try {
        return await handler(request, reply, session, body);
      } catch (error) {
        if (
          isOAuthError(error) &&
          ['invalid_request', 'access_denied', 'conflict', 'not_found'].includes(error.code)
        ) {
          return show(request, reply, session, { status: error.status, error: error.description });
        }
        throw error;
      }
    });
  }

  /** Refuses on the page (403) when the sign-in is older than `freshAuth`; `key` says what for. */
  function refuseStale(
    request: FastifyRequest,
    reply: FastifyReply,
    session: LiveSession,
    key: 'account.freshUnlink' | 'account.freshDelete',
  ): Promise<FastifyReply> | undefined {
    if (deps.clock.now() - session.record.authTime <= deps.freshAuth) {
      return undefined;
    }
    const minutes = String(Math.round(deps.freshAuth / 60));
    return show(request, reply, session, { status: 403, error: t(key, { minutes }) });
  }

  app.get('/account', { config: { page: true } }, async (request, reply) => {
    const session = await signedIn(request);
    if (session === undefined) {
      return toSignIn(reply);
    }
    const done = (request.query as Record<string, unknown>).done;
    const key = typeof done === 'string' ? NOTICES[done] : undefined;
    const notice = key === undefined ? null : t(key);
    return show(request, reply, session, { notice });
  });

  post('/account/profile', async (request, reply, session, body) => {
    const name = field(body, 'name', 200).trim();
    const email = field(body, 'email', 254).trim();
    await deps.users.updateProfile(
      session.user.id,
      { name: name === '' ? null : name, email: email === '' ? null : email },
      session.user.id,
    );
    void request;
    return back(reply, 'profile', 'profile');
  });

  post('/account/password', async (request, reply, session, body) => {
    const { user } = session;
    const key = normalizeUsername(user.username);
    // The current password is a guess like any other: counted and slowed down like the login form.
    const attempt = await deps.throttle.take(key, request.ip);
    if (!attempt.allowed) {
      reply.header('retry-after', String(attempt.retryAfter));
      return show(request, reply, session, {
        status: 429,
        error: t('login.tooManyAttempts', { seconds: String(attempt.retryAfter) }),
      });
    }
    const checked = await deps.users.authenticate(user.username, single(body, 'current_password') ?? '');
    if (checked === undefined || checked.id !== user.id) {
      deps.audit.record({
        type: 'account.password_change_refused',
        actor: user.id,
        subject: user.id,
        data: { ip: request.ip },
        requestId: request.id,
      });
      return show(request, reply, session, { status: 400, error: t('account.wrongPassword') });
    }
    await deps.throttle.recordSuccess(key, request.ip);
    // setPassword ends every session and revokes every token of the person; this browser gets a
    // new session, so only the others are signed out.
    const changed = await deps.users.setPassword(user.id, single(body, 'new_password') ?? '', user.id);
    const started = await deps.sessions.start(changed, {
      amr: session.record.amr,
      userAgent: request.headers['user-agent'] ?? null,
      ip: request.ip,
    });
    cookies.setSession(reply, started.secret, deps.sessionMaxAge);
    return back(reply, 'password', 'password');
  });

  post('/account/passkeys', async (request, reply, session, body) => {
    const csrf = single(body, 'csrf_token') ?? '';
    await deps.passkeys.register(
      session.user,
      {
        state: single(body, 'state') ?? '',
        response: parsePasskeyResponse(single(body, 'response')),
        name: field(body, 'name', 200),
      },
      hashBrowserSecret(csrf),
      session.user.id,
    );
    void request;
    return back(reply, 'passkey_added', 'passkeys');
  });

  post('/account/passkeys/remove', async (request, reply, session, body) => {
    if (!(await deps.passkeys.remove(session.user.id, field(body, 'passkey', 128), session.user.id))) {
      return show(request, reply, session, { status: 404, error: t('account.noSuchPasskey') });
    }
    return back(reply, 'passkey_removed', 'passkeys');
  });

  post('/account/sessions/end', async (request, reply, session, body) => {
    const id = field(body, 'session', 128);
    const target = await deps.store.findSession(id);
    if (target === undefined || target.userId !== session.user.id) {
      return show(request, reply, session, { status: 404, error: t('account.noSuchSession') });
    }
    await deps.sessions.end({ id }, session.user.id);
    if (id === session.record.id) {
      cookies.clearSession(reply);
      return toSignIn(reply);
    }
    return back(reply, 'session_ended', 'sessions');
  });

  post('/account/apps/revoke', async (request, reply, session, body) => {
    if (!(await deps.consents.revoke(session.user.id, field(body, 'client_id', 128), session.user.id))) {
      return show(request, reply, session, { status: 404, error: t('account.noSuchApp') });
    }
    return back(reply, 'app_revoked', 'apps');
  });

  post('/account/apps/subject', async (request, reply, session, body) => {
    const choice = field(body, 'subject_type', 20);
    if (choice !== 'pairwise' && choice !== 'public') {
      return show(request, reply, session, { status: 400, error: t('account.badSubjectType') });
    }
    const clientId = field(body, 'client_id', 300);
    const context = { actor: session.user.id, requestId: request.id };
    try {
      await deps.subjectChoices.choose(session.user.id, clientId, choice, context);
    } catch (error) {
      // The service's refusals, in the page's language: no such application, or one registered pairwise.
      const key = isOAuthError(error) ? CHOICE_REFUSALS[error.code] : undefined;
      if (key !== undefined && isOAuthError(error)) {
        return show(request, reply, session, { status: error.status, error: t(key) });
      }
      throw error;
    }
    return back(reply, 'subject_chosen', 'apps');
  });

  post('/account/api-keys', async (request, reply, session, body) => {
    const scope = field(body, 'scope').split(/\s+/).filter(Boolean);
    const days = field(body, 'expires_in_days', 5).trim();
    if (days !== '' && !/^[1-9]\d{0,4}$/.test(days)) {
      return show(request, reply, session, { status: 400, error: t('account.badExpiry') });
    }
    const minted = await deps.apiKeys.create(
      {
        name: field(body, 'name', 200),
        owner: session.user.id,
        scope,
        expiresAt: days === '' ? null : deps.clock.now() + Number(days) * DAY,
      },
      { actor: session.user.id, requestId: request.id },
    );
    // Shown once, in this answer only (never in a URL, never stored).
    return show(request, reply, session, { newKey: { name: minted.record.name, key: minted.key } });
  });

  post('/account/api-keys/revoke', async (request, reply, session, body) => {
    const id = field(body, 'key_id', 128);
    let owner: string | undefined;
    try {
      owner = (await deps.apiKeys.get(id)).owner;
    } catch (error) {
      if (!isOAuthError(error) || error.code !== 'not_found') {
        throw error;
      }
    }
    if (owner !== session.user.id) {
      return show(request, reply, session, { status: 404, error: t('account.noSuchKey') });
    }
    await deps.apiKeys.revoke(id, { actor: session.user.id, requestId: request.id });
    return back(reply, 'key_revoked', 'api-keys');
  });

  post('/account/identifiers/siwe', async (request, reply, session, body) => {
    if (deps.siwe === undefined) {
      return show(request, reply, session, { status: 404, error: t('account.siweOff') });
    }
    await deps.siwe.link(
      session.user,
      {
        // A form post turns the message's line feeds into CRLF; the wallet signed LF (see login-siwe.ts).
        message: field(body, 'message', 8192).replace(/\r\n/g, '\n'),
        signature: field(body, 'signature', 200),
      },
      hashBrowserSecret(single(body, 'csrf_token') ?? ''),
      { ip: request.ip, requestId: request.id },
    );
    return back(reply, 'wallet_linked', 'identifiers');
  });

  post('/account/identifiers/did', async (request, reply, session, body) => {
    if (deps.didLinking === undefined) {
      return show(request, reply, session, { status: 404, error: t('account.didOff') });
    }
    try {
      await deps.didLinking.service.link(
        session.user,
        session.record.id,
        { did: field(body, 'did', 4096), jws: field(body, 'jws', 16_384) },
        { ip: request.ip, requestId: request.id },
      );
    } catch (error) {
      if (error instanceof DidLinkRefusedError) {
        const status = error.reason === 'linked_already' ? 409 : 400;
        return show(request, reply, session, { status, error: t(DID_REFUSALS[error.reason]) });
      }
      throw error;
    }
    return back(reply, 'did_linked', 'identifiers');
  });

  post('/account/identifiers/unlink', async (request, reply, session, body) => {
    const stale = refuseStale(request, reply, session, 'account.freshUnlink');
    if (stale !== undefined) {
      return stale;
    }
    await deps.identifiers.unlink(session.user, field(body, 'identifier', 300), { requestId: request.id });
    return back(reply, 'identifier_unlinked', 'identifiers');
  });

  app.get('/account/export', { config: { page: true } }, async (request, reply) => {
    const session = await signedIn(request);
    if (session === undefined) {
      return toSignIn(reply);
    }
    const data = await deps.exportAccount(session.user.id);
    deps.audit.record({
      type: 'account.exported',
      actor: session.user.id,
      subject: session.user.id,
      data: {},
      requestId: request.id,
    });
    return reply
      .header('cache-control', 'no-store')
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', 'attachment; filename="tessera-account.json"')
      .send(JSON.stringify(data, null, 2));
  });

  post('/account/delete', async (request, reply, session, body) => {
    const stale = refuseStale(request, reply, session, 'account.freshDelete');
    if (stale !== undefined) {
      return stale;
    }
    if (field(body, 'confirm', 100).trim().toLowerCase() !== DELETE_CONFIRMATION) {
      const error = t('account.deleteConfirm', { words: DELETE_CONFIRMATION });
      return show(request, reply, session, { status: 400, error });
    }
    // Ends every session, revokes every token, consent and API key (streamed to verifiers), then
    // deletes the person and everything that is theirs in one statement (see user-service.ts).
    await deps.users.delete(session.user.id, session.user.id);
    cookies.clearSession(reply);
    return sendPage(reply, { title: t('account.deletedTitle'), body: renderAccountDeleted() });
  });

  post('/account/logout', async (_request, reply, session) => {
    await deps.sessions.end({ id: session.record.id }, session.user.id);
    cookies.clearSession(reply);
    return toSignIn(reply);
  });
}
