/**
 * The steps shared by `/authorize`, `/login` and `/consent`: given a validated authorization request
 * and the browser's session, send the person to the login page, to the consent page, or back to
 * the client with a code. The interaction (the request in progress) travels sealed in the page
 * URLs and forms; it completes at most once.
 */
import { OAuthError } from '@tessera/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import { decideNext } from '../../oauth/authorize/decide.js';
import type { Interaction, InteractionSealer } from '../../oauth/authorize/interaction.js';
import { buildAuthorizationRedirect, issueAuthorizationCode } from '../../oauth/authorize/issue-code.js';
import type { AuthorizationRequest } from '../../oauth/authorize/parse-request.js';
import type {
  AuthorizationCodeStore,
  ClientRecord,
  ConsentStore,
  ReplayStore,
  SessionRecord,
  UserRecord,
} from '../../store/ports.js';
import { mfaRequired, wantedAcr } from '../../users/authn/policy.js';
import type { SecondFactors } from '../../users/authn/second-factors.js';
import type { SiweService } from '../../users/authn/siwe.js';
import type { LoginRisk } from '../../users/login-risk.js';
import type { LoginThrottle } from '../../users/login-throttle.js';
import type { PasskeyService } from '../../users/passkey-service.js';
import type { SessionService } from '../../users/session-service.js';
import type { UserService } from '../../users/user-service.js';
import type { BrowserCookies } from '../pages/browser-cookies.js';
import type { ExternalLoginDeps } from './login-external.js';

export interface LoginFlowDeps {
  issuer: string;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  store: Pick<ConsentStore, 'findConsent' | 'grantConsent'> &
    Pick<AuthorizationCodeStore, 'insertAuthorizationCode'> &
    Pick<ReplayStore, 'markOnce'>;
  sessions: SessionService;
  users: UserService;
  sealer: InteractionSealer;
  cookies: BrowserCookies;
  throttle: LoginThrottle;
  clock: Clock;
  audit: AuditLog;
  requirePkce: boolean;
  /** Seconds. */
  codeTtl: number;
  sessionMaxAge: number;
  /** Passkey sign-in on the login page (absent: password only). */
  passkeys?: PasskeyService;
  /** Sign-In with Ethereum on the login page (`siwe.enabled`). */
  siwe?: SiweService;
  /** The second factors a person with one is asked for after the password (users/authn). */
  secondFactors: SecondFactors;
  /** `login.requireMfa`. */
  requireMfa: boolean;
  /** `login.externalUrl`: the login step happens on that page (login-external.ts). */
  external?: ExternalLoginDeps;
  /** Risk-based sign-in (`risk.enabled`): every sign-in is scored before its session is granted. */
  risk?: LoginRisk;
}

/** The `acr` values the sign-in must reach for this request, client and (once known) person. */
export function wantedAcrFor(
  deps: Pick<LoginFlowDeps, 'requireMfa'>,
  request: AuthorizationRequest,
  client: ClientRecord,
  user: UserRecord | undefined,
): string[] {
  return wantedAcr(request.acrValues, mfaRequired({ global: deps.requireMfa, client, user }));
}

export type LiveSession = { record: SessionRecord; user: UserRecord };

export interface ProceedInput {
  request: AuthorizationRequest;
  client: ClientRecord;
  session: LiveSession | undefined;
  consentGiven: boolean;
  /** The interaction being continued, with its sealed form; undefined straight from /authorize. */
  interaction?: { record: Interaction; sealed: string };
  /** The session was just created by the login form of this interaction. */
  freshLogin?: boolean;
}

/** A person-facing error (never redirected): the interaction is unusable. */
export function interactionExpired(): OAuthError {
  return OAuthError.invalidRequest(
    'This sign-in request has expired, was already completed, or was started in another browser. Go back to the application and start again.',
  );
}

/** Opens the interaction a page received, or throws the error page. */
export function openInteraction(
  deps: LoginFlowDeps,
  http: FastifyRequest,
  sealed: string | undefined,
): Interaction {
  const interaction =
    sealed === undefined
      ? undefined
      : deps.sealer.open(sealed, deps.cookies.presentedCsrf(http), deps.clock.now());
  if (interaction === undefined) {
    throw interactionExpired();
  }
  return interaction;
}

/** The client of a continued interaction, still enabled; from here on errors go back to it. */
export async function clientOf(
  deps: LoginFlowDeps,
  http: FastifyRequest,
  interaction: Interaction,
): Promise<ClientRecord> {
  const client = await deps.clients.get(interaction.request.clientId);
  if (client === undefined || client.disabled) {
    throw OAuthError.invalidRequest('The application is no longer registered');
  }
  if (interaction.returnTo !== undefined) {
    // A login for one of Tessera's own pages: nothing is redirected to the client.
    return client;
  }
  if (!client.redirectUris.includes(interaction.request.redirectUri)) {
    throw OAuthError.invalidRequest('The application is no longer registered');
  }
  http.authorizeRedirect = { redirectUri: interaction.request.redirectUri, state: interaction.request.state };
  return client;
}

