/**
 * `GET|POST /end-session`: OpenID Connect RP-Initiated Logout 1.0. The RP identifies itself with
 * `id_token_hint` (an ID token we issued; expired ones are accepted, §2) and/or `client_id`;
 * `post_logout_redirect_uri` must exactly match one the client registered (§3), else the person
 * sees a page and is never redirected. Ending a session revokes the refresh tokens issued under it.
 *
 * Who may end what (§2, §6: a logout request without a trustworthy hint is a denial-of-service
 * vector, so ask the person):
 * - The hint is trusted when this browser's own session is the hint's user, or when the hint is
 *   recent (`iat` within `oidc.endSessionHintMaxAge`). A trusted hint ends, without asking, this
 *   browser's session and the session its `sid` names.
 * - Anything else (no hint, an old hint without the browser's session, a hint for another user)
 *   shows a CSRF-protected confirmation page. Confirming ends this browser's own session only: an
 *   old ID token (leaked from an RP's logs, say) never ends the session it names, whoever clicks.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { compactVerify, decodeProtectedHeader } from 'jose';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import type { Keyring } from '../../keys/keyring.js';
import { buildAuthorizationRedirect } from '../../oauth/authorize/issue-code.js';
import { readAuthorizationQuery } from '../../oauth/authorize/parse-request.js';
import type { SubjectOf } from '../../oauth/oidc/pairwise.js';
import type { ClientRecord, SessionStore, SubjectChoiceStore } from '../../store/ports.js';
import type { SessionService } from '../../users/session-service.js';
import type { BrowserCookies } from '../pages/browser-cookies.js';
import { sendPage } from '../pages/layout.js';
import { renderLogoutConfirm, renderMessage } from '../pages/message-page.js';
import { t } from '../pages/texts/index.js';
import { csrfFailure } from './login.js';

export interface EndSessionDeps {
  issuer: string;
  keyring: Pick<Keyring, 'find'>;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  store: Pick<SessionStore, 'findSession'> & Pick<SubjectChoiceStore, 'findSubjectChoice'>;
  sessions: SessionService;
  cookies: BrowserCookies;
  audit: AuditLog;
  clock: Clock;
  /** `oidc.endSessionHintMaxAge`: how old (by `iat`) a hint may be and still be trusted on its own. */
  hintMaxAge: number;
  /** OIDC Core §8: the `sub` a hint's client sees, to match a hint against a person. */
  subjectOf: SubjectOf;
}

interface Hint {
  sub: string;
  aud: string;
  sid: string | undefined;
  /** `iat`, when the token has one. */
  issuedAt: number | undefined;
}

function pageError(description: string): OAuthError {
  return OAuthError.invalidRequest(description);
}

