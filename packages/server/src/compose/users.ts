/**
 * People: the user, session and consent services, the login throttle, and the password hasher
 * (argon2id unless a test injects one, bounded per process either way).
 */
import { createRiskEngine, type GeoLookup } from '@tessera/risk';
import { createRecoveryCodes, type RecoveryCodes } from '../users/authn/recovery-codes.js';
import {
  createSecondFactors,
  recoveryCodeFactor,
  type SecondFactor,
  type SecondFactors,
  totpFactor,
} from '../users/authn/second-factors.js';
import { createTotpService, type TotpService } from '../users/authn/totp.js';
import { createBoundedHasher, defaultVerifyConcurrency } from '../users/bounded-hasher.js';
import { type ConsentService, createConsentService } from '../users/consent-service.js';
import { createDeviceIds } from '../users/device-ids.js';
import { createLoginRisk, type LoginRisk } from '../users/login-risk.js';
import { createLoginThrottle, type LoginThrottle } from '../users/login-throttle.js';
import { createPasswordHasher } from '../users/password-hasher.js';
import { createRiskState, type RiskState } from '../users/risk-state.js';
import { createSessionService, type SessionService } from '../users/session-service.js';
import { createUserService, type UserService } from '../users/user-service.js';
import type { Core } from './core.js';
import type { OAuthCore } from './oauth-core.js';

export interface Users {
  users: UserService;
  sessions: SessionService;
  consents: ConsentService;
  throttle: LoginThrottle;
  /** Second factors: TOTP, recovery codes, and the registry the login flow asks. */
  mfa: { totp: TotpService; recoveryCodes: RecoveryCodes; secondFactors: SecondFactors };
  /** Risk-based sign-in (`risk.enabled`): scores each sign-in before its session is granted. */
  risk?: LoginRisk;
  /** The risk engine's state in the store (with `risk`): histories, global tables, erasure. */
  riskState?: RiskState;
}

export interface UsersDeps {
  /** IP → ASN and place from the `risk.*Database` files, opened once in main.ts. */
  geo: GeoLookup;
  revocations: OAuthCore['revocations'];
  /** Password, TOTP and recovery-code changes go out as OpenID CAEP `credential-change`. */
  credentialChanges: OAuthCore['credentialChanges'];
  /** Revokes a deleted user's API keys (the API-key service). */
  revokeApiKeysOf?: (owner: string, actor: string) => Promise<number>;
  /** Second factors besides TOTP and recovery codes (a passkey), asked after them. */
  extraFactors?: readonly SecondFactor[];
}

export function composeUsers(core: Core, deps: UsersDeps): Users {
  const { config, store, clock, audit } = core;
  const { login } = config;
  const maxAccessTokenTtl = config.tokens.maxAccessTokenTtl;
  const users = createUserService({
    store,
    revocations: deps.revocations,
    hasher: createBoundedHasher(core.passwordHasher ?? createPasswordHasher(), {
      concurrency: login.verifyConcurrency ?? defaultVerifyConcurrency(),
      queue: login.verifyQueue,
      maxWait: login.verifyMaxWait,
    }),
    clock,
    bus: core.bus,
    audit,
    policy: { minLength: login.passwordMinLength },
    maxAccessTokenTtl,
    ...(deps.revokeApiKeysOf === undefined ? {} : { revokeApiKeysOf: deps.revokeApiKeysOf }),
    credentialChanges: deps.credentialChanges,
  });
  const sessions = createSessionService({
    store,
    revocations: deps.revocations,
    clock,
    audit,
    ttl: login.sessionTtl,
    maxAge: login.sessionMaxAge,
    maxAccessTokenTtl,
  });
  const throttle = createLoginThrottle({
    store,
    clock,
    freeAttempts: login.freeAttempts,
    maxBackoff: login.maxBackoff,
  });
  const consents = createConsentService({
    store,
    revocations: deps.revocations,
    audit,
    clock,
    maxAccessTokenTtl,
  });
  const totp = createTotpService({
    store,
    clock,
    audit,
    masterKey: core.masterKey,
    issuerName: new URL(core.issuer).host,
    credentialChanges: deps.credentialChanges,
  });
  const recoveryCodes = createRecoveryCodes({
    store,
    clock,
    audit,
    credentialChanges: deps.credentialChanges,
  });
  // Asked in this order after a password; a passkey factor joins this list.
  const secondFactors = createSecondFactors([
    totpFactor(totp),
    recoveryCodeFactor(totp, recoveryCodes),
    ...(deps.extraFactors ?? []),
  ]);
  const mfa = { totp, recoveryCodes, secondFactors };
  if (!config.risk.enabled) {
    return { users, sessions, consents, throttle, mfa };
  }
  const { stepUpScore, denyScore, secondFactor, syncInterval, deviceCookie } = config.risk;
  const geo = deps.geo;
  // Velocity (failed sign-ins per address, network, account) is summed in the store like the
  // global tables, so an attacker spread over the nodes counts as one.
  const engine = createRiskEngine({ shareVelocity: true });
  const riskState = createRiskState({ engine, store, clock, log: core.logger, syncInterval });
  // The global tables other nodes (or this one before a restart) learned.
  void riskState.sync();
  // The store holds the history; the copy in memory is only what the last read found. A person
  // changed or deleted on any node (the bus carries it across nodes) loses it at once, so a deleted
  // person's history does not linger in any node's memory.
  core.bus.subscribe('user.updated', ({ userId }) => {
    engine.forget(userId);
  });
  const state = riskState;
  const risk = createLoginRisk({
    audit,
    clock,
    stepUpScore,
    denyScore,
    secondFactor,
    geo,
    engine,
    state,
    onDecision: (decision) => core.stats.add('risk_decisions', decision),
    ...(deviceCookie ? { devices: createDeviceIds(core.masterKey) } : {}),
  });
  return { users, sessions, consents, throttle, mfa, risk, riskState };
}
