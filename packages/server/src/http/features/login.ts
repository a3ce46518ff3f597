/**
 * Users and login: the authorization endpoint, the login and consent pages, `/userinfo`,
 * RP-initiated logout, `/admin/users`, `/admin/sessions`, `/admin/consents` and
 * `/admin/risk/decisions`. It receives the services built by the composition root and only
 * registers routes; its grants and refresh-token introspection and revocation are in the token
 * registries (compose/user-grants.ts).
 */
import { fastifyCookie } from '@fastify/cookie';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config/schema.js';
import type { Keyring } from '../../keys/keyring.js';
import type { InteractionSealer } from '../../oauth/authorize/interaction.js';
import type { DpopProofValidator } from '../../oauth/dpop/proof-validator.js';
import { idTokenAlgorithms } from '../../oauth/oidc/id-token.js';
import type { SubjectOf } from '../../oauth/oidc/pairwise.js';
import type { ClientRecord, Store } from '../../store/ports.js';
import type { Revocations } from '../../tokens/revocations.js';
import type { AccessTokenVerifier } from '../../tokens/verify-access-token.js';
import type { RecoveryCodes } from '../../users/authn/recovery-codes.js';
import type { SecondFactors } from '../../users/authn/second-factors.js';
import type { SiweService } from '../../users/authn/siwe.js';
import type { TotpService } from '../../users/authn/totp.js';
import type { ConsentService } from '../../users/consent-service.js';
import type { LoginRisk } from '../../users/login-risk.js';
import type { LoginThrottle } from '../../users/login-throttle.js';
import type { PasskeyService } from '../../users/passkey-service.js';
import type { RiskState } from '../../users/risk-state.js';
import type { SessionService } from '../../users/session-service.js';
import type { UserService } from '../../users/user-service.js';
import { registerConsentRoutes } from '../admin/consents.js';
import { registerRiskDecisionRoutes } from '../admin/risk-decisions.js';
import { registerRiskProfileRoutes } from '../admin/risk-profiles.js';
import { registerSessionRoutes } from '../admin/sessions.js';
import { mfaStateOf } from '../admin/user-mfa.js';
import { registerUserRoutes } from '../admin/users.js';
import type { HttpFeature } from '../feature.js';
import { createBrowserCookies } from '../pages/browser-cookies.js';
import type { CallerLimit } from '../plugins/rate-limit.js';
import { registerAuthorize } from '../public/authorize.js';
import { registerConsent } from '../public/consent.js';
import { registerEndSession } from '../public/end-session.js';
import { registerLogin } from '../public/login.js';
import { registerExternalReturn, registerLoginAccept } from '../public/login-external.js';
import type { LoginFlowDeps } from '../public/login-flow.js';
import { registerLoginPasskey } from '../public/login-passkey.js';
import { registerSecondFactor } from '../public/login-second-factor.js';
import { registerLoginSiwe } from '../public/login-siwe.js';
import { registerUserinfo } from '../public/userinfo.js';
import { advertiseLogin } from './login-discovery.js';

export interface LoginFeatureDeps {
  config: {
    login: Pick<Config['login'], 'requirePkce' | 'codeTtl' | 'sessionMaxAge' | 'requireMfa' | 'externalUrl'>;
  } & {
    oidc: Pick<Config['oidc'], 'endSessionHintMaxAge' | 'idTokenAlgorithm'>;
    keys: Pick<Config['keys'], 'algorithm'>;
  };
  issuer: string;
  /** RFC 9449 proofs for DPoP-bound tokens at /userinfo. */
  dpop: DpopProofValidator;
  store: Store;
  keyring: Keyring;
  clock: Clock;
  audit: AuditLog;
  clients: { get(id: string): Promise<ClientRecord | undefined> };
  users: UserService;
  sessions: SessionService;
  consents: ConsentService;
  throttle: LoginThrottle;
  /** Second factors: the login's second step asks the registry; admin's user view shows the state. */
  mfa: { totp: TotpService; recoveryCodes: RecoveryCodes; secondFactors: SecondFactors };
  /** Seals the interaction (the authorization request in progress) into the page URLs and forms. */
  sealer: InteractionSealer;
  verifyAccessToken: AccessTokenVerifier;
  /** The `sub` a client sees (OIDC Core §8) at /userinfo and in ID token hints. */
  subjectOf: SubjectOf;
  revocations: Revocations;
  /** Per caller at /userinfo. */
  userinfoLimit: CallerLimit;
  /** Passkey sign-in on the login page. */
  passkeys?: PasskeyService;
  /** Sign-In with Ethereum on the login page (absent: `siwe.enabled` is off, the routes 404). */
  siwe?: SiweService;
  /** Risk-based sign-in (absent: `risk.enabled` is off). */
  risk?: LoginRisk;
  /** The risk engine's stored state: `/admin/users/{id}/risk-profile`. */
  riskState?: RiskState;
}

