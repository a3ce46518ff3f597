/**
 * Passkeys (WebAuthn Level 3) with `@simplewebauthn/server`: registration for a signed-in person,
 * sign-in with a discoverable credential alone, listing and removal.
 *
 * Every ceremony's challenge is random (the library's), travels sealed (AES-256-GCM under a key
 * derived from the master key) together with its purpose, the person, the browser it was issued to
 * (the hash of the CSRF cookie) and its expiry, and is consumed once in the shared replay store
 * before the response is checked: a replayed response, a response to an expired challenge or a
 * challenge used twice is refused on every node. User verification is required (WebAuthn L3 §7.1
 * step 15, §7.2 step 17). The signature counter is checked by us after the signature
 * (WebAuthn L3 §6.1.1): a counter that does not grow means a cloned authenticator; the sign-in is
 * refused and audited. The counter is then stored with a compare-and-set, so two sign-ins with one
 * counter value cannot both pass.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { type CredentialType, OAuthError } from '@tessera/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { newId } from '../ids.js';
import { seal, UnsealError, unseal } from '../keys/seal.js';
import {
  ConflictError,
  type PasskeyRecord,
  type PasskeyStore,
  type ReplayStore,
  type UserRecord,
  type UserStore,
} from '../store/ports.js';
import type { CredentialChanges } from '../tokens/credential-changes.js';
import type { FactorGuard } from './factor-guard.js';

/** A person may hold at most this many passkeys (bounds the list and the exclude list). */
export const MAX_PASSKEYS = 20;
const MAX_NAME = 64;
const AAD = 'tessera webauthn v1';

export interface WebAuthnSettings {
  rpId: string;
  rpName: string;
  origins: string[];
  /** Seconds. */
  challengeTtl: number;
}

/** The relying party of an issuer: its host name and origin, unless configured otherwise. */
export function webAuthnSettingsOf(
  issuer: string,
  config: { rpId?: string | undefined; origins?: string[] | undefined; challengeTtl: number },
): WebAuthnSettings {
  const url = new URL(issuer);
  const origins = [url.origin, ...(config.origins ?? [])];
  const rpId = (config.rpId ?? url.hostname).toLowerCase();
  // WebAuthn L3 §5.1.3: the RP ID is the origin's effective domain or a registrable suffix of it.
  for (const origin of origins) {
    const host = new URL(origin).hostname;
    if (host !== rpId && !host.endsWith(`.${rpId}`)) {
      throw new Error(`webauthn.rpId ${rpId} does not cover the origin ${origin}`);
    }
  }
  return {
    rpId,
    rpName: 'Tessera',
    origins: [...new Set(origins)],
    challengeTtl: config.challengeTtl,
  };
}

export interface PasskeyCeremony<T> {
  options: T;
  /** The sealed challenge state; sent back with the response. */
  state: string;
}

export interface PasskeyService {
  readonly settings: WebAuthnSettings;
  registrationOptions(
    user: UserRecord,
    browser: string,
  ): Promise<PasskeyCeremony<PublicKeyCredentialCreationOptionsJSON>>;
  register(
    user: UserRecord,
    input: { state: string; response: unknown; name: string },
    browser: string,
    actor: string,
  ): Promise<PasskeyRecord>;
  authenticationOptions(browser: string): Promise<PasskeyCeremony<PublicKeyCredentialRequestOptionsJSON>>;
  /** The person and the passkey of a verified sign-in; throws a generic `access_denied` otherwise. */
  authenticate(
    input: { state: string; response: unknown },
    browser: string,
    context: { ip: string | null; requestId?: string },
  ): Promise<{ user: UserRecord; passkey: PasskeyRecord }>;
  list(userId: string): Promise<PasskeyRecord[]>;
  /** Removes one of a person's passkeys (if the factor guard allows it); false when none. */
  remove(userId: string, id: string, actor: string): Promise<boolean>;
}

