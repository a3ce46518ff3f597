/**
 * RFC 7662 introspection of API keys (`tsr_key_…`), so any standard resource server can check a key
 * at `/introspect`. Plugs into the introspection endpoint's list of introspectors (it has the shape
 * of `oauth/introspection.ts` `Introspector`; `tokens/` does not import `oauth/`).
 *
 * A key has the same meaning here as at `POST /api-keys/verify`: it is active only when that
 * endpoint would answer `valid` (so an introspection counts against the key's rate limit). The
 * caller needs the `api_keys:verify` permission; for any other caller every key is inactive
 * (RFC 7662 §2.2 lets the server decide what a caller may learn). `client_ip` and `endpoint`, when
 * the caller sends them, feed the key's anomaly policy as at the verify endpoint.
 */
import { type IntrospectionResponse, secretKindOf } from '@tessera/protocol';
import type { ClientRecord } from '../../store/ports.js';
import type { ApiKeyService } from './api-key-service.js';
import type { KeyUseContext } from './key-anomalies.js';

export const API_KEYS_VERIFY_PERMISSION = 'api_keys:verify';

export interface ApiKeyIntrospectorDeps {
  service: Pick<ApiKeyService, 'check'>;
  issuer: string;
}

export function createApiKeyIntrospector(deps: ApiKeyIntrospectorDeps): {
  accepts(token: string): boolean;
  introspect(token: string, caller: ClientRecord, context?: KeyUseContext): Promise<IntrospectionResponse>;
} {
  return {
    accepts: (token) => secretKindOf(token) === 'key',
    async introspect(token, caller, context) {
      if (!caller.permissions.includes(API_KEYS_VERIFY_PERMISSION)) {
        return { active: false };
      }
      const { result, record } = await deps.service.check(token, {
        actor: caller.id,
        ...(context === undefined ? {} : { context }),
      });
      if (!result.valid || record === undefined) {
        return { active: false };
      }
      const response: IntrospectionResponse = {
        active: true,
        scope: record.scope.join(' '),
        sub: record.owner,
        iss: deps.issuer,
        iat: record.createdAt,
        token_type: 'api_key',
        key_id: record.id,
      };
      if (record.owner.startsWith('cli_')) {
        response.client_id = record.owner;
      }
      if (record.expiresAt !== null) {
        response.exp = record.expiresAt;
      }
      if (record.audiences.length > 0) {
        response.aud =
          record.audiences.length === 1 ? (record.audiences[0] as string) : [...record.audiences];
      }
      if (Object.keys(record.meta).length > 0) {
        response.meta = record.meta;
      }
      // RFC 9449 §6.2: a bound key is confirmed by its DPoP key; the verifier demands the proof.
      if (record.dpopJkt !== null) {
        response.cnf = { jkt: record.dpopJkt };
      }
      return response;
    },
  };
}
