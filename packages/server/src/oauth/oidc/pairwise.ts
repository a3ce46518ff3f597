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
 *
 * A person may also choose a pairwise `sub` for one client registered `public` (the account page,
 * users/subject-choices.ts): `base64url(HMAC-SHA-256(key, "client" || "\n" || client id || "\n" ||
 * user id))`, one value per client (not per sector: the person chose privacy from this application
 * only). It is stored with the choice, and then that client's ID tokens, userinfo *and* access
 * tokens carry it (a JWT access token is readable by the client, so the account id there would undo
 * the choice); a client registered pairwise keeps its own value.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { ClientRecord } from '../../store/ports.js';

/** The name of the pairwise key among the server secrets. */
export const PAIRWISE_SECRET = 'pairwise-subject';

/** The first value of the pairwise key: 32 random bytes, made once per database. */
export function initialPairwiseKey(): Buffer {
  return randomBytes(32);
}

export type SubjectClient = Pick<ClientRecord, 'subjectType' | 'sectorIdentifierUri' | 'redirectUris'>;

/**
 * The `sub` a client sees for a user: its registered pairwise value, else `chosen` (the pairwise
 * `sub` the person chose for this client, if any), else the user id.
 */
export type SubjectOf = (client: SubjectClient, userId: string, chosen?: string) => string;

/** The pairwise `sub` a person chooses for one client (stored with the choice). */
export type ChosenSubjectOf = (clientId: string, userId: string) => string;

/** `key`: the pairwise key (the server secret {@link PAIRWISE_SECRET}). */
export function createChosenSubjectOf(key: Buffer): ChosenSubjectOf {
  return (clientId, userId) =>
    createHmac('sha256', key).update(`client\n${clientId}\n${userId}`).digest('base64url');
}

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
  return (client, userId, chosen) => {
    if (client.subjectType !== 'pairwise') {
      return chosen ?? userId;
    }
    const sector = sectorOf(client);
    if (sector === undefined) {
      // Registration refuses this; a client without a sector must never fall back to the user id.
      throw new Error('pairwise client without a sector');
    }
    return createHmac('sha256', key).update(`${sector}\n${userId}`).digest('base64url');
  };
}
