/**
 * Who may own a key, and what the owner allows it: the owner must exist, and a client owner bounds
 * the key's scope and audiences (one permission model for a client's tokens and its keys).
 */
import { missingScopes, OAuthError } from '@tessera/protocol';
import type { ClientStore, UserStore } from '../../store/ports.js';
import { audiencesOutside } from '../audience.js';

export interface OwnerPolicyDeps {
  store: Pick<ClientStore, 'findClient'> & Pick<UserStore, 'findUser'>;
}

export interface OwnerPolicy {
  /** Throws `invalid_request` (no such owner), `invalid_scope` or `invalid_target`. */
  assertOwnerAllows(owner: string, scope: string[], audiences: string[]): Promise<void>;
}

export function createOwnerPolicy(deps: OwnerPolicyDeps): OwnerPolicy {
  const { store } = deps;

  /** The owner must exist; a client owner bounds the key's scope and audiences (one permission model). */
  async function assertOwnerAllows(owner: string, scope: string[], audiences: string[]): Promise<void> {
    if (owner.startsWith('cli_')) {
      const client = await store.findClient(owner);
      if (client === undefined) {
        throw OAuthError.invalidRequest('owner is not an existing client or user');
      }
      const extra = missingScopes(scope, client.scope);
      if (extra.length > 0) {
        throw OAuthError.invalidScope(`Scope not allowed for the owning client: ${extra.join(' ')}`);
      }
      if (client.audiences.length > 0 && audiencesOutside(audiences, client.audiences).length > 0) {
        throw OAuthError.invalidTarget('Audience not allowed for the owning client');
      }
      return;
    }
    if (owner.startsWith('usr_') && (await store.findUser(owner)) !== undefined) {
      return;
    }
    throw OAuthError.invalidRequest('owner is not an existing client or user');
  }

  return { assertOwnerAllows };
}
