/**
 * Users and login (issue 6): the authorization endpoint, the login and consent pages, `/userinfo`,
 * RP-initiated logout, `/admin/users` and `/admin/sessions`; plus what it adds to the OAuth core's
 * registries: the `authorization_code` and `refresh_token` grants, and refresh tokens at
 * `/introspect` and `/revoke`. Discovery advertises exactly these.
 */
import { fastifyCookie } from '@fastify/cookie';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config/schema.js';
import type { EventBus } from '../../events/bus.js';
import type { Keyring } from '../../keys/keyring.js';
import type { Logger } from '../../log.js';
import { createInteractionSealer } from '../../oauth/authorize/interaction.js';
import { OIDC_SCOPES } from '../../oauth/authorize/validate-request.js';
import { createAuthorizationCodeGrant } from '../../oauth/grants/authorization-code.js';
import type { Grant } from '../../oauth/grants/index.js';
import { createRefreshTokenGrant } from '../../oauth/grants/refresh-token.js';
import { createUserTokens } from '../../oauth/grants/user-tokens.js';
import type { Introspector } from '../../oauth/introspection.js';
import { SUPPORTED_CLAIMS } from '../../oauth/oidc/claims.js';
import { createIdTokenIssuer } from '../../oauth/oidc/id-token.js';
import { createRefreshTokenIntrospector } from '../../oauth/refresh-token-introspector.js';
import { createRefreshTokenRevoker } from '../../oauth/refresh-token-revoker.js';
import type { Revoker } from '../../oauth/revocation.js';
import type { ClientRecord, Store } from '../../store/ports.js';
import type { AccessTokenService } from '../../tokens/access-token.js';
import { createSuccessorSealer } from '../../tokens/refresh-successor-sealer.js';
import type { Revocations } from '../../tokens/revocations.js';
import type { AccessTokenVerifier } from '../../tokens/verify-access-token.js';
import { createBoundedHasher } from '../../users/bounded-hasher.js';
import { createConsentService } from '../../users/consent-service.js';
import { createLoginThrottle } from '../../users/login-throttle.js';
import { createPasswordHasher, type PasswordHasher } from '../../users/password-hasher.js';
import { createSessionService } from '../../users/session-service.js';
import { createUserService, type UserService } from '../../users/user-service.js';
import { registerConsentRoutes } from '../admin/consents.js';
import { registerSessionRoutes } from '../admin/sessions.js';
import { registerUserRoutes } from '../admin/users.js';
import type { HttpFeature } from '../feature.js';
import { createBrowserCookies } from '../pages/browser-cookies.js';
import type { CallerLimit } from '../plugins/rate-limit.js';
import { registerAuthorize } from '../public/authorize.js';
import { registerConsent } from '../public/consent.js';
import { registerEndSession } from '../public/end-session.js';
import { registerLogin } from '../public/login.js';
import type { LoginFlowDeps } from '../public/login-flow.js';
import { registerUserinfo } from '../public/userinfo.js';

export interface LoginFeatureDeps {
  config: Pick<Readonly<Config>, 'login' | 'refreshTokens' | 'oidc' | 'tokens'>;
  issuer: string;
  store: Store;
  keyring: Keyring;
  bus: EventBus;
  clock: Clock;
  audit: AuditLog;
  /** The master key: the interaction-sealing key is derived from it. */
  masterKey: Buffer;
  /** The argon2id hasher unless a test injects one; bounded here either way. */
  passwordHasher?: PasswordHasher;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  accessTokens: AccessTokenService;
  verifyAccessToken: AccessTokenVerifier;
  revocations: Revocations;
  onIssued?: (grantType: string, format: 'jwt' | 'opaque') => void;
  logger: Pick<Logger, 'error'>;
  /** Revokes a deleted user's API keys (the API-key service). */
  revokeApiKeysOf?: (owner: string, actor: string) => Promise<number>;
  /** Per caller at /userinfo. */
  userinfoLimit: CallerLimit;
}

export interface Login {
  feature: HttpFeature;
  users: UserService;
  /** For the OAuth core's registries. */
  grants: Grant[];
  introspectors: Introspector[];
  revokers: Revoker[];
}

