/**
 * Subject identifiers (OpenID Connect Core §8). A `public` client sees the user id as `sub`; a
 * `pairwise` client sees `base64url(HMAC-SHA-256(key, sector || "\n" || user id))`, where the
 * sector (§8.1) is the host of its `sector_identifier_uri`, else the host of its redirect URIs
 * (one host, enforced at registration). The key is a server secret (keys/server-secrets.ts): made
 * once, stored sealed with the master key and re-sealed by master-key rotation, so a `sub` never
 * changes for a client (§8), and every node computes the same value; clients of one sector share
 * values, clients of different sectors cannot correlate them. What a client *sees* is pairwise:
 * ID tokens, userinfo and ID token hints. Access tokens (RFC 9068) keep the user id, since they
 * are for resource servers, and revocation and API-key ownership key on it.
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { ClientRecord } from '../../store/ports.js';

const PAIRWISE_INFO = 'tessera pairwise subject v1';

/** The name of the pairwise key among the server secrets. */
export const PAIRWISE_SECRET = 'pairwise-subject';

/**
 * The first value of the pairwise key. Before it was stored, it was HKDF(master key, PAIRWISE_INFO):
 * a database that already has clients may have shown such values, so it starts from that derivation
 * (under the master key of the first start with this code) and keeps its `sub`s; a new database
 * (no clients yet) gets 32 random bytes.
 */
export function initialPairwiseKey(masterKey: Buffer, hasClients: boolean): Buffer {
  return hasClients
    ? Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), PAIRWISE_INFO, 32))
    : randomBytes(32);
}

export type SubjectClient = Pick<ClientRecord, 'subjectType' | 'sectorIdentifierUri' | 'redirectUris'>;

/** The `sub` a client sees for a user. */
export type SubjectOf = (client: SubjectClient, userId: string) => string;

/** OIDC Core §8.1: the pairwise sector of a client (a host), or undefined when it has none. */
export function sectorOf(
  client: Pick<ClientRecord, 'sectorIdentifierUri' | 'redirectUris'>,
): string | undefined {
  const uris = client.sectorIdentifierUri === null ? client.redirectUris : [client.sectorIdentifierUri];
  const hosts = new Set<string>();
  for (const uri of uris) {
    try {
      hosts.add(new URL(uri).host);
    } catch {
      return undefined;
    }
  }
  const [host] = hosts;
  return hosts.size === 1 && host !== undefined && host !== '' ? host : undefined;
}

/** `key`: the pairwise key (the server secret {@link PAIRWISE_SECRET}). */
export function createSubjectOf(key: Buffer): SubjectOf {
  return (client, userId) => {
    if (client.subjectType !== 'pairwise') {
      return userId;
    }
    const sector = sectorOf(client);
    if (sector === undefined) {
      // Registration refuses this; a client without a sector must never fall back to the user id.
      throw new Error('pairwise client without a sector');
    }
    return createHmac('sha256', key).update(`${sector}\n${userId}`).digest('base64url');
  };
}
