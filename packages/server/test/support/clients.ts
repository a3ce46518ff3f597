/**
 * Test fixtures for clients: created straight in the store (client management has its own tests),
 * with a freshly minted secret the test can present.
 */

import { parseSecret } from '@tessera/protocol';
import { hashSecret, mintSecret, newId } from '../../src/ids.js';
import type { ClientRecord, NewClient } from '../../src/store/ports.js';
import type { TestServer } from './bootstrap.js';

export interface TestClient {
  client: ClientRecord;
  id: string;
  secret: string;
  /** `Authorization: Basic …` for client_secret_basic (RFC 6749 §2.3.1). */
  basic: string;
}

export function basicAuthorization(id: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

export async function createTestClient(
  t: Pick<TestServer, 'store' | 'clock'>,
  overrides: Partial<NewClient> = {},
): Promise<TestClient> {
  const secret = mintSecret('cs');
  const now = t.clock.now();
  const client = await t.store.createClient(
    {
      id: newId('cli'),
      name: 'test client',
      grantTypes: ['client_credentials'],
      scope: ['read', 'write', 'admin'],
      defaultScope: ['read'],
      audiences: ['https://api.example.com', 'https://other.example.com'],
      redirectUris: [],
      postLogoutRedirectUris: [],
      tokenEndpointAuthMethod: 'client_secret_basic',
      tokenFormat: 'jwt',
      accessTokenTtl: null,
      metadata: {},
      jwks: null,
      jwksUri: null,
      idTokenSignedResponseAlg: null,
      firstParty: false,
      requireMfa: false,
      permissions: [],
      disabled: false,
      secrets: [
        {
          hash: hashSecret(secret),
          start: parseSecret(secret, 'cs')?.start ?? '',
          createdAt: now,
          expiresAt: null,
        },
      ],
      ...overrides,
    },
    now,
  );
  return { client, id: client.id, secret, basic: basicAuthorization(client.id, secret) };
}

/** A form body (application/x-www-form-urlencoded), with repeated names allowed. */
export function form(params: Record<string, string | string[]>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      search.append(name, v);
    }
  }
  return search.toString();
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' } as const;
