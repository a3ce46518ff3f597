/**
 * Tessera's CAEP-style revocation events as OpenID CAEP 1.0 events for Security Event Tokens
 * (RFC 8417), the claims of a SET except `aud`, `jti` and `iat`, which each delivery adds.
 *
 * - `session` → `session-revoked` (CAEP §3.1; no event-specific claims), the subject the session
 *   itself: RFC 9493 §3.2.4 `opaque`, its `sid` (the value in ID and access tokens).
 * - `assurance` (`<sid> <acr>`) → `assurance-level-change` (CAEP §3.4) of that session: `namespace`
 *   is `urn:tessera:acr`, a custom namespace CAEP allows, whose values are Tessera's OIDC `acr`
 *   values; `current_level` is the `acr` the session's tokens must now show. Tessera's event does
 *   not know the session's earlier level, so `previous_level` and `change_direction` are omitted
 *   (CAEP: the receiver then assumes the previous level unknown).
 * - `credential` (`<sub> <change_type> <credential_type>`) → `credential-change` (CAEP §3.3) with
 *   both required claims, the subject RFC 9493 §3.2.5 `iss_sub` (Tessera's issuer and the `sub`).
 *   `friendly_name`, `x509_*` and `fido2_aaguid` are omitted (the event does not carry them);
 *   `recovery-code`, `client-secret` and `api-key` are credential types of Tessera's own, which
 *   CAEP allows when transmitter and receiver agree.
 *
 * Every event carries `event_timestamp` (the revocation time) and the SET carries `txn` (OpenID
 * SSF 1.0 §4.1.7), the revocation event's id, so a SET can be matched to the revocation stream's
 * event. `initiating_entity` and the `reason_*` claims are omitted: the revocation event does not
 * say who or what caused it. Other revocation types are not CAEP events and map to nothing.
 */
import type { RevocationEvent } from '@tessera/protocol';

/** OpenID CAEP 1.0 §3: the base of every CAEP event type URI. */
const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';

export const CAEP_SESSION_REVOKED = `${CAEP}session-revoked`;
export const CAEP_ASSURANCE_LEVEL_CHANGE = `${CAEP}assurance-level-change`;
export const CAEP_CREDENTIAL_CHANGE = `${CAEP}credential-change`;

/** The CAEP event types Tessera transmits (SSF 1.0 §8.1.1 `events_supported`). */
export const SSF_EVENTS_SUPPORTED = [
  CAEP_SESSION_REVOKED,
  CAEP_ASSURANCE_LEVEL_CHANGE,
  CAEP_CREDENTIAL_CHANGE,
];

/** The custom CAEP §3.4.1 `namespace` of `acr` levels. */
export const TESSERA_ACR_NAMESPACE = 'urn:tessera:acr';

/** RFC 9493 §3 Subject Identifiers, the formats Tessera sends. */
export type SubjectIdentifier =
  | { format: 'opaque'; id: string }
  | { format: 'iss_sub'; iss: string; sub: string };

/** A SET's claims before delivery (RFC 8417 §2.2, OpenID SSF 1.0 §4). */
export interface SecurityEventClaims {
  iss: string;
  txn: string;
  sub_id: SubjectIdentifier;
  events: Record<string, Record<string, unknown>>;
}

/** True for the revocation types that are CAEP events (cheap: checked on every revocation). */
export function isCaepRevocation(event: RevocationEvent): boolean {
  const { type } = event.target;
  return type === 'session' || type === 'assurance' || type === 'credential';
}

/** Splits `a b` (or `a b c`) on single spaces; undefined when a part is empty or the count differs. */
function partsOf(value: string, n: number): string[] | undefined {
  const parts = value.split(' ');
  return parts.length === n && parts.every((part) => part !== '') ? parts : undefined;
}

/** The SET claims of a CAEP revocation event; undefined for any other event or a malformed value. */
export function toSecurityEvent(event: RevocationEvent, issuer: string): SecurityEventClaims | undefined {
  const base = { iss: issuer, txn: String(event.id) };
  const event_timestamp = event.revokedAt;
  const { type, value } = event.target;
  switch (type) {
    case 'session':
      return value === ''
        ? undefined
        : {
            ...base,
            sub_id: { format: 'opaque', id: value },
            events: { [CAEP_SESSION_REVOKED]: { event_timestamp } },
          };
    case 'assurance': {
      const parts = partsOf(value, 2);
      if (parts === undefined) {
        return undefined;
      }
      const [sid = '', acr = ''] = parts;
      return {
        ...base,
        sub_id: { format: 'opaque', id: sid },
        events: {
          [CAEP_ASSURANCE_LEVEL_CHANGE]: {
            namespace: TESSERA_ACR_NAMESPACE,
            current_level: acr,
            event_timestamp,
          },
        },
      };
    }
    case 'credential': {
      const parts = partsOf(value, 3);
      if (parts === undefined) {
        return undefined;
      }
      const [sub = '', change_type = '', credential_type = ''] = parts;
      return {
        ...base,
        sub_id: { format: 'iss_sub', iss: issuer, sub },
        events: { [CAEP_CREDENTIAL_CHANGE]: { credential_type, change_type, event_timestamp } },
      };
    }
    default:
      return undefined;
  }
}
