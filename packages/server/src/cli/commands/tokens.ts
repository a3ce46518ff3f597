/**
 * `tessera tokens revoke TOKEN | --jti ID [--expires-at SECONDS] | --client ID`: through the running
 * server's admin API (`POST /admin/tokens/revoke`), so the revocation reaches every node's denylist
 * and the revocation stream at once (DESIGN §5).
 */
import type { AdminClient } from '../admin-client.js';

export interface TokensRevokeOptions {
  token?: string | undefined;
  jti?: string | undefined;
  client?: string | undefined;
  expiresAt?: string | undefined;
  json?: boolean | undefined;
}

interface RevokeResult {
  revoked: 'token' | 'jti' | 'client';
  jti?: string;
  client_id?: string;
  expires_at?: number;
}

function bodyOf(options: TokensRevokeOptions): Record<string, unknown> {
  const given = [options.token, options.jti, options.client].filter((v) => v !== undefined);
  if (given.length !== 1) {
    throw new Error('Give exactly one of TOKEN, --jti ID or --client ID');
  }
  if (options.token !== undefined) {
    return { token: options.token };
  }
  if (options.client !== undefined) {
    return { client_id: options.client };
  }
  if (options.expiresAt === undefined) {
    return { jti: options.jti };
  }
  if (!/^\d+$/.test(options.expiresAt)) {
    throw new Error('--expires-at takes seconds since the epoch (the token exp)');
  }
  return { jti: options.jti, expires_at: Number(options.expiresAt) };
}

function describe(result: RevokeResult): string {
  const until =
    result.expires_at === undefined ? '' : ` until ${new Date(result.expires_at * 1000).toISOString()}`;
  switch (result.revoked) {
    case 'token':
      return 'Token revoked.';
    case 'jti':
      return `Token id ${result.jti ?? ''} revoked${until}.`;
    case 'client':
      return `Every access token client ${result.client_id ?? ''} held is revoked${until}.`;
  }
}

export async function runTokensRevoke(client: AdminClient, options: TokensRevokeOptions): Promise<void> {
  const result = await client.request<RevokeResult>('POST', '/admin/tokens/revoke', bodyOf(options));
  process.stdout.write(options.json === true ? `${JSON.stringify(result)}\n` : `${describe(result)}\n`);
}
