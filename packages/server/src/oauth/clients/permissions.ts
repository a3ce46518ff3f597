/**
 * Tessera permissions: what a client may do at Tessera's own endpoints beyond asking for OAuth
 * scopes. Scopes describe what a token lets its bearer do at an API; permissions describe what the
 * client itself may ask Tessera for. A client has none unless an operator grants them.
 */
export const CLIENT_PERMISSIONS = {
  /** Subscribe to the revocation stream (DESIGN §5): how `@tessera/verify` learns of revoked tokens. */
  'revocations:stream': 'Subscribe to the revocation event stream (Server-Sent Events) to keep a denylist.',
  /** Ask Tessera whether an API key is valid, as an API server does. */
  /**
   * Receive Tessera's CAEP events as Security Event Tokens (OpenID SSF 1.0, RFC 8936 poll): the
   * client gets one stream, created on its first poll.
   */
  'ssf:receive':
    'Receive CAEP events (session revoked, assurance level change, credential change) as Security Event Tokens over the Shared Signals Framework (RFC 8936 poll).',
  'api_keys:verify': 'Verify API keys presented to an API server, and read their scope and metadata.',
  /**
   * RFC 7662 §2.1 lets the server decide who may introspect; with this permission a client may
   * introspect tokens issued to any client, not only its own.
   */
  introspect: 'Introspect (RFC 7662) access tokens issued to any client, not only its own.',
} as const;

export type ClientPermission = keyof typeof CLIENT_PERMISSIONS;

export const CLIENT_PERMISSION_NAMES = Object.keys(CLIENT_PERMISSIONS) as [
  ClientPermission,
  ...ClientPermission[],
];

export function hasPermission(
  client: { permissions: readonly string[] },
  permission: ClientPermission,
): boolean {
  return client.permissions.includes(permission);
}