export function registerEndSession(app: FastifyInstance, deps: EndSessionDeps): void {
  /** Our signature and issuer; expiry is not checked (RP-Initiated Logout §2). */
  async function verifyHint(token: string): Promise<Hint> {
    try {
      const header = decodeProtectedHeader(token);
      const key = typeof header.kid === 'string' ? deps.keyring.find(header.kid) : undefined;
      // An access token (typ at+jwt, RFC 9068 §2.1) is not an ID token.
      if (key === undefined || header.alg !== key.alg || header.typ === 'at+jwt') {
        throw new Error('unknown key');
      }
      const { payload } = await compactVerify(token, key.publicKey, { algorithms: [key.alg] });
      const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      const aud = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
      if (claims.iss !== deps.issuer || typeof claims.sub !== 'string' || typeof aud !== 'string') {
        throw new Error('not our ID token');
      }
      return {
        sub: claims.sub,
        aud,
        sid: typeof claims.sid === 'string' ? claims.sid : undefined,
        issuedAt: typeof claims.iat === 'number' ? claims.iat : undefined,
      };
    } catch (error) {
      throw OAuthError.invalidRequest('id_token_hint is not a valid ID token of this server', {
        cause: error,
      });
    }
  }

  /**
   * A hint may act without asking when this browser is signed in as its user, or when it is
   * recent. Browser signed in as someone else: never without asking.
   */
  function isTrustedHint(hint: Hint, browserSubject: string | undefined): boolean {
    if (browserSubject !== undefined) {
      return browserSubject === hint.sub;
    }
    const now = deps.clock.now();
    return hint.issuedAt !== undefined && hint.issuedAt <= now + 60 && now - hint.issuedAt <= deps.hintMaxAge;
  }

  async function handle(
    request: FastifyRequest,
    reply: FastifyReply,
    params: unknown,
    confirmed: boolean,
  ): Promise<FastifyReply> {
    const raw = readAuthorizationQuery(params);
    if (raw.repeated.size > 0) {
      throw pageError('Logout parameters must not be repeated');
    }
    const hintToken = raw.values.get('id_token_hint');
    const hint = hintToken === undefined ? undefined : await verifyHint(hintToken);
    const clientId = raw.values.get('client_id') ?? hint?.aud;
    if (hint !== undefined && raw.values.has('client_id') && raw.values.get('client_id') !== hint.aud) {
      throw pageError('client_id does not match the id_token_hint');
    }
    const client = clientId === undefined ? undefined : await deps.clients.get(clientId);
    const postLogout = raw.values.get('post_logout_redirect_uri');
    if (
      postLogout !== undefined &&
      (client === undefined || !client.postLogoutRedirectUris.includes(postLogout))
    ) {
      throw pageError('post_logout_redirect_uri is not registered for this client');
    }
    const state = raw.values.get('state');
    // OIDC Core §8: the hint's `sub` is what its client sees (its pairwise value, the one the
    // person chose for it, or the user id).
    const seenBy = async (userId: string) =>
      client === undefined
        ? userId
        : deps.subjectOf(client, userId, (await deps.store.findSubjectChoice(userId, client.id))?.subject);

    const current = await deps.sessions.resolve(deps.cookies.sessionSecret(request));
    const browserSubject = current === undefined ? undefined : await seenBy(current.user.id);
    const trusted = hint !== undefined && isTrustedHint(hint, browserSubject);
    if (!trusted && !confirmed) {
      const hidden: Record<string, string> = {};
      for (const name of ['client_id', 'post_logout_redirect_uri', 'state'] as const) {
        const value = name === 'client_id' ? clientId : raw.values.get(name);
        if (value !== undefined) {
          hidden[name] = value;
        }
      }
      return sendPage(reply, {
        title: t('logout.title'),
        formTargets: postLogout === undefined ? [] : [postLogout],
        body: renderLogoutConfirm({ csrfToken: deps.cookies.csrfSecret(request, reply), hidden }),
      });
    }

    const ended: string[] = [];
    if (current !== undefined) {
      ended.push(...(await deps.sessions.end({ id: current.record.id }, current.user.id)));
    }
    // The session the ID token names (the RP's), when the hint is trusted, the session is this same
    // user's, and it is not already ended.
    if (trusted && hint?.sid !== undefined && !ended.includes(hint.sid)) {
      const named = await deps.store.findSession(hint.sid);
      if (named !== undefined && (await seenBy(named.userId)) === hint.sub) {
        ended.push(...(await deps.sessions.end({ id: named.id }, named.userId)));
      }
    }
    deps.cookies.clearSession(reply);
    deps.audit.record({
      type: 'session.logged_out',
      actor: current?.user.id ?? 'anonymous',
      subject: null,
      data: { sessions: ended, clientId: client?.id ?? null },
      requestId: request.id,
    });
    if (postLogout !== undefined) {
      return reply.code(303).header('location', buildAuthorizationRedirect(postLogout, { state })).send();
    }
    return sendPage(reply, {
      title: t('logout.doneTitle'),
      body: renderMessage(t('logout.doneTitle'), t('logout.done')),
    });
  }

  app.get('/end-session', { config: { page: true, rateLimit: 'end_session' } }, (request, reply) =>
    handle(request, reply, request.query, false),
  );
  app.post('/end-session', { config: { page: true, rateLimit: 'end_session' } }, async (request, reply) => {
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<
      string,
      unknown
    >;
    const confirmed = body.confirm === 'yes';
    if (
      confirmed &&
      !deps.cookies.checkCsrf(request, typeof body.csrf_token === 'string' ? body.csrf_token : undefined)
    ) {
      throw csrfFailure();
    }
    const { confirm: _confirm, csrf_token: _csrf, ...params } = body;
    return handle(request, reply, params, confirmed);
  });
}
