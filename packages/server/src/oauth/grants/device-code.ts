/**
 * The device authorization grant at the token endpoint (RFC 8628 §3.4–3.5) as a checklist:
 * well-formed device code → one atomic poll in the store (issued to this client; another client's
 * poll changes nothing) → `expired_token`, `slow_down` (interval + 5 s), `authorization_pending`,
 * `access_denied`, or approved and consumed exactly once → the approving person still exists and is
 * enabled, their session has not ended, their consent not been revoked → tokens, with the
 * authentication context of the session that approved.
 */
import { OAuthError, parseSecret, type TokenResponse } from '@tessera/protocol';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Clock } from '../../clock.js';
import { hashSecret, newId } from '../../ids.js';
import type { ConsentStore, DeviceAuthorizationStore, SessionStore, UserStore } from '../../store/ports.js';
import { DEVICE_CODE_GRANT } from '../device/device-flow.js';
import type { Grant, GrantContext } from './index.js';
import { approvalStillHolds, mayHaveRefreshToken, type UserTokens } from './user-tokens.js';

/** RFC 8628 §3.5: "the interval MUST be increased by 5 seconds". */
export const SLOW_DOWN_STEP = 5;

export interface DeviceCodeGrantDeps {
  store: Pick<DeviceAuthorizationStore, 'pollDeviceAuthorization'> &
    Pick<UserStore, 'findUser'> &
    Pick<SessionStore, 'findSession'> &
    Pick<ConsentStore, 'findConsent'>;
  tokens: UserTokens;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
  onIssued?: (event: { clientId: string; refresh: boolean; format: 'jwt' | 'opaque' }) => void;
}

function invalidCode(cause: string): OAuthError {
  // One public message: which check failed helps only an attacker.
  return OAuthError.invalidGrant('The device code is invalid, already used or was issued to another client', {
    cause,
  });
}

export function createDeviceCodeGrant(deps: DeviceCodeGrantDeps): Grant {
  return {
    grantType: DEVICE_CODE_GRANT,
    parameters: ['device_code'],
    async handle(context: GrantContext): Promise<TokenResponse> {
      const { client, params } = context;
      const deviceCode = params.device_code;
      if (deviceCode === undefined) {
        throw OAuthError.invalidRequest('device_code is required (RFC 8628 section 3.4)');
      }
      if (parseSecret(deviceCode, 'dc') === undefined) {
        throw invalidCode('malformed device code');
      }
      const result = await deps.store.pollDeviceAuthorization(
        hashSecret(deviceCode),
        client.id,
        deps.clock.now(),
        SLOW_DOWN_STEP,
      );
      switch (result.status) {
        case 'not_found':
          throw invalidCode('unknown device code');
        case 'wrong_client':
          throw invalidCode('device code issued to another client');
        case 'consumed':
          throw invalidCode('device code already used');
        case 'expired':
          throw OAuthError.expiredToken('The device code has expired; start a new device authorization');
        case 'slow_down':
          throw OAuthError.slowDown(
            `Polling too fast: wait at least ${result.interval} seconds between requests`,
          );
        case 'pending':
          throw OAuthError.authorizationPending('The user has not yet approved or denied the request');
        case 'denied':
          // RFC 8628 §3.5 lists access_denied among the token endpoint's errors, answered as
          // RFC 6749 §5.2 describes: 400, not the 403 of a denied authorization page.
          throw OAuthError.accessDenied('The user denied the request', { status: 400 });
        case 'approved':
          break;
      }
      const record = result.record;
      const holds = await approvalStillHolds(
        deps.store,
        { ...record, authTime: record.authTime ?? 0 },
        client,
      );
      if ('failure' in holds) {
        throw invalidCode(holds.failure);
      }
      const { user } = holds;
      const refresh = mayHaveRefreshToken(client, record.scope);
      const { response } = await deps.tokens.issue(
        {
          client,
          user,
          scope: record.scope,
          grantScope: record.scope,
          audience: record.audience,
          familyId: newId('fam'),
          sessionId: record.sessionId,
          authTime: record.authTime ?? deps.clock.now(),
          amr: record.amr,
          acr: record.acr,
          origin: context.origin,
          nonce: null,
          jkt: context.dpop?.jkt,
        },
        { refreshToken: refresh },
      );
      deps.audit.record({
        type: 'device_authorization.exchanged',
        actor: client.id,
        subject: record.id,
        data: { userId: user.id, refresh },
        requestId: context.requestId,
      });
      deps.onIssued?.({ clientId: client.id, refresh, format: client.tokenFormat });
      return response;
    },
  };
}