/**
 * What the login pages work with; other features whose pages need a signed-in person (the device
 * verification page) send people through the same login with it.
 */
export function loginFlowOf(deps: LoginFeatureDeps): LoginFlowDeps {
  const { config, issuer } = deps;
  return {
    issuer,
    clients: deps.clients,
    store: deps.store,
    sessions: deps.sessions,
    users: deps.users,
    sealer: deps.sealer,
    cookies: createBrowserCookies({ secure: issuer.startsWith('https:') }),
    throttle: deps.throttle,
    clock: deps.clock,
    audit: deps.audit,
    requirePkce: config.login.requirePkce,
    codeTtl: config.login.codeTtl,
    sessionMaxAge: config.login.sessionMaxAge,
    ...(deps.passkeys === undefined ? {} : { passkeys: deps.passkeys }),
    ...(deps.siwe === undefined ? {} : { siwe: deps.siwe }),
    ...(deps.risk === undefined ? {} : { risk: deps.risk }),
    secondFactors: deps.mfa.secondFactors,
    requireMfa: config.login.requireMfa,
    ...(config.login.externalUrl === undefined
      ? {}
      : {
          external: {
            url: config.login.externalUrl,
            keyring: deps.keyring,
            algorithm: config.keys.algorithm,
          },
        }),
  };
}

export function createLoginFeature(deps: LoginFeatureDeps): HttpFeature {
  const { config, store, clock, audit, issuer, sessions } = deps;
  const flow = loginFlowOf(deps);
  const { cookies } = flow;

  return {
    name: 'login',
    async registerPublic(app, context) {
      // The pages read and set cookies; the cookie plugin stays inside their own scope.
      await app.register(async function loginPages(scope) {
        await scope.register(fastifyCookie);
        registerAuthorize(scope, flow);
        registerLogin(scope, flow);
        registerSecondFactor(scope, flow);
        registerConsent(scope, flow);
        if (flow.external !== undefined) {
          registerExternalReturn(scope, flow, flow.external);
        }
        if (deps.passkeys !== undefined) {
          registerLoginPasskey(scope, { ...flow, passkeys: deps.passkeys });
        }
        if (deps.siwe !== undefined) {
          registerLoginSiwe(scope, { ...flow, siwe: deps.siwe });
        }
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
          subjectOf: deps.subjectOf,
        });
      });
      registerUserinfo(app, {
        verifyAccessToken: deps.verifyAccessToken,
        revocations: deps.revocations,
        store,
        clients: deps.clients,
        clock,
        limit: deps.userinfoLimit,
        issuer: deps.issuer,
        dpop: deps.dpop,
        subjectOf: deps.subjectOf,
      });
      advertiseLogin(context.caps, { idTokenAlgorithms: idTokenAlgorithms(config) });
    },
    registerAdmin(admin) {
      registerUserRoutes(admin, {
        users: deps.users,
        mfaState: mfaStateOf({
          ...deps.mfa,
          ...(deps.passkeys === undefined ? {} : { passkeys: deps.passkeys }),
        }),
      });
      registerSessionRoutes(admin, { store, sessions });
      registerConsentRoutes(admin, { users: deps.users, consents: deps.consents });
      if (flow.external !== undefined) {
        registerLoginAccept(admin, flow, flow.external);
      }
      registerRiskDecisionRoutes(admin, { store });
      if (deps.riskState !== undefined) {
        registerRiskProfileRoutes(admin, { riskState: deps.riskState, audit: deps.audit });
      }
    },
  };
}