export function createLogin(deps: LoginFeatureDeps): Login {
  const { config, store, clock, audit, issuer } = deps;
  const maxAccessTokenTtl = config.tokens.maxAccessTokenTtl;
  const users = createUserService({
    store,
    revocations: deps.revocations,
    hasher: createBoundedHasher(deps.passwordHasher ?? createPasswordHasher(), {
      concurrency: config.login.verifyConcurrency,
      queue: config.login.verifyQueue,
    }),
    clock,
    bus: deps.bus,
    audit,
    policy: { minLength: config.login.passwordMinLength },
    maxAccessTokenTtl,
    ...(deps.revokeApiKeysOf === undefined ? {} : { revokeApiKeysOf: deps.revokeApiKeysOf }),
  });
  const sessions = createSessionService({
    store,
    revocations: deps.revocations,
    clock,
    audit,
    ttl: config.login.sessionTtl,
    maxAge: config.login.sessionMaxAge,
    maxAccessTokenTtl,
  });
  const throttle = createLoginThrottle({
    store,
    clock,
    freeAttempts: config.login.freeAttempts,
    maxBackoff: config.login.maxBackoff,
  });
  const consents = createConsentService({
    store,
    revocations: deps.revocations,
    audit,
    clock,
    maxAccessTokenTtl,
  });
  const cookies = createBrowserCookies({ secure: issuer.startsWith('https:') });
  const flow: LoginFlowDeps = {
    issuer,
    clients: deps.clients,
    store,
    sessions,
    users,
    sealer: createInteractionSealer(deps.masterKey, config.login.interactionTtl),
    cookies,
    throttle,
    clock,
    audit,
    requirePkce: config.login.requirePkce,
    codeTtl: config.login.codeTtl,
    sessionMaxAge: config.login.sessionMaxAge,
  };
  const idTokens = createIdTokenIssuer({
    issuer,
    keyring: deps.keyring,
    clock,
    algorithm: config.oidc.idTokenAlgorithm,
    ttl: config.oidc.idTokenTtl,
  });
  const tokens = createUserTokens({
    accessTokens: deps.accessTokens,
    idTokens,
    store,
    revocations: deps.revocations,
    audit,
    clock,
    refreshTokens: config.refreshTokens,
    maxAccessTokenTtl,
  });
  const grants = [
    createAuthorizationCodeGrant({
      store,
      tokens,
      audit,
      clock,
      onIssued: ({ format }) => deps.onIssued?.('authorization_code', format),
    }),
    createRefreshTokenGrant({
      store,
      tokens,
      audit,
      clock,
      reuseGrace: {
        seconds: config.refreshTokens.reuseGrace,
        sealer: createSuccessorSealer(deps.masterKey),
      },
      onIssued: ({ format }) => deps.onIssued?.('refresh_token', format),
    }),
  ];

  // Expired sessions, codes and refresh tokens are purged by the maintenance job (maintenance/).

  const feature: HttpFeature = {
    name: 'login',
    async registerPublic(app, context) {
      // The pages read and set cookies; the cookie plugin stays inside their own scope.
      await app.register(async function loginPages(scope) {
        await scope.register(fastifyCookie);
        registerAuthorize(scope, flow);
        registerLogin(scope, flow);
        registerConsent(scope, flow);
        registerEndSession(scope, {
          issuer,
          keyring: deps.keyring,
          clients: deps.clients,
          store,
          sessions,
          cookies,
          audit,
          clock,
          hintMaxAge: config.oidc.endSessionHintMaxAge,
        });
      });
      registerUserinfo(app, {
        verifyAccessToken: deps.verifyAccessToken,
        revocations: deps.revocations,
        store,
        clients: deps.clients,
        clock,
        limit: deps.userinfoLimit,
      });

      const caps = context.caps;
      caps.endpoints.set('authorization_endpoint', '/authorize');
      caps.endpoints.set('userinfo_endpoint', '/userinfo');
      caps.endpoints.set('end_session_endpoint', '/end-session');
      caps.responseTypes.add('code');
      caps.responseModes.add('query');
      caps.codeChallengeMethods.add('S256');
      // Public clients send only client_id (OAuth 2.1 §2.4) at /token (these two grants) and /revoke
      // (RFC 7009 §2.1), never at /introspect (RFC 7662 §2.1), so `none` is added per endpoint
      // rather than to the shared method list. Runs after the OAuth core registered its methods.
      for (const endpoint of ['token_endpoint', 'revocation_endpoint']) {
        if (caps.endpoints.has(endpoint)) {
          caps.extra.set(`${endpoint}_auth_methods_supported`, [...caps.tokenEndpointAuthMethods, 'none']);
        }
      }
      for (const scope of OIDC_SCOPES) {
        caps.scopes.add(scope);
      }
      for (const claim of SUPPORTED_CLAIMS) {
        caps.claims.add(claim);
      }
      caps.idTokenSigningAlgorithms.add(config.oidc.idTokenAlgorithm);
      // RFC 9207 §3: `iss` is in every authorization response.
      caps.extra.set('authorization_response_iss_parameter_supported', true);
      caps.extra.set('prompt_values_supported', ['none', 'login', 'consent']);
      caps.extra.set('claims_parameter_supported', false);
      caps.extra.set('request_parameter_supported', false);
      // OIDC Discovery §3: the default is true, so say it.
      caps.extra.set('request_uri_parameter_supported', false);
    },
    registerAdmin(admin) {
      registerUserRoutes(admin, { users });
      registerSessionRoutes(admin, { store, sessions });
      registerConsentRoutes(admin, { users, consents });
    },
  };

  return {
    feature,
    users,
    grants,
    introspectors: [createRefreshTokenIntrospector({ issuer, store, clients: deps.clients, clock })],
    revokers: [createRefreshTokenRevoker({ store, tokens })],
  };
}