export interface PasskeyServiceDeps {
  store: PasskeyStore & Pick<ReplayStore, 'markOnce'> & Pick<UserStore, 'findUser'>;
  masterKey: Buffer;
  settings: WebAuthnSettings;
  clock: Clock;
  audit: Pick<AuditLog, 'record'>;
  guard: FactorGuard;
  /** Tells verifiers when a passkey is added or removed (OpenID CAEP `credential-change`). */
  credentialChanges?: Pick<CredentialChanges, 'changed'>;
}

/**
 * CAEP's `fido2-platform` for a passkey the device itself holds (transport `internal`) or a synced
 * one (backup eligible); `fido2-roaming` for a security key.
 */
export function passkeyCredentialType(
  passkey: Pick<PasskeyRecord, 'transports' | 'backupEligible'>,
): CredentialType {
  return passkey.backupEligible || passkey.transports.includes('internal')
    ? 'fido2-platform'
    : 'fido2-roaming';
}

interface ChallengeState {
  id: string;
  purpose: 'register' | 'authenticate';
  challenge: string;
  /** The person registering (registration only). */
  userId?: string;
  /** SHA-256 of the browser's CSRF cookie, as sealed interactions use. */
  browser: string;
  expiresAt: number;
}

/** What a failed ceremony tells the person: never which check failed. */
const REFUSED = 'The passkey could not be verified. Try again.';

function refused(detail: string): OAuthError {
  return OAuthError.accessDenied(REFUSED, { status: 400, cause: new Error(detail) });
}

/** The user handle of a person (WebAuthn L3 §5.4.3: opaque, at most 64 bytes, no personal data). */
function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId, 'utf8'));
}

function isResponseShape(value: unknown): value is { id: string; response: Record<string, unknown> } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { id?: unknown }).id === 'string' &&
    (value as { id: string }).id.length <= 1366 &&
    typeof (value as { response?: unknown }).response === 'object' &&
    (value as { response?: unknown }).response !== null
  );
}