export function pageUrl(deps: LoginFlowDeps, page: 'login' | 'consent', sealed: string): string {
  return `${deps.issuer}/${page}?interaction=${encodeURIComponent(sealed)}`;
}

/**
 * Sends the browser through the login page and back to `returnTo` (a path on this server) once
 * signed in: the same login, throttle and session as an authorization request, for Tessera's own
 * pages that need a person (the device verification page). `client` is who the person is signing
 * in for; the login page names it.
 */
export function loginAndReturn(
  deps: LoginFlowDeps,
  http: FastifyRequest,
  reply: FastifyReply,
  input: { client: ClientRecord; scope: string[]; returnTo: string },
): FastifyReply {
  if (!input.returnTo.startsWith('/') || input.returnTo.startsWith('//')) {
    throw new Error('returnTo must be a path on this server');
  }
  const request: AuthorizationRequest = {
    clientId: input.client.id,
    redirectUri: `${deps.issuer}${input.returnTo}`,
    responseType: 'code',
    scope: input.scope,
    state: null,
    codeChallenge: null,
    codeChallengeMethod: null,
    nonce: null,
    prompt: [],
    maxAge: null,
    loginHint: null,
    audience: [],
  };
  const { sealed } = deps.sealer.create(
    request,
    deps.cookies.csrfSecret(http, reply),
    deps.clock.now(),
    input.returnTo,
  );
  return reply
    .code(303)
    .header('location', pageUrl(deps, 'login', sealed))
    .send();
}

export async function proceed(
  deps: LoginFlowDeps,
  http: FastifyRequest,
  reply: FastifyReply,
  input: ProceedInput,
): Promise<FastifyReply> {
  const now = deps.clock.now();
  const { request, client, session } = input;
  const returnTo = input.interaction?.record.returnTo;
  if (returnTo !== undefined && session !== undefined) {
    // Signed in for one of Tessera's own pages (loginAndReturn): back to it, no code issued.
    return reply.code(303).header('location', `${deps.issuer}${returnTo}`).send();
  }
  const loggedInForThisRequest =
    session !== undefined &&
    (input.freshLogin === true || input.interaction?.record.loginSession === session.record.id);
  const decision = decideNext({
    request,
    client,
    session,
    consent: session === undefined ? undefined : await deps.store.findConsent(session.user.id, client.id),
    consentGiven: input.consentGiven,
    loggedInForThisRequest,
    wantedAcr: wantedAcrFor(deps, request, client, session?.user),
    now,
  });
  if (decision.kind === 'login' && decision.reason === 'acr' && input.freshLogin === true) {
    // The person just signed in with everything they have, and it is not enough (e.g. a passkey
    // is asked for and they have only TOTP): say so to the client (OIDC Core §3.1.2.6).
    throw OAuthError.accessDenied(
      'The sign-in did not reach the authentication level this request requires (acr_values or the MFA policy)',
      { redirectable: true },
    );
  }
  if (decision.kind !== 'issue') {
    let sealed =
      input.interaction?.sealed ??
      deps.sealer.create(request, deps.cookies.csrfSecret(http, reply), now).sealed;
    if (input.interaction !== undefined && input.freshLogin === true && session !== undefined) {
      // Remember the login, so the consent step does not ask for it again under prompt=login.
      sealed = deps.sealer.reseal({ ...input.interaction.record, loginSession: session.record.id });
    }
    return reply
      .code(303)
      .header('location', pageUrl(deps, decision.kind, sealed))
      .send();
  }
  if (session === undefined) {
    throw OAuthError.loginRequired('The user is not signed in', { redirectable: true });
  }
  if (input.interaction !== undefined) {
    const { record } = input.interaction;
    // One interaction, one code: a replayed form post (back button, double submit) gets nothing.
    if (!(await deps.store.markOnce(`interaction:${record.id}`, record.expiresAt, now))) {
      throw interactionExpired();
    }
  }
  const code = await issueAuthorizationCode(
    { store: deps.store, ttl: deps.codeTtl },
    request,
    session.record,
    now,
  );
  const location = buildAuthorizationRedirect(request.redirectUri, {
    code,
    state: request.state,
    iss: deps.issuer,
  });
  // The Location carries the code: no cache may keep it.
  return reply.code(303).header('cache-control', 'no-store').header('location', location).send();
}
