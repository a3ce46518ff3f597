/**
 * The grant registry (STYLE §9.10 habit 1, after node-oidc-provider): wire `grant_type` → handler
 * plus the parameters it accepts. The token endpoint authenticates the client, checks the client
 * may use the grant (`unauthorized_client`), then dispatches here. The composition root builds it
 * once with every grant (`createGrantRegistry` in registry.ts), frozen before the endpoint sees it.
 */
import type { TokenResponse } from '@tessera/protocol';
import type { ClientRecord } from '../../store/ports.js';

export interface GrantContext {
  client: ClientRecord;
  /** The token request's form parameters; repeated ones were already refused. */
  params: Record<string, string>;
  /** RFC 8707 `resource` values: the one parameter that may repeat (empty values dropped). */
  resources: string[];
  requestId: string;
  /**
   * The request's verified DPoP proof (RFC 9449 §5): its key's thumbprint, which the issued access
   * token (and a public client's refresh token) is bound to; undefined without a proof.
   */
  dpop?: { jkt: string } | undefined;
  /** The token request's client address and User-Agent (continuous authentication, docs/risk.md). */
  origin?: { ip: string; userAgent: string | undefined };
}

export interface Grant {
  /** The wire value, e.g. `client_credentials`. */
  grantType: string;
  /** Parameters this grant reads (others are ignored, RFC 6749 §3.2). */
  parameters: readonly string[];
  handle(context: GrantContext): Promise<TokenResponse>;
}

export type GrantRegistry = ReadonlyMap<string, Grant>;