export function createPasskeyService(deps: PasskeyServiceDeps): PasskeyService {
  const { store, clock, settings } = deps;
  // A key of its own: a challenge state can never be opened as an interaction or a signing key.
  const key = Buffer.from(hkdfSync('sha256', deps.masterKey, Buffer.alloc(0), AAD, 32));

  function sealState(state: Omit<ChallengeState, 'id' | 'expiresAt'>): string {
    const full: ChallengeState = {
      ...state,
      id: randomBytes(16).toString('base64url'),
      expiresAt: clock.now() + settings.challengeTtl,
    };
    return seal(key, JSON.stringify(full), AAD);
  }

  /** Opens a state for this browser and purpose and consumes it: at most once, on any node. */
  async function consumeState(
    sealed: string,
    purpose: ChallengeState['purpose'],
    browser: string,
  ): Promise<ChallengeState> {
    if (sealed.length === 0 || sealed.length > 4096) {
      throw refused('missing or oversized state');
    }
    let state: ChallengeState;
    try {
      state = JSON.parse(unseal(key, sealed, AAD)) as ChallengeState;
    } catch (error) {
      if (error instanceof UnsealError || error instanceof SyntaxError) {
        throw refused('state does not open');
      }
      throw error;
    }
    const now = clock.now();
    if (state.purpose !== purpose || state.browser !== browser) {
      throw refused('state of another purpose or browser');
    }
    if (state.expiresAt <= now) {
      throw refused('challenge expired');
    }
    if (!(await store.markOnce(`webauthn:${state.id}`, state.expiresAt, now))) {
      throw refused('challenge already used');
    }
    return state;
  }

  function parseName(name: string, count: number): string {
    const trimmed = name.trim().replace(/\s+/g, ' ');
    if (trimmed.length > MAX_NAME) {
      throw OAuthError.invalidRequest(`A passkey name has at most ${MAX_NAME} characters.`);
    }
    return trimmed === '' ? `Passkey ${count + 1}` : trimmed;
  }

  return {
    settings,

    async registrationOptions(user, browser) {
      const existing = await store.listPasskeys(user.id);
      if (existing.length >= MAX_PASSKEYS) {
        throw OAuthError.invalidRequest(
          `A person can have at most ${MAX_PASSKEYS} passkeys. Remove one first.`,
        );
      }
      const options = await generateRegistrationOptions({
        rpName: settings.rpName,
        rpID: settings.rpId,
        userName: user.username,
        userID: userHandleOf(user.id),
        userDisplayName: user.name ?? user.username,
        timeout: settings.challengeTtl * 1000,
        attestationType: 'none',
        // The same authenticator twice would be no second factor (WebAuthn L3 §5.4.3 excludeCredentials).
        excludeCredentials: existing.map((passkey) => ({
          id: passkey.credentialId,
          transports: passkey.transports as AuthenticatorTransport[],
        })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        // ES256, EdDSA, RS256.
        supportedAlgorithmIDs: [-7, -8, -257],
      });
      const state = sealState({
        purpose: 'register',
        challenge: options.challenge,
        userId: user.id,
        browser,
      });
      return { options, state };
    },

    async register(user, input, browser, actor) {
      const state = await consumeState(input.state, 'register', browser);
      if (state.userId !== user.id) {
        throw refused('registration state of another person');
      }
      if (!isResponseShape(input.response)) {
        throw refused('malformed registration response');
      }
      let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
      try {
        verification = await verifyRegistrationResponse({
          response: input.response as unknown as RegistrationResponseJSON,
          expectedChallenge: state.challenge,
          expectedOrigin: settings.origins,
          expectedRPID: settings.rpId,
          requireUserVerification: true,
          supportedAlgorithmIDs: [-7, -8, -257],
        });
      } catch (error) {
        deps.audit.record({
          type: 'passkey.registration_failed',
          actor,
          subject: user.id,
          data: { reason: error instanceof Error ? error.message.slice(0, 200) : 'unknown' },
        });
        throw OAuthError.accessDenied(REFUSED, { status: 400, cause: error });
      }
      if (!verification.verified) {
        throw refused('registration not verified');
      }
      const info = verification.registrationInfo;
      const existing = await store.listPasskeys(user.id);
      if (existing.length >= MAX_PASSKEYS) {
        throw OAuthError.invalidRequest(
          `A person can have at most ${MAX_PASSKEYS} passkeys. Remove one first.`,
        );
      }
      const record: PasskeyRecord = {
        id: newId('pk'),
        userId: user.id,
        credentialId: info.credential.id,
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: info.credential.counter,
        transports: (info.credential.transports ?? []).slice(0, 8).map(String),
        backupEligible: info.credentialDeviceType === 'multiDevice',
        backedUp: info.credentialBackedUp,
        aaguid: info.aaguid,
        name: parseName(input.name, existing.length),
        createdAt: clock.now(),
        lastUsedAt: null,
      };
      try {
        await store.insertPasskey(record);
      } catch (error) {
        if (error instanceof ConflictError) {
          throw OAuthError.conflict('This passkey is already registered.');
        }
        throw error;
      }
      deps.audit.record({
        type: 'passkey.registered',
        actor,
        subject: user.id,
        data: { passkey: record.id, backupEligible: record.backupEligible, aaguid: record.aaguid },
      });
      await deps.credentialChanges?.changed(
        { subject: user.id, changeType: 'create', credentialType: passkeyCredentialType(record) },
        actor,
      );
      return record;
    },

    async authenticationOptions(browser) {
      // No allowCredentials: the authenticator offers its discoverable credentials for this RP.
      const options = await generateAuthenticationOptions({
        rpID: settings.rpId,
        timeout: settings.challengeTtl * 1000,
        userVerification: 'required',
      });
      return {
        options,
        state: sealState({ purpose: 'authenticate', challenge: options.challenge, browser }),
      };
    },

    async authenticate(input, browser, context) {
      const state = await consumeState(input.state, 'authenticate', browser);
      if (!isResponseShape(input.response)) {
        throw refused('malformed authentication response');
      }
      const response = input.response as unknown as AuthenticationResponseJSON;
      const passkey = await store.findPasskeyByCredentialId(response.id);
      const fail = (reason: string, error?: unknown): OAuthError => {
        deps.audit.record({
          type: 'passkey.sign_in_failed',
          actor: 'anonymous',
          subject: passkey?.userId ?? null,
          data: { reason, passkey: passkey?.id ?? null, ip: context.ip },
          ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
        });
        return OAuthError.accessDenied(REFUSED, { status: 400, cause: error ?? new Error(reason) });
      };
      if (passkey === undefined) {
        throw fail('unknown credential');
      }
      // WebAuthn L3 §7.2 step 6: the user handle, when given, must name the credential's owner.
      const userHandle = response.response.userHandle;
      if (
        userHandle !== undefined &&
        userHandle !== null &&
        userHandle !== Buffer.from(userHandleOf(passkey.userId)).toString('base64url')
      ) {
        throw fail('user handle does not match');
      }
      let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
      try {
        verification = await verifyAuthenticationResponse({
          response,
          expectedChallenge: state.challenge,
          expectedOrigin: settings.origins,
          expectedRPID: settings.rpId,
          // The counter is compared below, after the signature, so a regression is told apart.
          credential: {
            id: passkey.credentialId,
            publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
            counter: 0,
            transports: passkey.transports as AuthenticatorTransport[],
          },
          requireUserVerification: true,
        });
      } catch (error) {
        throw fail(error instanceof Error ? error.message.slice(0, 200) : 'verification failed', error);
      }
      if (!verification.verified) {
        throw fail('not verified');
      }
      const info = verification.authenticationInfo;
      // WebAuthn L3 §6.1.1: a counter that does not grow, once either side counts, means two
      // copies of one private key: a cloned authenticator.
      if ((info.newCounter > 0 || passkey.counter > 0) && info.newCounter <= passkey.counter) {
        deps.audit.record({
          type: 'passkey.clone_suspected',
          actor: 'anonymous',
          subject: passkey.userId,
          data: { passkey: passkey.id, stored: passkey.counter, presented: info.newCounter, ip: context.ip },
          ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
        });
        throw fail('counter did not increase');
      }
      const now = clock.now();
      const recorded = await store.recordPasskeyUse(passkey.id, {
        expectedCounter: passkey.counter,
        counter: info.newCounter,
        backedUp: info.credentialBackedUp,
        at: now,
      });
      if (!recorded) {
        throw fail('counter changed by a concurrent sign-in');
      }
      const user = await store.findUser(passkey.userId);
      if (user === undefined || user.disabled) {
        throw fail('user missing or disabled');
      }
      return {
        user,
        passkey: { ...passkey, counter: info.newCounter, backedUp: info.credentialBackedUp, lastUsedAt: now },
      };
    },

    list(userId) {
      return store.listPasskeys(userId);
    },

    async remove(userId, id, actor) {
      const passkeys = await store.listPasskeys(userId);
      const passkey = passkeys.find((candidate) => candidate.id === id);
      if (passkey === undefined) {
        return false;
      }
      await deps.guard.assertCanRemove(userId, { kind: 'passkey', id });
      const removed = await store.deletePasskey(userId, id);
      if (removed) {
        deps.audit.record({ type: 'passkey.removed', actor, subject: userId, data: { passkey: id } });
        await deps.credentialChanges?.changed(
          { subject: userId, changeType: 'delete', credentialType: passkeyCredentialType(passkey) },
          actor,
        );
      }
      return removed;
    },
  };
}
