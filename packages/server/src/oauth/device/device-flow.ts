/**
 * The device authorization grant's server side (RFC 8628), framework-free: starting a request
 * (§3.1–3.2), finding it from what a person typed on the verification page (§3.3, with the guess
 * bounds of §5.1), and recording the person's decision. Device codes are minted secrets
 * (`tsr_dc_…`) stored as SHA-256; user codes are stored as SHA-256 plus their first half.
 */
import { timingSafeEqual } from 'node:crypto';
import { OAuthError } from '@tessera/protocol';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import { hashSecret, mintSecret, newId } from '../../ids.js';
import type {
  ClientRecord,
  ConsentStore,
  DeviceAuthorizationRecord,
  DeviceAuthorizationStore,
  SessionRecord,
} from '../../store/ports.js';
import { resolveAudience } from '../resource.js';
import { resolveScope } from '../scope.js';
import { generateUserCode, normalizeUserCode, userCodePrefix } from './user-code.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 8628 §3.2: the device authorization response. */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

export interface DeviceFlowDeps {
  issuer: string;
  store: DeviceAuthorizationStore & Pick<ConsentStore, 'grantConsent'>;
  clock: Clock;
  audit: Pick<AuditLog, 'record'>;
  /** Seconds a request lives. */
  ttl: number;
  /** Seconds between polls, at first. */
  interval: number;
  /** Wrong entries against one live code before it is locked. */
  maxFailedConfirmations: number;
}

export type FindResult =
  | { status: 'found'; record: DeviceAuthorizationRecord }
  | { status: 'malformed' }
  | { status: 'unknown' };

export interface DeviceFlow {
  start(input: {
    client: ClientRecord;
    scope: string | undefined;
    resources: readonly string[];
    deviceInfo: string | null;
    requestId: string;
  }): Promise<DeviceAuthorizationResponse>;
  /** The pending request a typed user code names; a miss that shares its first half counts against it. */
  find(typed: string): Promise<FindResult>;
  findById(id: string): Promise<DeviceAuthorizationRecord | undefined>;
  /** False when the request was no longer pending (decided, locked or expired meanwhile). */
  approve(
    record: DeviceAuthorizationRecord,
    client: ClientRecord,
    session: SessionRecord,
    requestId: string,
  ): Promise<boolean>;
  deny(record: DeviceAuthorizationRecord, userId: string, requestId: string): Promise<boolean>;
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Keeps what the device said about itself printable and short (it is shown on a page). */
function deviceInfoOf(userAgent: string | null): string | null {
  if (userAgent === null) {
    return null;
  }
  const text = userAgent.replace(/[^\x20-\x7e]/g, '').slice(0, 200);
  return text === '' ? null : text;
}

export function createDeviceFlow(deps: DeviceFlowDeps): DeviceFlow {
  const { store, clock, audit } = deps;
  return {
    async start(input) {
      const { client } = input;
      // RFC 8628 §3.1 with RFC 6749 §5.2: a client not registered for the grant may not start it.
      if (!client.grantTypes.includes(DEVICE_CODE_GRANT)) {
        throw OAuthError.unauthorizedClient('This client may not use the device authorization grant');
      }
      const scope = resolveScope(client, input.scope);
      const audience = resolveAudience(client, input.resources, deps.issuer);
      const now = clock.now();
      const deviceCode = mintSecret('dc');
      const userCode = generateUserCode();
      const normalised = normalizeUserCode(userCode) ?? '';
      const record: DeviceAuthorizationRecord = {
        id: newId('dev'),
        deviceCodeHash: hashSecret(deviceCode),
        userCodePrefix: userCodePrefix(normalised),
        userCodeHash: hashSecret(normalised),
        clientId: client.id,
        scope,
        audience,
        deviceInfo: deviceInfoOf(input.deviceInfo),
        status: 'pending',
        userId: null,
        sessionId: null,
        authTime: null,
        amr: [],
        acr: null,
        interval: deps.interval,
        lastPolledAt: null,
        failedAttempts: 0,
        createdAt: now,
        expiresAt: now + deps.ttl,
      };
      await store.insertDeviceAuthorization(record);
      audit.record({
        type: 'device_authorization.requested',
        actor: client.id,
        subject: record.id,
        data: { scope, audience },
        requestId: input.requestId,
      });
      const verificationUri = `${deps.issuer}/device`;
      return {
        device_code: deviceCode,
        user_code: userCode,
        verification_uri: verificationUri,
        // RFC 8628 §3.3.1: the code in the URI; the page still asks the person to confirm (§5.4).
        verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(userCode)}`,
        expires_in: deps.ttl,
        interval: deps.interval,
      };
    },

    async find(typed) {
      const normalised = normalizeUserCode(typed);
      if (normalised === undefined) {
        return { status: 'malformed' };
      }
      const candidates = await store.findPendingDeviceAuthorizations(userCodePrefix(normalised), clock.now());
      const hash = hashSecret(normalised);
      const match = candidates.find((candidate) => sameHash(candidate.userCodeHash, hash));
      if (match !== undefined) {
        return { status: 'found', record: match };
      }
      // RFC 8628 §5.1: a guess that got half of a live code right counts against that code, so a
      // distributed guesser (many addresses) still gets only a few tries at it.
      for (const candidate of candidates) {
        const failures = await store.recordDeviceAuthorizationFailure(
          candidate.id,
          deps.maxFailedConfirmations,
        );
        if (failures >= deps.maxFailedConfirmations) {
          audit.record({
            type: 'device_authorization.locked',
            actor: 'anonymous',
            subject: candidate.id,
            data: { clientId: candidate.clientId, failures },
          });
        }
      }
      return { status: 'unknown' };
    },

    findById(id) {
      return store.findDeviceAuthorization(id);
    },

    async approve(record, client, session, requestId) {
      const now = clock.now();
      const decided = await store.decideDeviceAuthorization(
        record.id,
        {
          userId: session.userId,
          sessionId: session.id,
          authTime: session.authTime,
          amr: session.amr,
          acr: session.acr,
        },
        now,
      );
      if (!decided) {
        return false;
      }
      // The approval is the person's consent (RFC 8628 §3.3): remembered per client and scope like
      // the consent page's, so revoking it (account page, admin) revokes these tokens too.
      if (!client.firstParty) {
        await store.grantConsent(session.userId, client.id, record.scope, now);
      }
      audit.record({
        type: 'device_authorization.approved',
        actor: session.userId,
        subject: record.id,
        data: { clientId: client.id, scope: record.scope, sessionId: session.id },
        requestId,
      });
      return true;
    },

    async deny(record, userId, requestId) {
      const decided = await store.decideDeviceAuthorization(record.id, 'denied', clock.now());
      if (decided) {
        audit.record({
          type: 'device_authorization.denied',
          actor: userId,
          subject: record.id,
          data: { clientId: record.clientId },
          requestId,
        });
      }
      return decided;
    },
  };
}
