import { describe, expect, it } from 'vitest';
import {
  CAEP_ASSURANCE_LEVEL_CHANGE,
  CAEP_CREDENTIAL_CHANGE,
  CAEP_SESSION_REVOKED,
  toSecurityEvent,
} from './ssf-events.js';

const ISS = 'https://id.example.com';
const at = (type: string, value: string) =>
  ({ id: 7, target: { type, value }, revokedAt: 1_700_000_000, expiresAt: 1_700_000_600 }) as Parameters<
    typeof toSecurityEvent
  >[0];

describe('toSecurityEvent', () => {
  it('OpenID CAEP 1.0 §3.1 — session → session-revoked, RFC 9493 opaque subject, txn the event id', () => {
    expect(toSecurityEvent(at('session', 'ses_1'), ISS)).toEqual({
      iss: ISS,
      txn: '7',
      sub_id: { format: 'opaque', id: 'ses_1' },
      events: { [CAEP_SESSION_REVOKED]: { event_timestamp: 1_700_000_000 } },
    });
  });

  it('OpenID CAEP 1.0 §3.4 — assurance → assurance-level-change with namespace and current_level, no previous_level', () => {
    expect(toSecurityEvent(at('assurance', 'ses_1 urn:tessera:acr:mfa'), ISS)).toEqual({
      iss: ISS,
      txn: '7',
      sub_id: { format: 'opaque', id: 'ses_1' },
      events: {
        [CAEP_ASSURANCE_LEVEL_CHANGE]: {
          namespace: 'urn:tessera:acr',
          current_level: 'urn:tessera:acr:mfa',
          event_timestamp: 1_700_000_000,
        },
      },
    });
  });

  it('OpenID CAEP 1.0 §3.3 — credential → credential-change with credential_type and change_type, iss_sub subject', () => {
    expect(toSecurityEvent(at('credential', 'usr_1 delete fido2-platform'), ISS)).toEqual({
      iss: ISS,
      txn: '7',
      sub_id: { format: 'iss_sub', iss: ISS, sub: 'usr_1' },
      events: {
        [CAEP_CREDENTIAL_CHANGE]: {
          credential_type: 'fido2-platform',
          change_type: 'delete',
          event_timestamp: 1_700_000_000,
        },
      },
    });
  });

  it('maps nothing else, and nothing malformed', () => {
    for (const [type, value] of [
      ['jti', 'jti_1'],
      ['subject', 'usr_1'],
      ['client', 'cli_1'],
      ['session', ''],
      ['assurance', 'ses_1'],
      ['assurance', 'ses_1  urn:tessera:acr:mfa'],
      ['credential', 'usr_1 update'],
    ] as const) {
      expect(toSecurityEvent(at(type, value), ISS)).toBeUndefined();
    }
  });
});
